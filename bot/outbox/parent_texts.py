"""What a parent receives from the outbox, in the language of their request."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.outbox.words import Words
from bot.widgets import escape
from core.day_roster import ClosureNotice
from core.reminders import Offered, Reminded, Which
from core.requests import Satisfaction, Status
from core.trainers import Decision
from koldo.i18n import N_

STATUS_NOTICE = {
    Status.IN_PROGRESS: N_("🔧 <b>{reference}</b>: a CPC specialist is working on your request."),
    Status.WAITING_PARENT: N_(
        "⏳ <b>{reference}</b>: CPC is waiting for your answer. "
        "Reply to this message, or open 📋 My requests."
    ),
    Status.RESOLVED: N_("✅ <b>{reference}</b>: CPC has marked your request as resolved."),
}
SATISFACTION = {
    # Translators: button: answer to "was your problem solved?".
    Satisfaction.YES: N_("👍 Yes"),
    # Translators: button: answer to "was your problem solved?".
    Satisfaction.PARTLY: N_("🤏 Partly"),
    # Translators: button: answer to "was your problem solved?".
    Satisfaction.NO: N_("👎 No"),
}


class SatisfactionAnswer(CallbackData, prefix="sat"):
    request_id: int
    answer: Satisfaction


class RebookDay(CallbackData, prefix="rebook"):
    """Choose another day for a visit cancelled by a closure: the booking calendar opens at
    its centre and service (the booking is checked to be the parent's own)."""

    booking_id: int


def reply_header(words: Words, reference: str) -> str:
    return words.say("💬 <b>Reply from CPC on {reference}</b>", reference=reference)


def reply_hint(words: Words) -> str:
    return words.say("↩️ To answer, reply to this message.")


def status_notice(words: Words, reference: str, status: Status) -> str:
    return words.say(STATUS_NOTICE[status], reference=reference)


def satisfaction_question(
    words: Words, reference: str, request_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    text = words.say("❓ <b>{reference}</b>: was your problem solved?", reference=reference)
    row = [
        InlineKeyboardButton(
            text=words.i18n.gettext(label, locale=words.language),
            callback_data=SatisfactionAnswer(request_id=request_id, answer=answer).pack(),
        )
        for answer, label in SATISFACTION.items()
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


def day_closed(words: Words, notice: ClosureNotice) -> tuple[str, InlineKeyboardMarkup]:
    """A visit cancelled because its day closed, why (in the words staff gave), and a button
    to choose another day."""
    reason = next(iter(notice.reason.values()), "")
    text = words.say(
        "❌ <b>{reference}</b>: your visit on {when} is cancelled because the centre is closed "
        "that day.",
        reference=notice.booking.reference,
        when=words.moment(notice.booking.starts_at),
    )
    centre, service = (
        escape(words.pick(notice.centre_name)),
        escape(words.pick(notice.service_name)),
    )
    text += f"\n🏠 {centre}\n🩺 {service}"
    if reason:
        # Translators: why a centre is closed on a day, in the words staff gave.
        text += "\n" + words.say("Reason: {reason}", reason=reason)
    text += "\n\n" + words.say("Sorry for the trouble. Please choose another day.")
    button = InlineKeyboardButton(
        # Translators: button under the notice that a visit was cancelled as the centre closed.
        text=words.say("📅 Choose another day"),
        callback_data=RebookDay(booking_id=notice.booking.id).pack(),
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- day-centre visits -------------------------------------------------------------------------

REMINDER_TITLE = {
    Which.EVENING: N_("⏰ <b>Tomorrow you have a visit to the day centre</b> ({reference})."),
    Which.SOON: N_("⏰ <b>Your visit to the day centre is in two hours</b> ({reference})."),
}


class ReminderAnswer(CallbackData, prefix="rmd"):
    booking_id: int
    coming: bool  # "I'm coming", else cancel the visit


class TakeOffer(CallbackData, prefix="wlo"):
    entry_id: int


def _visit_lines(
    words: Words, centre: dict[str, str], service: dict[str, str], at: datetime
) -> str:
    return "\n".join(
        (
            f"🏠 {words.pick(centre)}",
            f"🩺 {words.pick(service)}",
            f"📅 {escape(words.visit_time(at))}",
        )
    )


def booking_reminder(
    words: Words, reminded: Reminded, which: Which
) -> tuple[str, InlineKeyboardMarkup]:
    booking = reminded.booking
    title = words.say(REMINDER_TITLE[which], reference=booking.reference)
    lines = _visit_lines(words, reminded.centre, reminded.service, booking.starts_at)
    hint = words.say("Will you come? If plans have changed, cancel so the place goes to others.")
    buttons = [
        # Translators: button under a visit reminder: the family will come.
        (words.say("✅ I'm coming"), True),
        # Translators: button under a visit reminder: cancel the booked visit (glossary: cancel).
        (words.say("✖️ Cancel the visit"), False),
    ]
    row = [
        InlineKeyboardButton(
            text=text, callback_data=ReminderAnswer(booking_id=booking.id, coming=coming).pack()
        )
        for text, coming in buttons
    ]
    return f"{title}\n{lines}\n\n{hint}", InlineKeyboardMarkup(inline_keyboard=[row])


def waiting_offer(words: Words, offered: Offered) -> tuple[str, InlineKeyboardMarkup]:
    title = words.say("🎉 <b>A place has become free for you.</b>")
    lines = _visit_lines(words, offered.centre, offered.service, offered.starts_at)
    hint = words.say(
        "It is kept for you until {until}; after that it goes to the next family in line.",
        until=words.moment(offered.until),
    )
    # Translators: button under a waiting-list offer: book the freed place.
    button = InlineKeyboardButton(
        text=words.say("✅ Take the place"),
        callback_data=TakeOffer(entry_id=offered.entry_id).pack(),
    )
    return f"{title}\n{lines}\n\n{hint}", InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- peer trainers -----------------------------------------------------------------------------

TRAINER_DECISION = {
    Decision.APPROVED: N_(
        "🎓 <b>CPC has approved your application.</b> You are now a peer trainer. "
        "Thank you for sharing what you learned with others!"
    ),
    Decision.DECLINED: N_(
        "CPC has not approved your application to be a peer trainer this time. "
        "If you have questions, please ask at a CPC day centre."
    ),
    Decision.REVOKED: N_(
        "CPC has ended your role as a peer trainer. "
        "If you have questions, please ask at a CPC day centre."
    ),
}


def trainer_decision(words: Words, decision: Decision) -> str:
    return words.say(TRAINER_DECISION[decision])
