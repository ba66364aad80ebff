"""A parent moves a booked visit to another time through the real bot, in Russian and Kyrgyz,
and its reminders move with it; a full time or day is explained, and a full day still leads to
its times' waiting lists for a new booking.

"Today" is Monday 22 February 2027, 8:00 in Bishkek (see tests/test_booking_flow.py): a hot
meal booked for Wednesday 24 at 12:00 moves to Thursday 25 at 13:00.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core import clock
from storage.models import AuditEntry, Booking, BookingSlot, OutboxEntry, WaitingEntry
from tests.e2e import onboard, rows, tr
from tests.emulator import SimulatedPerson
from tests.harness import bot_running
from tests.test_booking_flow import (
    BISHKEK,
    LANGUAGES,
    MEAL,
    PSYCHOLOGIST,
    TODAY,
    at,
    other_family_books,
    places,
    to_calendar,
    to_summary,
    visible,
)
from tests.test_booking_reminders import (
    EVENING_TITLE,
    SENDER_LOOKS,
    reminder_rows,
    reminders_of,
    settings_for,
)
from tests.test_staff_inbox import wait_for

MOVE = "🔁 Move to another time"


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


async def open_my_visit(parent: SimulatedPerson, language: str, time: str) -> None:
    await parent.press(tr(language, "📅 My bookings"))
    [visit] = [b for b in parent.buttons() if time in b]
    await parent.press(visit)


async def booked_meal(parent: SimulatedPerson, language: str) -> None:
    """Onboarded, a hot meal booked in the bot for Wednesday 24 at 12:00, two children."""
    await onboard(parent, language)
    await to_summary(parent, language)
    await parent.press(tr(language, "✅ Confirm"))
    assert "B-000001" in parent.screen().text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_visit_moves_to_another_time_and_its_reminders_move_with_it(
    database_url, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12201, language_code=language)
    async with bot_running(settings_for(database_url, emulator)) as running:
        await booked_meal(parent, language)
        await open_my_visit(parent, language, "12:00–12:30")
        await parent.press(tr(language, MOVE))
        assert MEAL[language] in parent.screen().text  # the same service's calendar
        await parent.press("25")
        await parent.press(places(language, "13:00", 20))
        question = parent.screen().text
        assert "B-000001" in question
        assert "12:00–12:30" in question and "13:00–13:30" in question
        assert parent.buttons() == [
            tr(language, "✅ Yes, move it"),
            tr(language, "⬅️ Back"),
            tr(language, "Keep the old time"),
        ]
        await parent.press(tr(language, "✅ Yes, move it"))

        screen = parent.screen().text
        assert tr(language, "🔁 The visit is moved. We will remind you before it.") in screen
        assert "13:00–13:30" in screen and "B-000001" in screen
        [booking] = await rows(running.db, Booking)
        assert booking.starts_at.replace(tzinfo=UTC) == at(25, 13)
        assert (booking.status, booking.places) == ("booked", 2)
        taken = {clock.as_utc(s.starts_at): s.taken for s in await rows(running.db, BookingSlot)}
        assert taken == {at(24, 12): 0, at(25, 13): 2}
        entries = reminder_rows(await rows(running.db, OutboxEntry))
        assert [(e.state, e.payload["which"], clock.as_utc(e.not_before)) for e in entries] == [
            ("dropped", "evening", datetime(2027, 2, 23, 18, 0, tzinfo=BISHKEK)),
            ("dropped", "soon", at(24, 10)),
            ("pending", "evening", datetime(2027, 2, 24, 18, 0, tzinfo=BISHKEK)),
            ("pending", "soon", at(25, 11)),
        ]
        actions = [
            e.action for e in await rows(running.db, AuditEntry) if e.object_type == "booking"
        ]
        assert actions == ["booking.booked", "booking.moved"]

        # The old evening passes in silence; the new one reminds of the new time.
        clock.freeze(datetime(2027, 2, 23, 18, 0, tzinfo=BISHKEK))
        await asyncio.sleep(SENDER_LOOKS)
        assert reminders_of(parent, language) == []
        clock.freeze(datetime(2027, 2, 24, 18, 0, tzinfo=BISHKEK))
        await wait_for(emulator, parent.chat_id, lambda: len(reminders_of(parent, language)) == 1)
        [reminder] = reminders_of(parent, language)
        assert "13:00" in reminder and "12:00" not in reminder
        assert tr(language, EVENING_TITLE, reference="B-000001").startswith("⏰")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_visit_cannot_move_to_a_full_time_and_keep_leaves_it_where_it_was(
    koldo, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12202, language_code=language)
    await booked_meal(parent, language)
    await open_my_visit(parent, language, "12:00–12:30")
    # Thursday 13:00 chosen; other families fill it before "Yes" is pressed.
    await parent.press(tr(language, MOVE))
    await parent.press("25")
    await parent.press(places(language, "13:00", 20))
    for user_id in range(12991, 13001):
        await other_family_books(koldo, user_id, at(25, 13), service_code="hot-meal", ages=[7, 8])
    await parent.press(tr(language, "✅ Yes, move it"))
    assert tr(language, "Sorry, this time has just been taken. Please choose another time.") in (
        parent.screen().text
    )
    full = tr(language, "{time} · full", time="13:00")
    await parent.press(full)
    assert tr(language, "There are no places left at this time. Please choose another time.") in (
        parent.screen().text
    )
    await parent.press(places(language, "13:30", 20))
    await parent.press(tr(language, "Keep the old time"))
    screen = parent.screen().text
    assert "12:00–12:30" in screen
    assert tr(language, "🔁 The visit is moved. We will remind you before it.") not in screen
    mine = [b for b in await rows(koldo.db, Booking) if b.user_id == parent.chat_id]
    assert [b.starts_at.replace(tzinfo=UTC) for b in mine] == [at(24, 12)]
    assert not [e for e in await rows(koldo.db, AuditEntry) if e.action == "booking.moved"]


async def test_a_full_day_leads_to_its_times_and_their_waiting_lists(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12203, language_code="ky")
    await onboard(parent, "ky")
    for hour, user_id in zip(range(10, 16), range(12980, 12986), strict=True):
        await other_family_books(koldo, user_id, at(24, hour), service_code="psychologist", ages=[])
    await to_calendar(parent, "ky", PSYCHOLOGIST)
    assert "24🔴" in parent.buttons()
    await parent.press("24🔴")
    screen = parent.screen()
    assert (
        tr(
            "ky",
            "All times on this day are taken. Choose another day, "
            "or press a time to join its waiting list.",
        )
        in screen.text
    )
    assert parent.buttons()[:6] == [
        tr("ky", "{time} · full", time=f"{hour}:00") for hour in range(10, 16)
    ]
    await parent.press(tr("ky", "{time} · full", time="11:00"))
    await parent.press("0")
    await parent.press(tr("ky", "⏳ Join the waiting list"))
    position = "⏳ <b>You are on the waiting list</b>, number {position} in line."
    assert parent.screen().text.startswith(visible(tr("ky", position, position=1)))
    [entry] = await rows(koldo.db, WaitingEntry)
    slots = {s.id: clock.as_utc(s.starts_at) for s in await rows(koldo.db, BookingSlot)}
    assert (entry.user_id, slots[entry.slot_id]) == (parent.chat_id, at(24, 11))
