"""What the staff group sees: topic titles, cards, events, alerts and digests.

Written in the staff language from the settings. Personal data appears only here (the staff
group), and every value typed by a parent is escaped.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dialogs.language import LANGUAGE_NAMES
from bot.i18n import format_clock, format_weekday_date
from bot.outbox.fit import TEXT_LIMIT, split_html, visible_length
from bot.outbox.words import Words
from bot.widgets import Safe, escape
from core.forms import (
    OTHER_SETTLEMENT,
    Category,
    DocumentType,
    Field,
    Obstacle,
    Subject,
    pretty_phone,
)
from core.inbox_views import Card, ReplyMark
from core.morning_summary import DaySummary, ServiceDay
from core.overflow_notice import OverflowLine
from core.people import RoleStatus
from core.requests import REQUEST_STATUSES, Satisfaction, Status, Step
from core.staff import Staff
from core.trainers import Application
from koldo import labels
from koldo.i18n import N_

TOPIC_TITLE_LIMIT = 128
# The longest story the card shows itself. With it, the card's other lines (bounded: names,
# ten reply marks, ...) stay well under Telegram's 4,096 characters in every language (see
# tests/test_outbox_texts.py); a longer story follows the card in messages of its own.
STORY_ON_CARD = 1_500
CATEGORY = {
    # Translators: a request's kind on the staff card and in its topic's title.
    Category.DOCUMENTS: N_("Documents"),
    # Translators: a request's kind on the staff card and in its topic's title.
    Category.SCHOOL: N_("School"),
}
# As the parent's labels, except where the parent is "you".
STATUS = {
    **labels.STATUS,
    # Translators: status of a request as staff see it.
    Status.WAITING_PARENT: N_("⏳ Waiting for the parent"),
    # Translators: status of a request as staff see it: the parent wrote again after it was closed.
    Status.REOPENED: N_("🔁 Reopened"),
}
DELIVERY_PROBLEM = {
    "blocked": N_("the parent has blocked the bot"),
    "deactivated": N_("the parent's Telegram account is deleted"),
    "chat_not_found": N_("the parent's chat no longer exists"),
    "error": N_("Telegram refused the message"),
}
# Why booked visits no longer fit the reference data (core.centres.DayClosed and
# core.bookings.Overbooked; the over-capacity line says its figures itself).
OVERFLOW_WHY = {
    "closure": N_("the centre is now closed that day"),
    "day_off": N_("the centre no longer opens on that weekday"),
    "not_running": N_("the service no longer runs that day"),
    "service_withdrawn": N_("the service is no longer offered"),
    "no_such_time": N_("the service no longer has this time"),
}
SATISFACTION = {
    # Translators: the parent's answer to "was the problem solved?", shown to staff.
    Satisfaction.YES: N_("yes"),
    # Translators: the parent's answer to "was the problem solved?", shown to staff.
    Satisfaction.PARTLY: N_("partly"),
    # Translators: the parent's answer to "was the problem solved?", shown to staff.
    Satisfaction.NO: N_("no"),
}
ERASED_NOTE = {
    "parent": N_("🗑 Request {reference}: the parent's data was erased at their request."),
    "retention": N_(
        "🗑 Request {reference}: the parent's data was erased, as the time it is kept ran out."
    ),
}
EVENT = {
    Status.IN_PROGRESS.value: N_("🔧 {name} took the request."),
    Status.WAITING_PARENT.value: N_("⏳ {name} is waiting for the parent's answer."),
    Status.RESOLVED.value: N_("✅ {name} marked the request resolved."),
    Status.WITHDRAWN.value: N_("↩️ The parent withdrew the request."),
    Status.REOPENED.value: N_("🔁 The parent wrote again: the request is reopened."),
    "reassigned": N_("👥 {name} passed the request to {to}."),
    "satisfaction": N_("⭐ Asked whether the problem was solved, the parent answered: {answer}."),
    "reply_failed": N_("⚠️ {name}'s reply did not reach the parent: {reason}."),
}


class CardAction(CallbackData, prefix="card"):
    action: str  # take / wait / resolve / reassign / to / back
    request_id: int
    to: int = 0


def settlement_name(code: str | None, other: str | None, names: dict[str, str]) -> str:
    if code == OTHER_SETTLEMENT:
        return other or "—"
    return names.get(code or "", code or "—")


def _headline(words: Words, card: Card, names: dict[str, str]) -> list[str]:
    """Reference · category · settlement: how a request is named in the group."""
    return [
        card.reference,
        words.i18n.gettext(CATEGORY[Category(card.category)], locale=words.language),
        settlement_name(card.settlement_code, card.settlement_other, names),
    ]


def topic_title(words: Words, card: Card, names: dict[str, str]) -> str:
    title = ("🚨 " if card.urgent else "") + " · ".join(_headline(words, card, names))
    return title[:TOPIC_TITLE_LIMIT]


URGENT_WORDS_SHOWN = 5
URGENT_WORD_LENGTH = 40  # a matched phrase is a few words; the story below has all of them


def _why_urgent(words: Words, card: Card) -> list[str]:
    """Why the request is urgent, so staff can judge it: the parent's own answer, and the words
    of theirs that speak of danger."""
    if not card.urgent:
        return []
    if card.danger_said:
        lines = [words.say("🚨 <b>URGENT</b>: the parent answered that a child is in danger now.")]
    else:
        lines = [
            words.say("🚨 <b>URGENT</b>: the parent's words suggest a child may be in danger.")
        ]
    if card.urgent_words:
        shown = ", ".join(
            f"«{_clip(term, URGENT_WORD_LENGTH)}»"
            for term in card.urgent_words[:URGENT_WORDS_SHOWN]
        )
        lines.append(words.say("Words about danger: {words}", words=shown))
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_text(words: Words, card: Card, names: dict[str, str]) -> str:
    say = words.say
    lines = []
    lines.extend(_why_urgent(words, card))
    lines.append(
        f"<b>{card.reference}</b> · {words.label(CATEGORY[Category(card.category)])} · "
        f"{words.label(STATUS[card.status])}"
    )
    lines.append(
        say(
            "Filed: {moment} · Language: {language}",
            moment=words.moment(card.created_at),
            language=LANGUAGE_NAMES.get(card.language, card.language),
        )
    )
    if card.follow_up_of is not None:
        lines.append(say("Follows up K-{number:06d}.", number=card.follow_up_of))
    if card.assignee_name:
        lines.append(say("Taken by: {name}", name=card.assignee_name))
    lines.append("")
    lines.extend(_answers(words, card, names))
    if card.attachments:
        kinds = ", ".join(words.label(labels.ATTACHMENT[a.kind]) for a in card.attachments)
        lines.append(say("Attachments (sent below): {kinds}", kinds=Safe(kinds)))
    if card.replies:
        lines.append("")
        lines.append(say("<b>Replies to the parent</b>"))
        lines.extend(_reply_line(words, reply) for reply in card.replies)
    if card.satisfaction:
        lines.append(
            say("Problem solved? The parent answered: {answer}",
                answer=Safe(words.label(SATISFACTION[Satisfaction(card.satisfaction)])))
        )  # fmt: skip
    if card.parent_id is None:
        lines.append(
            say("The parent's data was erased at their request or after the retention period.")
        )
    return "\n".join(lines)


def _answers(words: Words, card: Card, names: dict[str, str]) -> list[str]:
    field = labels.FIELD
    rows: list[tuple[str, str | None]] = [
        (
            field[Field.DOCUMENT_TYPE],
            _label(words, labels.DOCUMENT_TYPE, DocumentType, card.document_type),
        ),
        (field[Field.SUBJECT], _label(words, labels.SUBJECT, Subject, card.subject)),
        (field[Field.CHILD_AGE], None if card.child_age is None else str(card.child_age)),
        (field[Field.GRADE], None if card.grade is None else str(card.grade)),
        (field[Field.OBSTACLE], _label(words, labels.OBSTACLE, Obstacle, card.obstacle)),
        (
            field[Field.SETTLEMENT],
            settlement_name(card.settlement_code, card.settlement_other, names)
            if card.settlement_code else None,
        ),
        (field[Field.PHONE], pretty_phone(card.phone) if card.phone else None),
        # Translators: label on the staff card before the parent's story.
        (N_("What happened"), Safe(words.say("(the story is long: it follows below the card)"))
            if story_follows(card) else card.description),
    ]  # fmt: skip
    return [
        f"<b>{words.label(name)}:</b> {words.say('{value}', value=value)}"
        for name, value in rows
        if value
    ]


def story_follows(card: Card) -> bool:
    """Whether the parent's story is too long for the card and is posted below it instead."""
    return visible_length(escape(card.description or "")) > STORY_ON_CARD


def story_parts(words: Words, card: Card) -> list[str]:
    """A story too long for the card, in as many messages as it needs, each headed with the
    request and which part it is; none when the card shows the story itself."""
    if not story_follows(card):
        return []
    widest = _story_head(words, card, 99, 99)
    chunks = split_html(escape(card.description or ""), TEXT_LIMIT - visible_length(widest) - 1)
    return [
        f"{_story_head(words, card, number, len(chunks))}\n{chunk}"
        for number, chunk in enumerate(chunks, start=1)
    ]


def _story_head(words: Words, card: Card, part: int, parts: int) -> str:
    return words.say(
        "📝 <b>{reference}</b> · the parent's story, part {part} of {parts}:",
        reference=card.reference, part=part, parts=parts,
    )  # fmt: skip


def refused(words: Words, number: int, reference: str, error: str) -> str:
    """A group message Telegram would not take: which one, and Telegram's reason."""
    return words.say(
        "⚠️ Message {number} about <b>{reference}</b> could not be shown here. "
        "Telegram answered: {error}",
        number=number, reference=reference, error=error[:300],
    )  # fmt: skip


def _label(words: Words, table: dict[Any, str], enum: type, value: str | None) -> str | None:
    if value is None:
        return None
    return words.i18n.gettext(table[enum(value)], locale=words.language)


def _reply_line(words: Words, reply: ReplyMark) -> str:
    moment = words.moment(reply.at)
    if reply.delivery == "delivered":
        # Translators: a staff reply's mark on the card: delivered to the parent at {moment}.
        return words.say("✅ {moment} delivered", moment=moment)
    if reply.delivery == "failed":
        reason = delivery_problem(words, reply.error)
        return words.say("⚠️ {moment} not delivered: {reason}", moment=moment, reason=reason)
    return words.say("⏳ {moment} being sent", moment=moment)


# The card's buttons, in this order, two to a row; each shown only where the request's
# status allows its step (core.requests.REQUEST_STATUSES), so a card offers no button that
# would only be refused.
CARD_BUTTONS = (
    # Translators: staff card button: "I take this request on" (it becomes mine).
    (Step.TAKE, N_("🙋 Take")),
    # Translators: staff card button: mark the request resolved.
    (Step.RESOLVE, N_("✅ Resolve")),
    # Translators: staff card button: mark the request as waiting for the parent.
    (Step.WAIT, N_("⏳ Waiting for parent")),
    # Translators: staff card button: give the request to another staff member.
    (Step.REASSIGN, N_("👥 Reassign")),
)


def card_keyboard(words: Words, card: Card) -> InlineKeyboardMarkup | None:
    status = Status(card.status)
    buttons = [
        InlineKeyboardButton(
            text=words.i18n.gettext(label, locale=words.language),
            callback_data=CardAction(action=step.value, request_id=card.id).pack(),
        )
        for step, label in CARD_BUTTONS
        if REQUEST_STATUSES.allows(status, step)
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )


def reassign_keyboard(words: Words, request_id: int, staff: list[Staff]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"→ {member.name}",
                callback_data=CardAction(
                    action="to", request_id=request_id, to=member.user_id
                ).pack(),
            )
        ]
        for member in staff
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=words.i18n.gettext(N_("⬅️ Back"), locale=words.language),
                callback_data=CardAction(action="back", request_id=request_id).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def parent_message_header(words: Words, reference: str) -> str:
    return words.say("👤 <b>The parent</b> on {reference}:", reference=reference)


def event_text(
    words: Words, event: str, *, name: str, to: str = "", answer: str = "", reason: str = ""
) -> str:
    return words.say(EVENT[event], name=name, to=to, answer=answer, reason=reason)


def delivery_problem(words: Words, reason: str | None) -> Safe:
    """Why a reply did not arrive, from the short code on the message (see core.outbox)."""
    return Safe(words.say(DELIVERY_PROBLEM.get(reason or "error", DELIVERY_PROBLEM["error"])))


def satisfaction_word(words: Words, answer: str) -> str:
    return words.i18n.gettext(SATISFACTION[Satisfaction(answer)], locale=words.language)


def mention(member: Staff) -> str:
    return f'<a href="tg://user?id={member.user_id}">{escape(member.name)}</a>'


def urgent_alert(words: Words, card: Card, names: dict[str, str], on_duty: list[Staff]) -> str:
    text = words.say(
        "🚨 <b>Urgent request {reference}</b> · {category} · {settlement}",
        reference=card.reference,
        category=words.i18n.gettext(CATEGORY[Category(card.category)], locale=words.language),
        settlement=settlement_name(card.settlement_code, card.settlement_other, names),
    )
    if on_duty:
        return text + "\n" + ", ".join(mention(member) for member in on_duty)
    return text + "\n" + words.say("Nobody is on duty: /duty puts you on watch.")


def escalation(words: Words, item: Card) -> str:
    return words.say(
        "⏰ Nobody has taken <b>{reference}</b> yet (filed {moment}). "
        "/queue shows all open requests.",
        reference=item.reference,
        moment=words.moment(item.created_at),
    )


def digest_messages(
    words: Words, cards: list[Card], names: dict[str, str], *, size: int
) -> list[tuple[str, int]]:
    """A digest as messages, each with how many requests it lists: the first says how many
    wait, the next ones only go on listing; at most `size` lines and Telegram's length each."""
    head = words.say_n(
        "📥 <b>{n} new request</b> is waiting; its topic opens shortly:",
        "📥 <b>{n} new requests</b> are waiting; their topics open one by one:",
        len(cards),
    )
    messages: list[tuple[str, int]] = []
    lines, count, width = [head], 0, visible_length(head)
    for card in cards:
        line = ("🚨 " if card.urgent else "• ") + escape(" · ".join(_headline(words, card, names)))
        line_width = visible_length(line) + 1  # with the line break before it
        if count == size or (count and width + line_width > TEXT_LIMIT):
            messages.append(("\n".join(lines), count))
            lines, count, width = [], 0, -1
        lines.append(line)
        count += 1
        width += line_width
    messages.append(("\n".join(lines), count))
    return messages


def erased_note(words: Words, reference: str, reason: str) -> str:
    """Where an erased request's topic was (see core.erasure.Reason)."""
    return words.say(ERASED_NOTE[reason], reference=reference)


def overflow_text(words: Words, lines: list[OverflowLine]) -> str:
    """The visits a change of the reference data no longer allows, one line per time (cut
    into messages by the sender when long)."""
    parts = [
        words.say(
            "⚠️ <b>The new reference data no longer allows some booked visits.</b> They are "
            "kept and the families have not been told. To cancel a closed day's visits and "
            "tell each family: /close centre date reason."
        )
    ]
    for line in lines:
        if line.why == "over_capacity":
            why = words.say_n(
                "{n} place booked, {places} in all now",
                "{n} places booked, {places} in all now",
                line.booked,
                places=line.places,
            )
        else:
            why = words.say(OVERFLOW_WHY[line.why])
        when = (
            f"{format_weekday_date(line.starts_at.astimezone(words.zone).date(), words.language)}"
            f" {format_clock(line.starts_at, words.zone)}"
        )
        parts.append(
            f"• {words.pick(line.centre_name)} · {words.pick(line.service_name)} · "
            f"{escape(when)}: {why} — {escape(', '.join(line.references))}"
        )
    return "\n".join(parts)


def morning_summary(words: Words, summary: DaySummary) -> str:
    """A centre's day at its opening: a line per service, or that nobody booked (so staff see
    the bot is at work on a quiet day too)."""
    # Translators: staff group, a day centre's morning summary, first line; {date} names the
    # weekday and the day.
    head = words.say(
        "☀️ <b>{centre}</b> today, {date}:",
        centre=Safe(words.pick(summary.centre_name)),
        date=format_weekday_date(summary.day, words.language),
    )
    if not summary.services:
        # Translators: staff group, morning summary of a day centre nobody booked.
        return head + "\n" + words.say("No visits booked for today.")
    return "\n".join([head, *(_service_day(words, service) for service in summary.services)])


def _service_day(words: Words, service: ServiceDay) -> str:
    # Translators: staff group, morning summary: how many bookings a service has today.
    visits = Safe(words.say_n("{n} visit", "{n} visits", service.bookings))
    children = Safe(words.say_n("{n} child", "{n} children", service.children))
    name = Safe(words.pick(service.name))
    if service.first is None or service.last is None:
        # Translators: staff group, morning summary: a service with people waiting but no visits.
        line = words.say("• {service}: no visits", service=name)
    elif service.first == service.last:
        # Translators: staff group, morning summary: a service whose visits are all at one time
        # ({first}: 10:00).
        line = words.say(
            "• {service}: {visits}, {children}; at {first}",
            service=name, visits=visits, children=children,
            first=format_clock(service.first, words.zone),
        )  # fmt: skip
    else:
        # Translators: staff group, morning summary: a service's visits today, the start of the
        # first one and of the last one (10:00).
        line = words.say(
            "• {service}: {visits}, {children}; first at {first}, last at {last}",
            service=name, visits=visits, children=children,
            first=format_clock(service.first, words.zone),
            last=format_clock(service.last, words.zone),
        )  # fmt: skip
    if service.waiting:
        # Translators: staff group, morning summary: people waiting for a place at that service.
        line += " · " + words.say_n(
            "⏳ {n} on the waiting list", "⏳ {n} on the waiting list", service.waiting
        )
    return line


# --- peer trainers -----------------------------------------------------------------------------

TRAINER_OUTCOME = {
    RoleStatus.ACTIVE: N_("✅ Approved by {name}, {moment}."),
    RoleStatus.DECLINED: N_("❌ Declined by {name}, {moment}."),
    RoleStatus.REVOKED: N_("🚫 The trainer role was revoked by {name}, {moment}."),
    RoleStatus.WITHDRAWN: N_("↩️ Withdrawn: the person's data was erased at their request."),
}


class TrainerDecision(CallbackData, prefix="trn"):
    """Approve / Decline under application number `application` of a person (never more than
    about 30 bytes packed: two numbers and a flag)."""

    user_id: int
    application: int
    approve: bool


def _trainer_lines(
    application: Application, settlements: dict[str, str], programmes: dict[str, str]
) -> list[str]:
    name = escape(application.name or "—")
    link = f'<a href="tg://user?id={application.user_id}">{application.user_id}</a>'
    settlement = escape(settlements.get(application.settlement_code or "", "—"))
    names = [escape(programmes.get(code, code)) for code in application.programmes]
    return [f"👤 <b>{name}</b> · {link}", f"📍 {settlement}", f"📚 {', '.join(names)}"]


def trainer_application(
    words: Words, application: Application, settlements: dict[str, str], programmes: dict[str, str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An application to be a peer trainer, with Approve / Decline while it waits, else who
    decided it. `settlements` and `programmes` are names by code in the staff language."""
    lines = [
        words.say("🎓 <b>Application to be a peer trainer</b>"),
        *_trainer_lines(application, settlements, programmes),
        "🗓 " + escape(words.moment(application.requested_at)),
    ]
    if application.status != RoleStatus.REQUESTED:
        outcome = TRAINER_OUTCOME.get(application.status)
        if outcome is not None:
            moment = words.moment(application.decided_at) if application.decided_at else ""
            lines.append(words.say(outcome, name=application.decided_by or "—", moment=moment))
        return "\n".join(lines), None
    row = [
        InlineKeyboardButton(
            # Translators: button under an application to be a peer trainer, in the staff group.
            text=words.say("✅ Approve"),
            callback_data=TrainerDecision(
                user_id=application.user_id, application=application.application, approve=True
            ).pack(),
        ),
        InlineKeyboardButton(
            # Translators: button under an application to be a peer trainer, in the staff group.
            text=words.say("❌ Decline"),
            callback_data=TrainerDecision(
                user_id=application.user_id, application=application.application, approve=False
            ).pack(),
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[row])


def trainers_list(
    words: Words,
    applications: list[Application],
    settlements: dict[str, str],
    programmes: dict[str, str],
) -> list[str]:
    """`/trainers`: waiting applications, then active trainers, each in a few lines; as many
    messages as Telegram's length needs."""
    if not applications:
        return [words.say("Nobody is a peer trainer yet, and no application is waiting.")]
    waiting = [a for a in applications if a.status == RoleStatus.REQUESTED]
    active = [a for a in applications if a.status == RoleStatus.ACTIVE]
    blocks = []
    for title, group in (
        (words.say_n("⏳ <b>{n} application waits</b>", "⏳ <b>{n} applications wait</b>",
                     len(waiting)), waiting),
        (words.say_n("🎓 <b>{n} peer trainer</b>", "🎓 <b>{n} peer trainers</b>",
                     len(active)), active),
    ):  # fmt: skip
        if group:
            blocks.append(title)
            blocks += ["\n".join(_trainer_lines(a, settlements, programmes)) for a in group]
    blocks.append(words.say("/revoke_trainer and a person's id takes the trainer role away."))
    return split_html("\n\n".join(blocks))
