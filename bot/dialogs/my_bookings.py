"""My bookings: the parent's visits to come (each can be opened, moved to another time through
the booking screens, or cancelled after a question) and the past ones with whether they came.

Button data can be forged, so a booking id from a button goes through core, which checks that
the booking is the parent's (and logs a refusal) before anything is shown or cancelled.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs.booking import start_moving
from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import MyBookingsSG
from bot.dialogs.visits import db, names_of, rules, user_id, visit_html, when
from bot.i18n import gettext_
from bot.widgets import B, Safe, T, choices, escape
from core.booking_rules import BookingStatus
from core.bookings import cancel, get_my_booking, my_bookings
from core.clock import utcnow
from koldo import labels

PAST_SHOWN = 10
BOOKING_ID, MOVED = "booking_id", "moved"
# Another family's booking and one that does not exist read the same: nothing to learn.
OWN_CODES = {"not_yours": "booking_not_yours", "booking": "booking_not_yours"}


async def list_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    mine = await my_bookings(db(dialog_manager), user_id(dialog_manager))
    past = mine.past[:PAST_SHOWN]
    names = await names_of(dialog_manager, (b.centre_code for b in [*mine.upcoming, *past]))
    past_lines = [
        f"• {escape(when(b, dialog_manager))} · "
        f"{escape(names.service(b.centre_code, b.service_code))} — "
        f"{escape(gettext_(labels.VISIT_OUTCOME[b.status]))}"
        for b in past
    ]
    notice = dialog_manager.dialog_data.pop("cancelled", None)
    return {
        "upcoming": [
            (
                str(b.id),
                f"{when(b, dialog_manager)} · {names.service(b.centre_code, b.service_code)}",
            )
            for b in mine.upcoming
        ],
        "has_upcoming": bool(mine.upcoming),
        "past": Safe("\n".join(past_lines)),
        "has_past": bool(past),
        "cancelled": notice or "",
        "has_notice": notice is not None,
    }


async def on_open(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    if not item.isdigit():
        set_problem(manager, "booking_not_yours")
        return
    await get_my_booking(db(manager), user_id=user_id(manager), booking_id=int(item))
    manager.dialog_data[BOOKING_ID] = int(item)
    await manager.switch_to(MyBookingsSG.details)


async def details_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    booking = await get_my_booking(
        db(dialog_manager),
        user_id=user_id(dialog_manager),
        booking_id=dialog_manager.dialog_data[BOOKING_ID],
    )
    names = await names_of(dialog_manager, [booking.centre_code])
    service = names.service(booking.centre_code, booking.service_code)
    changeable = booking.status == BookingStatus.BOOKED and booking.starts_at > utcnow()
    return {
        "moved": dialog_manager.dialog_data.pop(MOVED, False),
        "reference": booking.reference,
        "service": service,
        "when": when(booking, dialog_manager),
        "visit_html": visit_html(
            centre=names.centre(booking.centre_code),
            address=None,
            service=service,
            when=when(booking, dialog_manager),
        ),
        "children": booking.children,
        "has_children": bool(booking.children),
        "ages": ", ".join(str(age) for age in booking.ages),
        "can_change": changeable,
    }


async def on_move(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    booking = await get_my_booking(
        db(manager), user_id=user_id(manager), booking_id=manager.dialog_data[BOOKING_ID]
    )
    await start_moving(manager, booking)


async def on_moved(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """Back from the booking screens: the visit's screen says whether it moved."""
    if isinstance(result, dict) and MOVED in result:
        manager.dialog_data[MOVED] = True


async def on_cancel(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # The list comes next either way; a refusal (the visit began meanwhile) is explained there.
    await manager.switch_to(MyBookingsSG.list)
    changed = await cancel(
        db(manager),
        user_id=user_id(manager),
        booking_id=manager.dialog_data[BOOKING_ID],
        rules=rules(manager),
    )
    manager.dialog_data["cancelled"] = changed.booking.reference


def my_bookings_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            T(
                "✖️ Visit {cancelled} is cancelled. The place will go to another family.\n",
                when="has_notice",
            ),
            T("📅 <b>My bookings</b>"),
            T("Your next visits. Press one to see it or to cancel it.", when="has_upcoming"),
            T("You have no upcoming visits.", when=~F["has_upcoming"]),
            T("\n<b>Past visits</b>\n{past}", when="has_past"),
            Column(choices("booking", "upcoming", on_open)),
            Cancel(B("⬅️ Back")),
            state=MyBookingsSG.list,
            getter=list_getter,
        ),
        Window(
            ProblemText(),
            # Translators: the title of a booked visit's screen: its booking number.
            T("Visit <b>{reference}</b>"),
            T("🔁 The visit is moved. We will remind you before it.", when="moved"),
            Format("{visit_html}"),
            T("👧 Children: {children} (age: {ages})", when="has_children"),
            # Translators: button on a booked visit: choose another day or time for it.
            Button(B("🔁 Move to another time"), id="move", on_click=on_move, when="can_change"),
            SwitchTo(
                # Translators: button on a booked visit: cancel it (glossary: cancel).
                B("✖️ Cancel the visit"),
                id="cancel",
                state=MyBookingsSG.cancel,
                when="can_change",
            ),
            SwitchTo(B("⬅️ Back"), id="to_list", state=MyBookingsSG.list),
            state=MyBookingsSG.details,
            getter=details_getter,
        ),
        Window(
            ProblemText(),
            T("✖️ Cancel visit <b>{reference}</b>?\n📅 {when}\n🩺 {service}"),
            # Translators: button: yes, cancel the booked visit.
            Button(B("Yes, cancel it"), id="confirm_cancel", on_click=on_cancel),
            # Translators: button: the booked visit stays.
            SwitchTo(B("No, keep the visit"), id="keep", state=MyBookingsSG.details),
            state=MyBookingsSG.cancel,
            getter=details_getter,
        ),
        on_process_result=on_moved,
    )
    return explain_problems(dialog, OWN_CODES)
