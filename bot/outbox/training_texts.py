"""What trainers, parents and the staff group receive about training sessions: a new session
for subscribers, a move or cancellation, reminders, the request to report attendance, and a
trainer's drop-out. Rendered when sent, from the session as it is then; the screens they
point to ("My sessions", "Trainings") are named in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import format_clock
from bot.outbox.words import Words
from bot.widgets import Safe, escape
from core.clock import utcnow
from core.outbox import Kind
from core.training_reminders import ERASED_TRAINER, Change, Notice, Which
from core.training_rules import Audience, Role
from koldo.i18n import N_

AUDIENCE = {
    # Translators: whom a training session is for, after 👥.
    Audience.CHILDREN: N_("for children"),
    # Translators: whom a training session is for, after 👥.
    Audience.PARENTS: N_("for parents"),
    # Translators: whom a training session is for, after 👥.
    Audience.TEACHERS: N_("for teachers"),
}
REMINDER_TITLE = {
    (Which.DAY, Role.TRAINER): N_("⏰ <b>Tomorrow you lead a training session.</b>"),
    (Which.HOUR, Role.TRAINER): N_("⏰ <b>The session you lead begins in an hour.</b>"),
    (Which.DAY, Role.PARENT): N_("⏰ <b>Tomorrow you have a training session.</b>"),
    (Which.HOUR, Role.PARENT): N_("⏰ <b>Your training session begins in an hour.</b>"),
}
# The day-before reminder of an evening session falls in quiet hours and waits for the morning:
# by then the session is today.
TODAY_TITLE = {
    Role.TRAINER: N_("⏰ <b>Today you lead a training session.</b>"),
    Role.PARENT: N_("⏰ <b>Today you have a training session.</b>"),
}


def session_lines(words: Words, notice: Notice) -> str:
    """The programme, when, where and for whom, in the reader's language."""
    session = notice.session
    when = f"{words.moment(session.starts_at)}–{format_clock(session.ends_at, words.zone)}"
    place = ", ".join(
        part
        for part in (
            words.pick(notice.settlement),
            escape(session.place_name),
            escape(session.address),
        )
        if part
    )
    audience = words.label(AUDIENCE[session.audience])
    return "\n".join(
        (
            f"🎓 <b>{words.pick(notice.programme)}</b>",
            f"📅 {escape(when)}",
            f"📍 {place}",
            f"👥 {audience}",
        )
    )


def for_person(words: Words, notice: Notice, kind: Kind, payload: dict[str, Any]) -> str:
    """The text of a person's entry of `kind` about the session."""
    role = Role(payload.get("role", Role.PARENT))
    lines = session_lines(words, notice)
    if kind == Kind.TRAINING_NEW:
        return _new(words, notice, lines)
    if kind == Kind.TRAINING_CHANGED:
        was = datetime.fromisoformat(str(payload["was"]))
        return _changed(words, lines, Change(payload["change"]), was, role)
    if kind == Kind.TRAINING_REMINDER:
        return _reminder(words, notice, lines, Which(payload["which"]), role)
    title = words.say("📝 <b>Please tell us who came to your session.</b>")
    hint = words.say(
        "Open 🧑‍🏫 My sessions and fill in the short report: how many came, girls and boys, "
        "women and men, and their ages."
    )
    return f"{title}\n{lines}\n\n{hint}"


def _new(words: Words, notice: Notice, lines: str) -> str:
    title = words.say("🆕 <b>A new training session near you.</b>")
    summary = words.pick(notice.programme_summary)
    places = words.say_n("{n} place is left.", "{n} places are left.", notice.session.places_left)
    hint = words.say("To sign up, open 🎓 Trainings in the menu.")
    return "\n\n".join(part for part in (f"{title}\n{lines}", summary, f"{places} {hint}") if part)


def _changed(words: Words, lines: str, change: Change, was: datetime, role: Role) -> str:
    when = words.moment(was)
    if change == Change.MOVED:
        title = words.say("🔁 <b>A training session has moved</b> (it was on {when}).", when=when)
        hint = (
            words.say("Please check that you can still lead it, in 🧑‍🏫 My sessions.")
            if role == Role.TRAINER
            else words.say(
                "Your sign-up stays. If the new time does not suit you, cancel it in "
                "🎓 My trainings, so the place goes to others."
            )
        )
        return f"{title}\n{lines}\n\n{hint}"
    title = words.say("❌ <b>The training session on {when} is cancelled.</b>", when=when)
    hint = (
        words.say("You do not need to lead it. Thank you!")
        if role == Role.TRAINER
        else words.say("Sorry for the trouble. Other sessions are in 🎓 Trainings.")
    )
    return f"{title}\n{lines}\n\n{hint}"


def _reminder(words: Words, notice: Notice, lines: str, which: Which, role: Role) -> str:
    session = notice.session
    today = utcnow().astimezone(words.zone).date()
    if which == Which.DAY and session.starts_at.astimezone(words.zone).date() == today:
        title = words.say(TODAY_TITLE[role])
    else:
        title = words.say(REMINDER_TITLE[(which, role)])
    if role == Role.TRAINER:
        hint = words.say(
            "Signed up: {signed} of {capacity}. If you can't lead it, say so in 🧑‍🏫 My sessions.",
            signed=session.signed_up,
            capacity=session.capacity,
        )
    else:
        hint = words.say(
            "If you cannot come, cancel in 🎓 My trainings, so the place goes to others."
        )
    return f"{title}\n{lines}\n\n{hint}"


def trainer_dropped(words: Words, notice: Notice, user_id: int) -> str:
    """For the staff group: who dropped out of which session (a trainer who erased their
    data is not named), and who still leads it."""
    if user_id == ERASED_TRAINER:
        # Translators: in the staff group: the trainer erased their data with /forget.
        trainer = words.say("a trainer who erased their data")
    else:
        trainer = f'<a href="tg://user?id={int(user_id)}">{int(user_id)}</a>'
    title = words.say("⚠️ <b>A trainer can't lead session #{number}.</b>", number=notice.session.id)
    still = sum(1 for t in notice.session.trainers if t.answer != "declined")
    status = words.say_n(
        "{n} trainer still leads it or has not answered yet.",
        "{n} trainers still lead it or have not answered yet.",
        still,
    )
    # Translators: in the staff group: the peer trainer (a link to their Telegram account).
    who = words.say("Trainer: {trainer}", trainer=Safe(trainer))
    return f"{title}\n{who}\n{session_lines(words, notice)}\n\n{status}"
