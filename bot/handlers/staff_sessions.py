"""Training sessions in the staff group: `/sessions [date | week]` lists them, each with Move
and Cancel (and, once over, a button to correct its attendance report; `/report_fix ID` does
the same). Moving asks the new date and times and then "move it?"; cancelling asks "sure?";
core tells everyone concerned. A correction asks the eight numbers and a note.

Core checks that the person is staff at every step (the list, each button, each change); a
refusal is answered by the error handlers. What a person types for a move or a report is kept
in their own state in the group (bot.handlers.staff_session_new explains why not a dialog).
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.error_texts import staff_problem_text
from bot.handlers.staff_days import parse_day
from bot.handlers.staff_session_new import (
    NAME_LIMIT,
    PLACE_KIND,
    THREAD,
    Typed,
    moments,
    parse_times,
)
from bot.i18n import format_clock, format_weekday_date
from bot.outbox.training_texts import AUDIENCE
from bot.outbox.words import Words, staff_words
from bot.widgets import escape
from core import training_reports, training_sessions, training_staff
from core.clock import utcnow
from core.errors import InvalidInput
from core.training_reports import Attendance, Report
from core.training_rules import OPEN_STATUSES, SessionInfo, SessionStatus, TrainerAnswer
from core.training_staff import StaffList
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database

# Sessions per message: every line is bounded (names and places cut, at most five trainers),
# so a page stays well under Telegram's 4096 characters and 100 buttons.
PAGE = 6
PLACE_LIMIT = 60
WEEK = 7
KEEP_NOTE = "-"

STATUS = {
    # Translators: a training session's status in the staff group's list.
    SessionStatus.PLANNED: N_("planned"),
    # Translators: a training session's status in the staff group's list.
    SessionStatus.MOVED: N_("moved"),
    # Translators: a training session's status in the staff group's list.
    SessionStatus.CANCELLED: N_("cancelled"),
    # Translators: a training session's status: it took place and its attendance was reported.
    SessionStatus.HELD: N_("held"),
}
ANSWER = {
    # Translators: a trainer's answer to a session, in the staff group's list.
    TrainerAnswer.PENDING: N_("no answer yet"),
    # Translators: a trainer's answer to a session: "I will lead it".
    TrainerAnswer.LEADING: N_("will lead"),
    # Translators: a trainer's answer to a session: "I can't".
    TrainerAnswer.DECLINED: N_("can't"),
}
SESSIONS_USAGE = N_(
    "Send /sessions for today's sessions, /sessions 2027-03-01 (or 01.03.2027) for a day, "
    "/sessions week for the next 7 days."
)
NUMBERS_PROMPT = N_(
    "📝 <b>Attendance of session #{id}</b>\nNow: {now}\n\n"
    "Send eight numbers: girls, boys, women, men, then after a slash the ages 6–9, 10–13, "
    "14–16 and adults. Both halves must add up to the same total. For example:\n"
    "<code>3 4 2 1 / 2 3 2 3</code>\n/cancel stops."
)
MOVE_PROMPT = N_(
    "🔁 Send the new date and times, for example <code>2027-03-01 14:00-16:00</code>. "
    "/cancel stops."
)
NOTE_PROMPT = N_("A note for the report, or {keep} to keep the one it has: «{note}».")


class SessionAct(CallbackData, prefix="ss"):
    """A button on a listed session: move, cancel, fix (its report), and the answers to "sure?"."""

    action: str
    session_id: int


class MoveSession(StatesGroup):
    when = State()
    confirm = State()


class FixReport(StatesGroup):
    numbers = State()
    note = State()


def _trainers(words: Words, session: SessionInfo) -> str:
    return ", ".join(
        f'<a href="tg://user?id={t.user_id}">{t.user_id}</a> ({words.say(ANSWER[t.answer])})'
        for t in session.trainers
    )


def _when(words: Words, session: SessionInfo, with_day: bool) -> str:
    zone = words.zone
    times = f"{format_clock(session.starts_at, zone)}–{format_clock(session.ends_at, zone)}"
    if not with_day:
        return times
    day = format_weekday_date(session.starts_at.astimezone(words.zone).date(), words.language)
    return f"{day}, {times}"


def _cut(text: str) -> str:
    return escape(text if len(text) <= PLACE_LIMIT else text[: PLACE_LIMIT - 1] + "…")


def session_block(
    words: Words,
    session: SessionInfo,
    programme: dict[str, str],
    settlement: dict[str, str],
    *,
    with_day: bool = False,
) -> str:
    """One session in a few bounded lines."""
    place = ", ".join(
        part
        for part in (
            words.pick(settlement, NAME_LIMIT),
            _cut(session.place_name),
            _cut(session.address),
        )
        if part
    )
    return "\n".join(
        [
            f"<b>#{session.id} · {_when(words, session, with_day)} · "
            f"{words.pick(programme, NAME_LIMIT)}</b>",
            f"📍 {words.say(PLACE_KIND[session.place_kind])}: {place}",
            f"👥 {words.say(AUDIENCE[session.audience])} · "
            + words.say(
                "signed up {signed_up} of {capacity}",
                signed_up=session.signed_up,
                capacity=session.capacity,
            )
            + f" · {words.say(STATUS[session.status])}",
            f"🧑‍🏫 {_trainers(words, session)}",
        ]
    )


def _buttons(words: Words, session: SessionInfo) -> list[InlineKeyboardButton]:
    now = utcnow()
    actions = []
    if session.status in OPEN_STATUSES and session.starts_at > now:
        # Translators: button on a listed training session: give it another date or time.
        actions.append(("move", words.say("🔁 Move #{id}", id=session.id)))
        # Translators: button on a listed training session.
        actions.append(("cancel", words.say("✖ Cancel #{id}", id=session.id)))
    if session.status == SessionStatus.HELD or (
        session.status in OPEN_STATUSES and session.ends_at <= now
    ):
        # Translators: button on a training session that took place: set its report right.
        actions.append(("fix", words.say("📝 Report #{id}", id=session.id)))
    return [
        InlineKeyboardButton(
            text=label, callback_data=SessionAct(action=action, session_id=session.id).pack()
        )
        for action, label in actions
    ]


def list_messages(
    words: Words, title: str, found: StaffList, *, with_day: bool
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The sessions in messages of at most PAGE, each with its buttons."""
    if not found.sessions:
        return [(title + "\n" + words.say("No training sessions."), None)]
    pages = [found.sessions[i : i + PAGE] for i in range(0, len(found.sessions), PAGE)]
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for number, page in enumerate(pages, start=1):
        header = title + (f" ({number}/{len(pages)})" if len(pages) > 1 else "")
        blocks = [
            session_block(
                words,
                session,
                found.programmes.get(session.programme_code, {}),
                found.settlements.get(session.settlement_code, {}),
                with_day=with_day,
            )
            for session in page
        ]
        rows = [row for row in (_buttons(words, session) for session in page) if row]
        keyboard = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        messages.append(("\n\n".join([header, *blocks]), keyboard))
    return messages


async def on_sessions(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    zone = settings.locale.zone
    argument = (command.args or "").strip().lower()
    today = utcnow().astimezone(zone).date()
    day = today if not argument or argument == "week" else parse_day(argument)
    if day is None:
        await message.reply(words.say(SESSIONS_USAGE))
        return
    days = WEEK if argument == "week" else 1
    start = datetime.combine(day, datetime.min.time(), zone)
    found = await training_staff.staff_sessions(
        db, actor_id=message.from_user.id, start=start, end=start + timedelta(days=days)
    )
    when = format_weekday_date(day, words.language)
    if days > 1:
        when += " – " + format_weekday_date(day + timedelta(days=days - 1), words.language)
    title = words.say("🎓 <b>Training sessions</b> · {when}", when=when)
    for text, keyboard in list_messages(words, title, found, with_day=days > 1):
        await message.reply(text, reply_markup=keyboard)


def _block(words: Words, about: training_staff.StaffSession) -> str:
    return session_block(words, about.session, about.programme, about.settlement, with_day=True)


async def on_session_button(
    callback: CallbackQuery,
    callback_data: SessionAct,
    state: FSMContext,
    db: Database,
    settings: Settings,
) -> None:
    words = staff_words(settings)
    message = callback.message
    action, session_id = callback_data.action, callback_data.session_id
    if not isinstance(message, Message):
        await callback.answer()
        return
    if action in ("cancel_yes", "move_yes"):
        await _change(callback, callback_data, state, db, settings)
        return
    about = await training_staff.staff_session(
        db, actor_id=callback.from_user.id, session_id=session_id
    )
    if action == "keep":
        if await state.get_state() == MoveSession.confirm.state:
            await state.clear()
        await callback.answer(words.say("Nothing was changed."))
        await message.edit_reply_markup(reply_markup=None)
        return
    await callback.answer()
    if action == "cancel":
        keyboard = _yes_no(words, "cancel_yes", session_id, words.say("✖ Yes, cancel it"))
        text = words.say(
            "Cancel this session? Its trainers and everyone signed up are told at once."
        )
        await message.answer(f"{text}\n\n{_block(words, about)}", reply_markup=keyboard)
    elif action == "move":
        await state.set_state(MoveSession.when)
        await state.set_data({THREAD: message.message_thread_id, "session_id": session_id})
        await message.answer(_block(words, about) + "\n\n" + words.say(MOVE_PROMPT))
    elif action == "fix":
        await _ask_numbers(message, state, words, about)


def _yes_no(words: Words, action: str, session_id: int, yes: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=yes,
                    callback_data=SessionAct(action=action, session_id=session_id).pack(),
                ),
                InlineKeyboardButton(
                    # Translators: button: do not move or cancel the session after all.
                    text=words.say("No, keep it"),
                    callback_data=SessionAct(action="keep", session_id=session_id).pack(),
                ),
            ]
        ]
    )


async def on_move_when(
    message: Message, state: FSMContext, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    day_text, _, times_text = (message.text or "").strip().partition(" ")
    day, times = parse_day(day_text), parse_times(times_text)
    if day is None or times is None:
        await message.reply("⚠️ " + words.say(MOVE_PROMPT))
        return
    starts_at, ends_at = moments(day, times, settings)
    data = await state.get_data()
    await state.update_data({"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    await state.set_state(MoveSession.confirm)
    session_id = int(data["session_id"])
    clock_times = f"{format_clock(starts_at, words.zone)}–{format_clock(ends_at, words.zone)}"
    when = f"{format_weekday_date(day, words.language)}, {clock_times}"
    text = words.say(
        "Move session #{id} to {when}? Its trainers and everyone signed up are told at once.",
        id=session_id,
        when=when,
    )
    keyboard = _yes_no(words, "move_yes", session_id, words.say("🔁 Yes, move it"))
    await message.reply(text, reply_markup=keyboard)


async def _change(
    callback: CallbackQuery,
    callback_data: SessionAct,
    state: FSMContext,
    db: Database,
    settings: Settings,
) -> None:
    """The answer to "sure?": cancel, or move to the times this person typed."""
    words = staff_words(settings)
    message = callback.message
    assert isinstance(message, Message)
    session_id, staff_id = callback_data.session_id, callback.from_user.id
    if callback_data.action == "cancel_yes":
        session = await training_sessions.cancel_session(
            db, actor_id=staff_id, session_id=session_id
        )
        done = words.say(
            "✖ Session #{id} is cancelled; everyone concerned is being told.", id=session.id
        )
    else:
        data = await state.get_data()
        asked = await state.get_state() == MoveSession.confirm.state
        if not asked or data.get("session_id") != session_id:
            await callback.answer()
            return
        try:
            session = await training_sessions.move_session(
                db, actor_id=staff_id, session_id=session_id,
                starts_at=datetime.fromisoformat(data["starts_at"]),
                ends_at=datetime.fromisoformat(data["ends_at"]),
            )  # fmt: skip
        except InvalidInput as error:
            await state.set_state(MoveSession.when)
            await callback.answer()
            await message.edit_reply_markup(reply_markup=None)
            problem = staff_problem_text(words, error)
            await message.answer(f"⚠️ {problem}\n\n{words.say(MOVE_PROMPT)}")
            return
        await state.clear()
        done = words.say(
            "🔁 Session #{id} is moved to {when}; everyone concerned is being told.",
            id=session.id, when=_when(words, session, with_day=True),
        )  # fmt: skip
    await callback.answer()
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(done)


def _figures(attendance: Attendance) -> str:
    values = [getattr(attendance, field.name) for field in fields(Attendance)]
    return " ".join(map(str, values[:4])) + " / " + " ".join(map(str, values[4:]))


async def _ask_numbers(
    message: Message, state: FSMContext, words: Words, about: training_staff.StaffSession
) -> None:
    report: Report | None = about.report
    now = _figures(report.attendance) if report else "—"
    await state.set_state(FixReport.numbers)
    await state.set_data(
        {
            THREAD: message.message_thread_id,
            "session_id": about.session.id,
            "note": report.note if report else "",
        }
    )
    await message.answer(
        _block(words, about) + "\n\n" + words.say(NUMBERS_PROMPT, id=about.session.id, now=now)
    )


def parse_attendance(text: str) -> Attendance | None:
    """«3 4 2 1 / 2 3 2 3»: girls, boys, women, men / 6–9, 10–13, 14–16, adults."""
    halves = text.split("/")
    if len(halves) != 2:
        return None
    numbers = [re.findall(r"\S+", half) for half in halves]
    if [len(half) for half in numbers] != [4, 4] or not all(
        value.isdigit() for half in numbers for value in half
    ):
        return None
    return Attendance(*(int(value) for half in numbers for value in half))


async def on_fix_command(
    message: Message, command: CommandObject, state: FSMContext, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    argument = (command.args or "").strip().lstrip("#")
    if not argument.isdigit():
        await message.reply(
            words.say("Send /report_fix and the session's number, for example /report_fix 12.")
        )
        return
    about = await training_staff.staff_session(
        db, actor_id=message.from_user.id, session_id=int(argument)
    )
    await _ask_numbers(message, state, words, about)


async def on_numbers(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    attendance = parse_attendance(message.text or "")
    if attendance is None:
        data = await state.get_data()
        await message.reply("⚠️ " + words.say(NUMBERS_PROMPT, id=data["session_id"], now="—"))
        return
    try:
        attendance.check()
    except InvalidInput as error:
        await message.reply("⚠️ " + staff_problem_text(words, error))
        return
    await state.update_data({"numbers": _figures(attendance)})
    await state.set_state(FixReport.note)
    note = (await state.get_data())["note"]
    await message.reply(words.say(NOTE_PROMPT, keep=KEEP_NOTE, note=note or "—"))


async def on_note(message: Message, state: FSMContext, db: Database, settings: Settings) -> None:
    words = staff_words(settings)
    data = await state.get_data()
    attendance = parse_attendance(data["numbers"])
    assert attendance is not None
    text = (message.text or "").strip()
    report = await training_reports.correct_report(
        db,
        actor_id=message.from_user.id,
        session_id=int(data["session_id"]),
        attendance=attendance,
        note=None if text == KEEP_NOTE else text,
    )
    await state.clear()
    await message.reply(
        words.say(
            "✅ The report of session #{id} is corrected: {numbers}, {total} people.",
            id=report.session_id,
            numbers=_figures(report.attendance),
            total=report.attendance.total,
        )
    )


def register(router: Router) -> None:
    """Onto the staff group's router (bot.handlers.staff), before its catch-alls."""
    router.callback_query.register(on_session_button, SessionAct.filter())
    router.message.register(on_sessions, Command("sessions"))
    router.message.register(on_fix_command, Command("report_fix"))
    typed = Typed()
    router.message.register(on_move_when, StateFilter(MoveSession.when), typed)
    router.message.register(on_numbers, StateFilter(FixReport.numbers), typed)
    router.message.register(on_note, StateFilter(FixReport.note), typed)
