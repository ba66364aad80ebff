"""Booking a visit to a day centre: centre → service → day → time → how many children → each
child's age → summary → Confirm → the booking reference and what to bring. Moving a booked
visit (from My bookings) uses the same calendar and times, then asks "move it?".

The screens only ask; core.bookings decides. Whatever a button carries comes back through
core (a forged centre, service, day or time is refused there, or is simply not among the
choices), and a refusal is explained on the screen where the parent can choose again: a time
that filled meanwhile on the times of that day, drawn afresh. The Confirm button carries a key
made when the summary was shown, so a second press of it finds the booking the first made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.calendar import BookingCalendar
from bot.dialogs.info import day_centre_html, day_centres_html
from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import BookingSG, ConsentSG, MenuSG, MyBookingsSG
from bot.dialogs.visits import (
    centres,
    db,
    rules,
    service_html,
    services,
    user_id,
    visit_html,
    when,
)
from bot.i18n import format_clock, format_weekday_date, gettext_, ngettext_, pick
from bot.widgets import B, T, choices
from core.bookings import (
    BookingInfo,
    book,
    bookable_days,
    day_times,
    get_my_booking,
    move,
    parse_age,
)
from core.centres import CountedIn, ServiceInfo
from core.errors import BookingRefused, NotFound
from core.waiting_list import join

CENTRE, SERVICE, DAY, TIME, CHILDREN, AGES, KEY, BOOKED, FULL, LINE, MOVING = (
    "centre", "service", "day", "time", "children", "ages", "key", "booked", "full", "line",
    "moving",
)  # fmt: skip
MOST_CHILDREN_SHOWN = 6  # buttons on the "how many children" screen
# What this dialog says for codes other screens word otherwise.
OWN_CODES = {"consent_required": "booking_consent"}


# --- what the parent chose so far ------------------------------------------------------------


async def _service(manager: DialogManager) -> ServiceInfo:
    service = (await services(manager, manager.dialog_data[CENTRE])).get(
        manager.dialog_data[SERVICE]
    )
    if service is None:  # withdrawn since it was chosen
        raise NotFound("service")
    return service


def _day(manager: DialogManager) -> date:
    return date.fromisoformat(manager.dialog_data[DAY])


def _starts_at(manager: DialogManager) -> datetime:
    return datetime.fromisoformat(manager.dialog_data[TIME])


def _ages_complete(data: dict[str, Any]) -> bool:
    return CHILDREN in data and len(data.get(AGES, [])) == data[CHILDREN]


async def _to_summary(manager: DialogManager) -> None:
    """The summary's Confirm gets a key of its own: pressed twice, it books once."""
    manager.dialog_data[KEY] = secrets.token_hex(8)
    await manager.switch_to(BookingSG.summary)


# --- opened from elsewhere ------------------------------------------------------------------


async def on_booking_start(start_data: Data, manager: DialogManager) -> None:
    """Opened at a service's calendar (see `start_at_calendar` and `start_moving`): the centre
    and service are what the first screens would have chosen; when moving, which booking."""
    if isinstance(start_data, dict) and CENTRE in start_data:
        manager.dialog_data[CENTRE] = start_data[CENTRE]
        manager.dialog_data[SERVICE] = start_data[SERVICE]
        if MOVING in start_data:
            manager.dialog_data[MOVING] = start_data[MOVING]


async def start_at_calendar(manager: DialogManager, centre_code: str, service_code: str) -> None:
    """The calendar of a centre's service, above the menu (a visit to book again after its day
    closed); Back leads to the centre's services, as if the parent had come that way."""
    await manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    await manager.start(
        BookingSG.day,
        data={CENTRE: centre_code, SERVICE: service_code},
        show_mode=ShowMode.SEND,
    )


async def start_moving(manager: DialogManager, booking: BookingInfo) -> None:
    """The calendar of a booked visit's service, to choose its new day and time; the dialog
    ends (back to where it was opened) with {"moved": reference} once it is moved."""
    await manager.start(
        BookingSG.day,
        data={CENTRE: booking.centre_code, SERVICE: booking.service_code, MOVING: booking.id},
    )


def _moving(manager: DialogManager) -> bool:
    return MOVING in manager.dialog_data


# --- centres and services --------------------------------------------------------------------


async def centres_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    info = await dialog_manager.middleware_data["reference"].public_info()
    return {
        "centres_html": day_centres_html(info),
        "centres": [(c.code, f"🏠 {pick(c.name)}") for c in info.day_centres],
    }


async def on_centre(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    clear_problem(manager)
    if code not in await centres(manager):
        raise NotFound("service")
    manager.dialog_data[CENTRE] = code
    if manager.middleware_data["profile"].consented:
        await manager.switch_to(BookingSG.services)
    else:
        await manager.start(ConsentSG.notice, data={"then": "booking"})


async def on_consent(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """Back from the privacy notice asked for before a first booking."""
    if isinstance(result, dict) and result.get("consented"):
        await manager.switch_to(BookingSG.services)
    elif isinstance(result, dict) and "consented" in result:
        set_problem(manager, "booking_consent")


async def services_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    code = dialog_manager.dialog_data[CENTRE]
    centre = (await centres(dialog_manager))[code]
    offered = await services(dialog_manager, code)
    return {
        "centre_html": day_centre_html(centre),
        "services": [(s.code, pick(s.name)) for s in offered.values()],
    }


async def on_service(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    clear_problem(manager)
    if code not in await services(manager, manager.dialog_data[CENTRE]):
        raise NotFound("service")
    for key in (DAY, TIME, CHILDREN, AGES):
        manager.dialog_data.pop(key, None)
    manager.dialog_data[SERVICE] = code
    await manager.switch_to(BookingSG.day)


# --- day and time ----------------------------------------------------------------------------


def _service_texts(service: ServiceInfo) -> dict[str, Any]:
    return {"service_html": service_html(service), "adult_required": service.adult_required}


async def day_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = await _service(dialog_manager)
    days = await bookable_days(
        db(dialog_manager),
        centre_code=service.centre_code,
        service_code=service.code,
        rules=rules(dialog_manager),
    )
    return {
        **_service_texts(service),
        "moving": _moving(dialog_manager),
        "days": {d.day.isoformat(): d.state.value for d in days},
        "first": days[0].day.isoformat(),
        "last": days[-1].day.isoformat(),
    }


async def on_day(_event: Any, _widget: Any, manager: DialogManager, day: date) -> None:
    """A day pressed on the calendar: core says whether it can be booked (a stale calendar
    may offer a day that has passed or closed since). A full day leads to its times all the
    same, where a parent booking can join a time's waiting list; a visit cannot move there."""
    clear_problem(manager)
    times = await day_times(
        db(manager),
        centre_code=manager.dialog_data[CENTRE],
        service_code=manager.dialog_data[SERVICE],
        day=day,
        rules=rules(manager),
    )
    full = not any(t.places_left for t in times)
    if full and _moving(manager):
        set_problem(manager, "day_full")
        return
    manager.dialog_data[DAY] = day.isoformat()
    if full:
        set_problem(manager, "day_full_wait")
    await manager.switch_to(BookingSG.time)


def _time_id(moment: datetime, manager: DialogManager) -> str:
    """A time's button data: its local hour and minute («1000»), never shown."""
    local = moment.astimezone(rules(manager).zone)
    return f"{local.hour:02d}{local.minute:02d}"


async def time_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = await _service(dialog_manager)
    zone = rules(dialog_manager).zone
    try:
        times = await day_times(
            db(dialog_manager),
            centre_code=service.centre_code,
            service_code=service.code,
            day=_day(dialog_manager),
            rules=rules(dialog_manager),
        )
    except BookingRefused:
        # The day passed or closed while the parent was on the summary: Confirm's refusal
        # says so above, and Back leads to the calendar.
        times = []
    items = []
    for slot in times:
        clock = format_clock(slot.starts_at, zone)
        if slot.places_left:
            label = ngettext_(
                # Translators: a time button: the start of a visit and how many places are left.
                "{time} · {places} place",
                "{time} · {places} places",
                slot.places_left,
            ).format(time=clock, places=slot.places_left)
        else:
            # Translators: a time button: nobody more can be booked at this time.
            label = gettext_("{time} · full").format(time=clock)
        items.append((_time_id(slot.starts_at, dialog_manager), label))
    return {
        **_service_texts(service),
        "day": format_weekday_date(_day(dialog_manager)),
        "times": items,
    }


async def on_time(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    times = await day_times(
        db(manager),
        centre_code=manager.dialog_data[CENTRE],
        service_code=manager.dialog_data[SERVICE],
        day=_day(manager),
        rules=rules(manager),
    )
    chosen = next((t for t in times if _time_id(t.starts_at, manager) == item), None)
    if chosen is None:
        set_problem(manager, "not_a_slot")
        return
    if _moving(manager):
        if not chosen.places_left:
            set_problem(manager, "move_full")
            return
        manager.dialog_data[TIME] = chosen.starts_at.astimezone(UTC).isoformat()
        await manager.switch_to(BookingSG.move_summary)
        return
    # A full time leads to the same questions, and the summary offers its waiting list.
    manager.dialog_data[FULL] = not chosen.places_left
    manager.dialog_data[TIME] = chosen.starts_at.astimezone(UTC).isoformat()
    # After "that time just filled up", the children already given are kept.
    if _ages_complete(manager.dialog_data):
        await _to_summary(manager)
    else:
        await manager.switch_to(BookingSG.children)


# --- children --------------------------------------------------------------------------------


async def children_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = await _service(dialog_manager)
    for_families = service.counted_in == CountedIn.FAMILIES
    return {
        "for_families": for_families,
        "counts": [
            (str(n), str(n)) for n in range(0 if for_families else 1, MOST_CHILDREN_SHOWN + 1)
        ],
    }


async def on_children(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    if not item.isdigit() or int(item) > MOST_CHILDREN_SHOWN:
        set_problem(manager, "use_buttons")
        return
    manager.dialog_data[CHILDREN], manager.dialog_data[AGES] = int(item), []
    if int(item):
        await manager.switch_to(BookingSG.age)
    else:
        await _to_summary(manager)


async def age_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    return {
        "one": data[CHILDREN] == 1,
        "number": len(data[AGES]) + 1,
        "count": data[CHILDREN],
    }


async def on_age(message: Message, _widget: Any, manager: DialogManager) -> None:
    age = parse_age(await _service(manager), message.text)
    clear_problem(manager)
    manager.dialog_data[AGES] = [*manager.dialog_data[AGES], age]
    if _ages_complete(manager.dialog_data):
        await _to_summary(manager)
    else:
        await manager.show()


async def on_not_text(_message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "not_text")


async def on_back_from_age(_event: Any, _widget: Any, manager: DialogManager) -> None:
    """Back one child, or to the number of children from the first."""
    clear_problem(manager)
    ages = manager.dialog_data[AGES]
    if ages:
        manager.dialog_data[AGES] = ages[:-1]
    else:
        await manager.switch_to(BookingSG.children)


async def on_back_from_summary(_event: Any, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    if manager.dialog_data[CHILDREN]:
        manager.dialog_data[AGES] = manager.dialog_data[AGES][:-1]
        await manager.switch_to(BookingSG.age)
    else:
        await manager.switch_to(BookingSG.children)


# --- summary and confirmation ----------------------------------------------------------------


def _chosen_when(manager: DialogManager, service: ServiceInfo) -> str:
    """The day and time chosen on these screens: «ср, 24 февраля, 12:00–12:30»."""
    zone = rules(manager).zone
    starts_at = _starts_at(manager)
    start, end = format_clock(starts_at, zone), format_clock(starts_at + service.length, zone)
    return f"{format_weekday_date(_day(manager))}, {start}–{end}"


async def summary_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    service = await _service(dialog_manager)
    centre = (await centres(dialog_manager))[data[CENTRE]]
    return {
        **_service_texts(service),
        "visit_html": visit_html(
            centre=pick(centre.name),
            address=pick(centre.address),
            service=pick(service.name),
            when=_chosen_when(dialog_manager, service),
        ),
        "children": data[CHILDREN],
        "has_children": bool(data[CHILDREN]),
        "ages": ", ".join(str(age) for age in data[AGES]),
        "full": bool(data.get(FULL)),
        "offer_minutes": rules(dialog_manager).offer_minutes,
    }


def _chosen(manager: DialogManager) -> dict[str, Any]:
    """The visit the parent chose on these screens, as core's book and join take it."""
    data = manager.dialog_data
    return {
        "user_id": user_id(manager),
        "centre_code": data[CENTRE],
        "service_code": data[SERVICE],
        "starts_at": _starts_at(manager),
        "ages": data[AGES],
        "rules": rules(manager),
    }


async def on_join(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    data = manager.dialog_data
    # A refusal (a place became free meanwhile, another visit at that time) is explained over
    # the times of the day, drawn afresh.
    await manager.switch_to(BookingSG.time)
    line = await join(db(manager), **_chosen(manager))
    data[LINE] = line.position
    await manager.switch_to(BookingSG.waiting)


async def waiting_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        **await summary_getter(dialog_manager, **kwargs),
        "position": dialog_manager.dialog_data[LINE],
    }


async def on_confirm(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    data = manager.dialog_data
    # A refusal (the time filled meanwhile, another visit at that time) is explained over
    # the times of the day, drawn afresh, where the parent can choose again.
    await manager.switch_to(BookingSG.time)
    booking = await book(db(manager), **_chosen(manager), key=data[KEY])
    data[BOOKED] = booking.reference
    await manager.switch_to(BookingSG.booked)


async def booked_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        **await summary_getter(dialog_manager, **kwargs),
        "reference": dialog_manager.dialog_data[BOOKED],
    }


async def on_not_booked(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done({"notice": "not_booked"})


async def on_my_bookings(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done({"open": "my_bookings"})


async def on_main_menu(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done()


# --- moving a booked visit ------------------------------------------------------------------


async def move_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    booking = await get_my_booking(
        db(dialog_manager),
        user_id=user_id(dialog_manager),
        booking_id=dialog_manager.dialog_data[MOVING],
    )
    service = await _service(dialog_manager)
    return {
        "reference": booking.reference,
        "service": pick(service.name),
        "old": when(booking, dialog_manager),
        "new": _chosen_when(dialog_manager, service),
    }


async def on_move(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # A refusal (the time filled meanwhile, another visit then) is explained over the times
    # of the day, drawn afresh.
    await manager.switch_to(BookingSG.time)
    changed = await move(
        db(manager),
        user_id=user_id(manager),
        booking_id=manager.dialog_data[MOVING],
        starts_at=_starts_at(manager),
        rules=rules(manager),
    )
    await manager.done({"moved": changed.booking.reference})


# --- screens ---------------------------------------------------------------------------------

BACK = B("⬅️ Back")
SERVICE_HEADER = (
    Format("{service_html}"),
    T("👩 A child comes with an adult.", when="adult_required"),
)
# Translators: button on the day centre screens: the parent's own bookings.
MY_BOOKINGS = B("📅 My bookings")


def _visit_lines() -> tuple[T, ...]:
    """The visit as the summary and the confirmation show it."""
    return (
        Format("\n{visit_html}"),
        T("👧 Children: {children} (age: {ages})", when="has_children"),
    )


def booking_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            T("🏠 <b>Day centres</b>\nChoose a centre to book a visit.\n\n{centres_html}"),
            Column(choices("centre", "centres", on_centre)),
            # Back from there comes back here.
            Start(MY_BOOKINGS, id="my_bookings", state=MyBookingsSG.list),
            Cancel(BACK),
            state=BookingSG.centres,
            getter=centres_getter,
        ),
        Window(
            ProblemText(),
            Format("{centre_html}"),
            T("\nWhat would you like to book?"),
            Column(choices("service", "services", on_service)),
            SwitchTo(BACK, id="to_centres", state=BookingSG.centres),
            state=BookingSG.services,
            getter=services_getter,
        ),
        Window(
            ProblemText(),
            *SERVICE_HEADER,
            T("\n📅 Choose a day.\n✖ — closed, 🔴 — no places left."),
            BookingCalendar(id="calendar", on_click=on_day),
            SwitchTo(BACK, id="to_services", state=BookingSG.services, when=~F["moving"]),
            Cancel(BACK, id="back_to_visit", when="moving"),
            state=BookingSG.day,
            getter=day_getter,
        ),
        Window(
            ProblemText(),
            *SERVICE_HEADER,
            T("\n📅 {day}\n🕘 Choose a time."),
            Group(choices("time", "times", on_time), width=2),
            SwitchTo(BACK, id="to_day", state=BookingSG.day),
            state=BookingSG.time,
            getter=time_getter,
        ),
        Window(
            ProblemText(),
            T("👧 How many children will come?", when=~F["for_families"]),
            T(
                "👧 How many children will come with you?\nIf you come alone, press 0.",
                when="for_families",
            ),
            Group(choices("children", "counts", on_children), width=MOST_CHILDREN_SHOWN + 1),
            SwitchTo(BACK, id="to_time", state=BookingSG.time),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=BookingSG.children,
            getter=children_getter,
        ),
        Window(
            ProblemText(),
            T("🧒 How old is the child?\nSend a number, for example 9.", when="one"),
            T(
                "🧒 How old is child {number} of {count}?\nSend a number, for example 9.",
                when=~F["one"],
            ),
            Button(BACK, id="back_age", on_click=on_back_from_age),
            MessageInput(on_age, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=BookingSG.age,
            getter=age_getter,
        ),
        Window(
            ProblemText(),
            T("📝 <b>Please check your visit</b>"),
            *_visit_lines(),
            T("👩 A child comes with an adult.", when="adult_required"),
            T(
                "\n⏳ This time is full. Join its waiting list: when a place becomes free, "
                "it is offered to the first in line for {offer_minutes} minutes.",
                when="full",
            ),
            # Translators: button under the summary of a visit: book it (glossary: confirm).
            Button(B("✅ Confirm"), id="confirm", on_click=on_confirm, when=~F["full"]),
            # Translators: button under the summary of a full time: wait for a place there.
            Button(B("⏳ Join the waiting list"), id="join", on_click=on_join, when="full"),
            Button(BACK, id="back_summary", on_click=on_back_from_summary),
            Button(B("✖️ Cancel"), id="not_booked", on_click=on_not_booked),
            state=BookingSG.summary,
            getter=summary_getter,
        ),
        Window(
            T("✅ <b>Your visit is booked.</b>\nBooking number: <b>{reference}</b>"),
            *_visit_lines(),
            T(
                "\n🎒 Please bring this booking number and, if you have them, "
                "the children's documents."
            ),
            T("👩 A child comes with an adult.", when="adult_required"),
            T("\nIf you cannot come, please cancel the visit in “📅 My bookings”."),
            Button(MY_BOOKINGS, id="booked_my_bookings", on_click=on_my_bookings),
            Button(B("🏠 Main menu"), id="main_menu", on_click=on_main_menu),
            state=BookingSG.booked,
            getter=booked_getter,
        ),
        Window(
            T("⏳ <b>You are on the waiting list</b>, number {position} in line."),
            *_visit_lines(),
            T("\nWhen a place becomes free, we will send you a message with a button to take it."),
            Button(MY_BOOKINGS, id="waiting_my_bookings", on_click=on_my_bookings),
            Button(B("🏠 Main menu"), id="waiting_main_menu", on_click=on_main_menu),
            state=BookingSG.waiting,
            getter=waiting_getter,
        ),
        Window(
            ProblemText(),
            # Translators: the question before a booked visit moves to the time just chosen.
            T("🔁 Move visit <b>{reference}</b>?\n🩺 {service}\nWas: {old}\nNow: <b>{new}</b>"),
            # Translators: button: yes, move the booked visit to the new time.
            Button(B("✅ Yes, move it"), id="move", on_click=on_move),
            SwitchTo(BACK, id="back_move", state=BookingSG.time),
            # Translators: button: leave the booked visit at its time.
            Cancel(B("Keep the old time"), id="keep_time"),
            state=BookingSG.move_summary,
            getter=move_getter,
        ),
        on_process_result=on_consent,
        on_start=on_booking_start,
    )
    return explain_problems(dialog, OWN_CODES)
