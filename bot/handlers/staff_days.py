"""The day centres in the staff group: `/today [centre]` (the day's roster, with buttons to mark
who came) and `/close <centre> <date> <reason>` (close a day; core cancels its bookings and the
outbox tells each parent).

Core checks that the person is staff; a refusal is answered by the error handlers. A command
typed wrongly gets its usage, with the centres' codes, rather than an error.
"""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.error_texts import staff_problem_text
from bot.i18n import format_clock, format_weekday_date
from bot.outbox.words import Words, staff_words
from core import day_roster
from core.bookings import BookingStatus
from core.clock import utcnow
from core.day_roster import CentreRoster, RosterLine
from core.errors import BookingRefused, InvalidInput, NotFound
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database

# Bookings per roster message: with every line bounded (NAME_LIMIT), a page stays well under
# Telegram's 4096 characters and 100 buttons whatever the day holds.
PAGE = 15
NAME_LIMIT = 48
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
MARKED = "● "
CLOSE_USAGE = N_(
    "Send /close, the centre's code, the date and the reason, for example:\n"
    "/close {example} 2027-03-01 Repairs\nCentres: {centres}"
)
TODAY_USAGE = N_("Send /today, or /today and a centre's code.\nCentres: {centres}")


class Attendance(CallbackData, prefix="att"):
    booking_id: int
    came: bool


def _line(words: Words, line: RosterLine) -> str:
    booking = line.booking
    children = words.say_n("{n} child", "{n} children", booking.children)
    if booking.ages:
        children += " (" + ", ".join(str(age) for age in booking.ages) + ")"
    family = f'<a href="tg://user?id={line.user_id}">{line.user_id}</a>' if line.user_id else "—"
    return " · ".join(
        [
            f"🕘 <b>{format_clock(booking.starts_at, words.zone)}</b>",
            f"<b>{booking.reference}</b>",
            words.pick(line.service_name, NAME_LIMIT),
            f"👧 {children}",
            f"👪 {family}",
        ]
    )


def _buttons(words: Words, line: RosterLine) -> list[InlineKeyboardButton]:
    booking = line.booking
    return [
        _button(words, booking.id, booking.reference, came, booking.status)
        for came in (True, False)
    ]


def _button(
    words: Words, booking_id: int, reference: str, came: bool, status: BookingStatus
) -> InlineKeyboardButton:
    label = (
        # Translators: roster button in the staff group: the family came to the visit.
        words.say("✅ Came · {reference}", reference=reference)
        if came
        # Translators: roster button in the staff group: the family did not come.
        else words.say("🚫 Did not come · {reference}", reference=reference)
    )
    chosen = BookingStatus.ATTENDED if came else BookingStatus.NO_SHOW
    return InlineKeyboardButton(
        text=(MARKED if status == chosen else "") + label,
        callback_data=Attendance(booking_id=booking_id, came=came).pack(),
    )


def roster_messages(
    words: Words, day: date, rosters: list[CentreRoster]
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Each centre's roster in messages of at most PAGE visits, each with its buttons."""
    when = format_weekday_date(day, words.language)
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for roster in rosters:
        title = f"📋 <b>{words.pick(roster.name, NAME_LIMIT)}</b> · {when}"
        if not roster.lines:
            messages.append((title + "\n" + words.say("No visits booked."), None))
            continue
        pages = [roster.lines[i : i + PAGE] for i in range(0, len(roster.lines), PAGE)]
        for number, page in enumerate(pages, start=1):
            header = title
            if len(pages) > 1:
                header += f" ({number}/{len(pages)})"
            text = "\n".join([header, *(_line(words, line) for line in page)])
            keyboard = InlineKeyboardMarkup(inline_keyboard=[_buttons(words, ln) for ln in page])
            messages.append((text, keyboard))
    return messages


async def _centres(db: Database) -> str:
    return ", ".join(await day_roster.centre_names(db))


async def on_today(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    rules = settings.booking.rules(settings.locale.zone)
    centre = (command.args or "").strip().lower() or None
    day = utcnow().astimezone(rules.zone).date()
    try:
        rosters = await day_roster.roster(
            db, staff_id=message.from_user.id, rules=rules, centre_code=centre, day=day
        )
    except NotFound:
        await message.reply(words.say(TODAY_USAGE, centres=await _centres(db)))
        return
    for text, keyboard in roster_messages(words, day, rosters):
        await message.reply(text, reply_markup=keyboard)


async def on_attendance(
    callback: CallbackQuery, callback_data: Attendance, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    booking = await day_roster.mark_attendance(
        db,
        staff_id=callback.from_user.id,
        booking_id=callback_data.booking_id,
        came=callback_data.came,
        rules=settings.booking.rules(settings.locale.zone),
    )
    await callback.answer(
        # Translators: staff group, after a roster button: the family was marked as having come.
        words.say("✅ {reference}: came.", reference=booking.reference)
        if callback_data.came
        # Translators: staff group, after a roster button: the family was marked as absent.
        else words.say("🚫 {reference}: did not come.", reference=booking.reference)
    )
    message = callback.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        [_redrawn(words, button, booking.id, booking.reference, booking.status) for button in row]
        for row in message.reply_markup.inline_keyboard
    ]
    await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


def _redrawn(
    words: Words,
    button: InlineKeyboardButton,
    booking_id: int,
    reference: str,
    status: BookingStatus,
) -> InlineKeyboardButton:
    """The pressed booking's buttons show its new mark; the others stay as they are."""
    data = button.callback_data or ""
    if not data.startswith(Attendance.__prefix__ + ":"):
        return button
    attendance = Attendance.unpack(data)
    if attendance.booking_id != booking_id:
        return button
    return _button(words, booking_id, reference, attendance.came, status)


def parse_day(text: str) -> date | None:
    """A day as staff type it: 2027-03-01 or 01.03.2027."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


async def on_close(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    centres = await day_roster.centre_names(db)
    usage = words.say(
        CLOSE_USAGE, example=next(iter(centres), "centre"), centres=", ".join(centres)
    )
    parts = (command.args or "").split(maxsplit=2)
    day = parse_day(parts[1]) if len(parts) >= 2 else None
    if len(parts) < 3 or day is None:
        await message.reply(usage)
        return
    try:
        closed = await day_roster.close_day(
            db,
            staff_id=message.from_user.id,
            centre_code=parts[0].lower(),
            day=day,
            reason=parts[2],
            language=settings.staff.language,
            rules=settings.booking.rules(settings.locale.zone),
        )
    except (NotFound, InvalidInput, BookingRefused) as error:
        await message.reply(staff_problem_text(words, error) + "\n\n" + usage)
        return
    text = words.say_n(
        "🔒 {centre} is closed on {day}. {n} visit was cancelled; its family is being told.",
        "🔒 {centre} is closed on {day}. {n} visits were cancelled; their families are being told.",
        len(closed.cancelled),
        centre=words.pick(closed.centre_name),
        day=format_weekday_date(closed.day, words.language),
    )
    if closed.cancelled:
        text += "\n" + ", ".join(booking.reference for booking in closed.cancelled)
    await message.reply(text)


def register(router: Router) -> None:
    """Onto the staff group's router (bot.handlers.staff), before its catch-alls."""
    router.callback_query.register(on_attendance, Attendance.filter())
    router.message.register(on_today, Command("today"))
    router.message.register(on_close, Command("close"))
