"""`/session new` in the staff group: a short dialog, one question a message, then a summary
with Create / Cancel (core.training_sessions.create_session).

A small FSM of aiogram's own rather than aiogram-dialog: its state is kept per person in the
group (aiogram's user-in-chat key), so only the one who started it answers it and a
colleague's messages and presses pass it by; its texts are in the staff group's language,
not the person's; and its questions are plain replies in the topic where it began, which the
dialogs' single redrawn screen is not. What was answered stays in the state, so a bad answer
is told why and asked again without losing the rest. `/cancel` stops it.

The Create button's message names the session made from it (its import key), so a press
delivered twice makes one session.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, TypeGuard

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.error_texts import staff_problem_text
from bot.handlers.staff_days import parse_day
from bot.i18n import format_clock, format_weekday_date
from bot.outbox.training_texts import AUDIENCE
from bot.outbox.words import Words, staff_words
from bot.widgets import escape
from core import training_sessions, training_staff
from core.clock import utcnow
from core.errors import InvalidInput
from core.training_rules import (
    MAX_ADDRESS,
    MAX_CAPACITY,
    MAX_PLACE_NAME,
    MAX_TRAINERS,
    Audience,
    PlaceKind,
    SessionDraft,
    check_times,
)
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database

TIMES = re.compile(r"(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})")
NAME_LIMIT = 48
COLUMNS = 2

PLACE_KIND = {
    # Translators: where a training session takes place (a button, and a line in lists).
    PlaceKind.SCHOOL: N_("School"),
    # Translators: where a training session takes place (a button, and a line in lists).
    PlaceKind.DAY_CENTRE: N_("Day centre"),
    # Translators: where a training session takes place: a community room, a yard in the
    # settlement (a button, and a line in lists).
    PlaceKind.SETTLEMENT: N_("In the settlement"),
    # Translators: where a training session takes place (a button, and a line in lists).
    PlaceKind.OTHER: N_("Elsewhere"),
}


class NewSession(StatesGroup):
    programme = State()
    settlement = State()
    day = State()
    times = State()
    place_kind = State()
    place = State()
    audience = State()
    capacity = State()
    trainers = State()
    confirm = State()


class Pick(CallbackData, prefix="sn"):
    """A choice in the dialog: which question (`field`) and the code chosen."""

    field: str
    value: str


THREAD = "thread"  # in the state's data: the topic the questions are asked in (None: General)


class Typed(Filter):
    """A typed answer: text that is not a command (a command goes to its own handler), in the
    topic where the question was asked. What the same person writes meanwhile in a request's
    topic is a reply to that parent, and must reach them, not be taken for an answer here."""

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        if not message.text or message.text.startswith("/"):
            return False
        return (await state.get_data()).get(THREAD) == message.message_thread_id


QUESTIONS = {
    # Translators: the first question of /session new in the staff group (a new training session).
    NewSession.programme.state: N_("1/9 · Which programme?"),
    NewSession.settlement.state: N_("2/9 · In which settlement?"),
    NewSession.day.state: N_("3/9 · On which day? For example 2027-03-01 or 01.03.2027."),
    NewSession.times.state: N_("4/9 · From when to when? For example 14:00-16:00."),
    NewSession.place_kind.state: N_("5/9 · Where does it take place?"),
    NewSession.place.state: N_(
        "6/9 · The place's name on the first line, its address on the second, for example:\n"
        "School No. 5\n12 Lenin street"
    ),
    NewSession.audience.state: N_("7/9 · Whom is it for?"),
    NewSession.capacity.state: N_("8/9 · How many people can come? A number from 1 to {most}."),
    NewSession.trainers.state: N_(
        "9/9 · The trainers' Telegram user ids, separated by spaces (at most {most}), "
        "for example 123456789. A trainer must have started Koldo once."
    ),
}


def parse_times(text: str) -> tuple[time, time] | None:
    """«14:00-16:00» (also 14.00–16.00) as two times of day; None when it says something else."""
    found = TIMES.fullmatch(text.strip())
    if found is None:
        return None
    hours_from, minutes_from, hours_to, minutes_to = (int(part) for part in found.groups())
    try:
        return time(hours_from, minutes_from), time(hours_to, minutes_to)
    except ValueError:
        return None


def plain(texts: dict[str, str], language: str) -> str:
    """Reference data for a button (not HTML, so not escaped), cut to fit a line."""
    text = texts.get(language) or texts.get("ru") or next(iter(texts.values()), "")
    return text if len(text) <= NAME_LIMIT else text[: NAME_LIMIT - 1] + "…"


def _keyboard(field: str, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=label, callback_data=Pick(field=field, value=code).pack())
        for code, label in options
    ]
    rows = [buttons[i : i + COLUMNS] for i in range(0, len(buttons), COLUMNS)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _options(state: FSMContext, field: str, words: Words) -> list[tuple[str, str]]:
    data = await state.get_data()
    if field in ("programme", "settlement"):
        return [(code, plain(name, words.language)) for code, name in data[field + "s"]]
    if field == "place_kind":
        return [(kind.value, words.say(label)) for kind, label in PLACE_KIND.items()]
    return [(audience.value, words.say(label)) for audience, label in AUDIENCE.items()]


async def _ask(
    message: Message, state: FSMContext, words: Words, step: State, problem: str = ""
) -> None:
    """Put the question of `step` (with its buttons when its choice is closed), after what was
    wrong with the last answer when there is a `problem`."""
    await state.set_state(step)
    field = (step.state or "").split(":")[-1]
    most = MAX_CAPACITY if field == "capacity" else MAX_TRAINERS
    text = words.say(QUESTIONS[step.state or ""], most=most)
    if problem:
        text = f"⚠️ {problem}\n\n{text}"
    keyboard = None
    if field in ("programme", "settlement", "place_kind", "audience"):
        keyboard = _keyboard(field, await _options(state, field, words))
    asked = await message.answer(text, reply_markup=keyboard)
    await state.update_data({"asked": asked.message_id})


async def _again(message: Message, state: FSMContext, words: Words, problem: str) -> None:
    """A bad answer: why, and the same question again; the answers before it are kept."""
    current = await state.get_state()
    step = next(s for s in NewSession.__states__ if s.state == current)
    await _ask(message, state, words, step, problem)


async def on_session_command(
    message: Message, command: CommandObject, state: FSMContext, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    if (command.args or "").strip().lower() != "new":
        await message.reply(
            words.say("Send /session new to add a training session, /sessions to list them.")
        )
        return
    choices = await training_staff.session_choices(db, actor_id=message.from_user.id)
    await state.set_data(
        {
            THREAD: message.message_thread_id,
            "programmes": [[named.code, named.name] for named in choices.programmes],
            "settlements": [[named.code, named.name] for named in choices.settlements],
        }
    )
    await message.reply(words.say("🆕 <b>A new training session.</b> /cancel stops at any step."))
    await _ask(message, state, words, NewSession.programme)


async def _is_current(message: object, state: FSMContext, step: str | None) -> TypeGuard[Message]:
    """The button pressed is on the question this person is being asked now."""
    if not isinstance(message, Message) or await state.get_state() != step:
        return False
    return (await state.get_data()).get("asked") == message.message_id


NEXT_AFTER_PICK = {
    "programme": NewSession.settlement,
    "settlement": NewSession.day,
    "place_kind": NewSession.place,
    "audience": NewSession.capacity,
}


async def on_pick(
    callback: CallbackQuery, callback_data: Pick, state: FSMContext, settings: Settings
) -> None:
    """A button of the current question, pressed by the one who was asked it; anyone else's
    press changes nothing (it finds no dialog of theirs, or theirs asked on another message)."""
    words = staff_words(settings)
    message = callback.message
    field = callback_data.field
    if not await _is_current(message, state, f"NewSession:{field}"):
        await callback.answer()
        return
    if callback_data.value not in {code for code, _ in await _options(state, field, words)}:
        await callback.answer()
        return
    await state.update_data({field: callback_data.value})
    chosen = dict(await _options(state, field, words))[callback_data.value]
    await callback.answer()
    await message.edit_text(f"{message.html_text}\n✅ {escape(chosen)}", reply_markup=None)
    await _ask(message, state, words, NEXT_AFTER_PICK[field])


async def on_day(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    day = parse_day(message.text or "")
    if day is None:
        await _again(message, state, words, words.say("This is not a date I can read."))
        return
    if day < utcnow().astimezone(settings.locale.zone).date():
        await _again(message, state, words, words.say("This day has already passed."))
        return
    await state.update_data({"day": day.isoformat()})
    await _ask(message, state, words, NewSession.times)


def moments(day: date, times: tuple[time, time], settings: Settings) -> tuple[datetime, datetime]:
    zone = settings.locale.zone
    return datetime.combine(day, times[0], zone), datetime.combine(day, times[1], zone)


async def on_times(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    times = parse_times(message.text or "")
    if times is None:
        await _again(message, state, words, words.say("Please write the times like 14:00-16:00."))
        return
    day = date.fromisoformat((await state.get_data())["day"])
    try:
        check_times(*moments(day, times, settings), utcnow())
    except InvalidInput as error:
        await _again(message, state, words, staff_problem_text(words, error))
        return
    await state.update_data({"times": [times[0].isoformat(), times[1].isoformat()]})
    await _ask(message, state, words, NewSession.place_kind)


async def on_place(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    name, _, address = (message.text or "").strip().partition("\n")
    name, address = " ".join(name.split()), " ".join(address.split())
    if not name or len(name) > MAX_PLACE_NAME or len(address) > MAX_ADDRESS:
        problem = words.say(
            "The name may have at most {name} characters, the address at most {address}.",
            name=MAX_PLACE_NAME, address=MAX_ADDRESS,
        )  # fmt: skip
        await _again(message, state, words, problem)
        return
    await state.update_data({"place_name": name, "address": address})
    await _ask(message, state, words, NewSession.audience)


async def on_capacity(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_CAPACITY:
        problem = words.say("Please send a number from 1 to {most}.", most=MAX_CAPACITY)
        await _again(message, state, words, problem)
        return
    await state.update_data({"capacity": int(text)})
    await _ask(message, state, words, NewSession.trainers)


async def on_trainers(message: Message, state: FSMContext, settings: Settings) -> None:
    words = staff_words(settings)
    parts = [part for part in re.split(r"[\s,;]+", message.text or "") if part]
    if not parts or len(parts) > MAX_TRAINERS or not all(p.isdigit() for p in parts):
        problem = words.say(
            "Please send from 1 to {most} Telegram user ids (numbers), separated by spaces.",
            most=MAX_TRAINERS,
        )
        await _again(message, state, words, problem)
        return
    await state.update_data({"trainers": [int(part) for part in dict.fromkeys(parts)]})
    await state.set_state(NewSession.confirm)
    asked = await message.answer(
        summary(words, await state.get_data(), settings),
        reply_markup=_keyboard(
            "confirm",
            [
                # Translators: button under the summary of a new training session.
                ("create", words.say("✅ Create")),
                # Translators: button under the summary of a new training session.
                ("drop", words.say("✖ Cancel")),
            ],
        ),
    )
    await state.update_data({"asked": asked.message_id})


def draft_of(data: dict[str, Any], settings: Settings) -> SessionDraft:
    day = date.fromisoformat(data["day"])
    starts_at, ends_at = moments(
        day, (time.fromisoformat(data["times"][0]), time.fromisoformat(data["times"][1])), settings
    )
    return SessionDraft(
        programme_code=data["programme"],
        starts_at=starts_at,
        ends_at=ends_at,
        settlement_code=data["settlement"],
        place_kind=data["place_kind"],
        place_name=data["place_name"],
        address=data["address"],
        audience=data["audience"],
        capacity=data["capacity"],
        trainer_ids=tuple(data["trainers"]),
    )


def summary(words: Words, data: dict[str, Any], settings: Settings) -> str:
    draft = draft_of(data, settings)
    programmes, settlements = dict(data["programmes"]), dict(data["settlements"])
    place = ", ".join(part for part in (escape(draft.place_name), escape(draft.address)) if part)
    lines = [
        words.say("<b>Create this session?</b>"),
        f"🎓 {words.pick(programmes.get(draft.programme_code, {}), NAME_LIMIT)}",
        f"🏘 {words.pick(settlements.get(draft.settlement_code, {}), NAME_LIMIT)}",
        f"📅 {format_weekday_date(draft.starts_at.date(), words.language)}, "
        f"{format_clock(draft.starts_at, words.zone)}–{format_clock(draft.ends_at, words.zone)}",
        f"📍 {words.say(PLACE_KIND[PlaceKind(draft.place_kind)])}: {place}",
        f"👥 {words.say(AUDIENCE[Audience(draft.audience)])}",
        # Translators: summary of a new training session: how many people can come.
        words.say("🪑 Places: {n}", n=draft.capacity),
        # Translators: summary of a new training session: its trainers' Telegram ids.
        words.say("🧑‍🏫 Trainers: {ids}", ids=", ".join(map(str, draft.trainer_ids))),
    ]
    return "\n".join(lines)


# Where a refusal of the finished draft sends the dialog back to.
STEP_OF = {
    "unknown_trainer": NewSession.trainers,
    "trainers": NewSession.trainers,
    "in_the_past": NewSession.day,
    "ends": NewSession.times,
    "time": NewSession.times,
    "programme": NewSession.programme,
    "settlement": NewSession.settlement,
}


async def on_confirm(
    callback: CallbackQuery,
    callback_data: Pick,
    state: FSMContext,
    db: Database,
    settings: Settings,
) -> None:
    words = staff_words(settings)
    message = callback.message
    if not await _is_current(message, state, NewSession.confirm.state):
        await callback.answer()
        return
    await message.edit_reply_markup(reply_markup=None)
    if callback_data.value != "create":
        await state.clear()
        await callback.answer()
        await message.answer(words.say("Nothing was created."))
        return
    data = await state.get_data()
    try:
        session = await training_sessions.create_session(
            db,
            actor_id=callback.from_user.id,
            draft=draft_of(data, settings),
            key=f"staff:{message.chat.id}:{message.message_id}",
        )
    except InvalidInput as error:
        await callback.answer()
        step = STEP_OF.get(error.code, NewSession.trainers)
        await _ask(message, state, words, step, staff_problem_text(words, error))
        return
    await state.clear()
    await callback.answer()
    await message.answer(
        words.say(
            "✅ Session #{id} is created. Its trainers and the parents who asked to hear of "
            "such sessions are being told. /sessions {day} lists it.",
            id=session.id,
            day=session.starts_at.astimezone(words.zone).date().isoformat(),
        )
    )


async def on_cancel(message: Message, state: FSMContext, settings: Settings) -> None:
    """Stop whatever this person was asked in the group (a new session, a move, a report)."""
    if await state.get_state() is None:
        return
    await state.clear()
    await message.reply(staff_words(settings).say("Stopped. Nothing was changed."))


def register(router: Router) -> None:
    """Onto the staff group's router (bot.handlers.staff), before its catch-alls."""
    router.message.register(on_cancel, Command("cancel"))
    router.message.register(on_session_command, Command("session"))
    router.callback_query.register(on_confirm, Pick.filter(F.field == "confirm"))
    router.callback_query.register(on_pick, Pick.filter())
    typed = Typed()
    router.message.register(on_day, StateFilter(NewSession.day), typed)
    router.message.register(on_times, StateFilter(NewSession.times), typed)
    router.message.register(on_place, StateFilter(NewSession.place), typed)
    router.message.register(on_capacity, StateFilter(NewSession.capacity), typed)
    router.message.register(on_trainers, StateFilter(NewSession.trainers), typed)
