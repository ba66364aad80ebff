"""Reminders of a booked visit and waiting-list offers, through the real bot and the Bot API
emulator, with the clock moved to the moments that matter (core.clock.freeze) rather than slept
through.

"Today" is Monday 22 February 2027, 8:00 in Bishkek; a hot meal booked for Wednesday 24 at
12:00 is reminded on Tuesday 23 at 18:00 and on Wednesday at 10:00. Quiet hours are 21:00–08:00.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.error_texts import ERROR_TEXTS
from core import clock
from core.bookings import book, cancel
from core.centres import BookingRules
from core.consent import answer_notice
from core.users import choose_language
from core.waiting_list import join, tend_waiting_lists
from koldo.scheduler import build_scheduler
from storage.database import Database
from storage.models import AuditEntry, Booking, OutboxEntry, WaitingEntry
from tests.e2e import onboard, rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import bot_running, make_settings
from tests.test_booking_flow import (
    BISHKEK,
    LANGUAGES,
    PSYCHOLOGIST,
    TODAY,
    at,
    to_calendar,
    to_summary,
    visible,
)
from tests.test_staff_inbox import outbox_reaches, wait_for

EVENING_BEFORE = datetime(2027, 2, 23, 18, 0, tzinfo=BISHKEK)
SENDER_LOOKS = 1.0  # the sender looks every 0.2 s here
EVENING_TITLE = "⏰ <b>Tomorrow you have a visit to the day centre</b> ({reference})."
SOON_TITLE = "⏰ <b>Your visit to the day centre is in two hours</b> ({reference})."
COMING = "✅ I'm coming"
CANCEL = "✖️ Cancel the visit"


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


def settings_for(database_url: str, emulator: BotApiEmulator):
    return make_settings(
        database_url,
        emulator.base_url,
        outbox={"quiet_hours": "21:00-08:00", "poll_seconds": 0.2},
    )


def reminders_of(parent: SimulatedPerson, language: str, reference: str = "B-000001") -> list:
    title = visible(tr(language, EVENING_TITLE, reference=reference))
    return [text for text in parent.texts() if text.startswith(title)]


def reminder_rows(entries: list[OutboxEntry]) -> list[OutboxEntry]:
    return [entry for entry in entries if entry.kind == "booking_reminder"]


async def booked_in_the_bot(parent: SimulatedPerson, language: str) -> None:
    await onboard(parent, language)
    await to_summary(parent, language)
    await parent.press(tr(language, "✅ Confirm"))
    assert "B-000001" in parent.screen().text


async def family(db, user_id: int) -> None:
    await choose_language(db, user_id, "ky")
    await answer_notice(db, user_id, granted=True)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_evening_reminder_arrives_once_and_i_am_coming_is_recorded(
    database_url, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12101, language_code=language)
    async with bot_running(settings_for(database_url, emulator)) as running:
        await booked_in_the_bot(parent, language)
        entries = reminder_rows(await rows(running.db, OutboxEntry))
        assert [(e.payload["which"], clock.as_utc(e.not_before)) for e in entries] == [
            ("evening", EVENING_BEFORE),
            ("soon", at(24, 10)),
        ]
        clock.freeze(EVENING_BEFORE.replace(minute=0, hour=17, second=59))
        await asyncio.sleep(SENDER_LOOKS)
        assert reminders_of(parent, language) == []

        clock.freeze(EVENING_BEFORE)
        await wait_for(emulator, parent.chat_id, lambda: len(reminders_of(parent, language)) == 1)
        [reminder] = reminders_of(parent, language)
        # The day with its weekday: a parent plans by the day of the week.
        assert {"ru": "📅 ср, 24 февраля, 12:00", "ky": "📅 февраль 24, шарш., 12:00"}[
            language
        ] in (reminder)
        assert parent.buttons() == [tr(language, COMING), tr(language, CANCEL)]
        await asyncio.sleep(SENDER_LOOKS)
        assert len(reminders_of(parent, language)) == 1  # once

        await parent.press(tr(language, COMING))
        assert parent.screen().text == tr(
            language, "✅ Thank you! We are expecting you: {reference}.", reference="B-000001"
        )
        assert parent.buttons() == []
        actions = [e.action for e in await rows(running.db, AuditEntry)]
        assert "booking.coming" in actions

        # Two hours before, the second reminder, once.
        soon_title = visible(tr(language, SOON_TITLE, reference="B-000001"))
        clock.freeze(at(24, 10))
        await wait_for(
            emulator, parent.chat_id, lambda: parent.screen().text.startswith(soon_title)
        )
        assert "12:00" in parent.screen().text
        assert parent.buttons() == [tr(language, COMING), tr(language, CANCEL)]
        await asyncio.sleep(SENDER_LOOKS)
        assert len([t for t in parent.texts() if t.startswith(soon_title)]) == 1
        entries = reminder_rows(await rows(running.db, OutboxEntry))
        assert [e.state for e in entries] == ["sent", "sent"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancel_from_the_reminder_frees_the_place_and_the_offer_is_taken(
    database_url, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12102, language_code=language)
    waiting = SimulatedPerson(emulator, user_id=12103, language_code="ky")
    psychologist_at_ten = {
        "centre_code": "osh-bazaar",
        "service_code": "psychologist",
        "starts_at": at(24, 10),
        "ages": [],
        "rules": BookingRules(),
    }
    async with bot_running(settings_for(database_url, emulator)) as running:
        await onboard(parent, language)
        await onboard(waiting, "ky")
        await book(running.db, user_id=parent.chat_id, **psychologist_at_ten)
        await join(running.db, user_id=waiting.chat_id, **psychologist_at_ten)

        clock.freeze(EVENING_BEFORE)
        await wait_for(emulator, parent.chat_id, lambda: len(reminders_of(parent, language)) == 1)
        await parent.press(tr(language, CANCEL))
        assert parent.screen().text == tr(
            language,
            "✖️ Visit {reference} is cancelled. Thank you for letting us know.",
            reference="B-000001",
        )
        [cancelled] = await rows(running.db, Booking)
        assert cancelled.status == "cancelled"
        [evening, soon] = reminder_rows(await rows(running.db, OutboxEntry))
        assert (evening.state, soon.state, soon.error) == ("sent", "dropped", "booking_changed")

        offer_title = visible(tr("ky", "🎉 <b>A place has become free for you.</b>"))
        await wait_for(
            emulator, waiting.chat_id, lambda: waiting.screen().text.startswith(offer_title)
        )
        assert "18:30" in waiting.screen().text  # held until half an hour from now
        await waiting.press(tr("ky", "✅ Take the place"))
        booked = "✅ <b>Your visit is booked.</b>\nBooking number: <b>{reference}</b>"
        assert waiting.screen().text == visible(tr("ky", booked, reference="B-000002"))
        [_, taken] = await rows(running.db, Booking)
        assert (taken.user_id, taken.status) == (waiting.chat_id, "booked")
        [entry] = await rows(running.db, WaitingEntry)
        assert entry.state == "taken"
        # The place taken from the line is reminded of like any other booking.
        owned = [e for e in await rows(running.db, OutboxEntry) if e.booking_id == taken.id]
        assert [e.payload["which"] for e in owned] == ["soon"]


async def test_a_cancelled_visit_is_not_reminded_and_the_drop_is_recorded(database_url, emulator):
    parent = SimulatedPerson(emulator, user_id=12104, language_code="ru")
    async with bot_running(settings_for(database_url, emulator)) as running:
        await booked_in_the_bot(parent, "ru")
        # Cancelled in My bookings: the reminders go with the booking at once.
        await parent.press(tr("ru", "📅 My bookings"))
        [upcoming] = [b for b in parent.buttons() if "12:00–12:30" in b]
        await parent.press(upcoming)
        await parent.press(tr("ru", "✖️ Cancel the visit"))
        await parent.press(tr("ru", "Yes, cancel it"))
        entries = reminder_rows(await rows(running.db, OutboxEntry))
        assert [(e.state, e.error) for e in entries] == [("dropped", "booking_changed")] * 2

        # A second visit whose booking stopped being upcoming some other way (staff marked
        # it) is dropped when its reminder falls due, and the reason kept.
        await book(running.db, user_id=parent.chat_id, centre_code="osh-bazaar",
                   service_code="hot-meal", starts_at=at(24, 12), ages=[7, 9],
                   rules=BookingRules())  # fmt: skip
        async with running.db.transaction() as repos:
            second = await repos.session.get(Booking, 2)
            second.status = "attended"
        clock.freeze(EVENING_BEFORE)
        await outbox_reaches(
            running.db,
            lambda e: [x.state for x in reminder_rows(e)] == ["dropped"] * 3 + ["pending"],
        )
        third = reminder_rows(await rows(running.db, OutboxEntry))[2]
        assert (third.error, third.attempts) == ("booking_upcoming", 0)
        assert reminders_of(parent, "ru", "B-000002") == []


async def test_a_reminder_due_while_koldo_was_stopped_is_sent_once_after_a_restart(
    database_url, emulator
):
    parent = SimulatedPerson(emulator, user_id=12105, language_code="ky")
    settings = settings_for(database_url, emulator)
    async with bot_running(settings) as running:
        await booked_in_the_bot(parent, "ky")
    # Koldo is down through the evening; it comes back at 19:30, the visit still ahead.
    clock.freeze(EVENING_BEFORE.replace(hour=19, minute=30))
    async with bot_running(settings):
        await wait_for(emulator, parent.chat_id, lambda: len(reminders_of(parent, "ky")) == 1)
    async with bot_running(settings) as running:
        await asyncio.sleep(SENDER_LOOKS)
        assert len(reminders_of(parent, "ky")) == 1
        [evening, soon] = reminder_rows(await rows(running.db, OutboxEntry))
        assert (evening.state, evening.attempts, soon.state) == ("sent", 1, "pending")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_full_time_joins_the_waiting_list_and_an_offer_not_taken_passes_on(
    database_url, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12106, language_code=language)
    next_in_line = SimulatedPerson(emulator, user_id=12107, language_code="ru")
    psychologist_at_ten = {
        "centre_code": "osh-bazaar",
        "service_code": "psychologist",
        "starts_at": at(24, 10),
        "ages": [],
        "rules": BookingRules(),
    }
    async with bot_running(settings_for(database_url, emulator)) as running:
        await family(running.db, 12998)
        taken = await book(running.db, user_id=12998, **psychologist_at_ten)
        await onboard(parent, language)
        await onboard(next_in_line, "ru")
        await to_calendar(parent, language, PSYCHOLOGIST)
        await parent.press("24")
        await parent.press(tr(language, "{time} · full", time="10:00"))
        await parent.press("0")
        assert tr(language, "✅ Confirm") not in parent.buttons()
        await parent.press(tr(language, "⏳ Join the waiting list"))
        in_line = "⏳ <b>You are on the waiting list</b>, number {position} in line."
        assert parent.screen().text.startswith(visible(tr(language, in_line, position=1)))
        await join(running.db, user_id=next_in_line.chat_id, **psychologist_at_ten)

        await cancel(running.db, user_id=12998, booking_id=taken.id, rules=BookingRules())
        offered = visible(tr(language, "🎉 <b>A place has become free for you.</b>"))
        await wait_for(emulator, parent.chat_id, lambda: parent.screen().text.startswith(offered))
        # Half an hour passes without an answer: the worker's next round offers it on.
        clock.freeze(TODAY + timedelta(minutes=31))
        await tend_waiting_lists(running.db, BookingRules())
        offered_ru = visible(tr("ru", "🎉 <b>A place has become free for you.</b>"))
        await wait_for(
            emulator,
            next_in_line.chat_id,
            lambda: next_in_line.screen().text.startswith(offered_ru),
        )
        await parent.press(tr(language, "✅ Take the place"))  # too late
        assert parent.alerts()[-1].text == "⚠️ " + tr(language, ERROR_TEXTS["offer_ended"].parents)
        assert [entry.state for entry in await rows(running.db, WaitingEntry)] == [
            "expired",
            "offered",
        ]
        assert len(await rows(running.db, Booking)) == 1  # only the cancelled one


def test_the_worker_tends_the_waiting_lists_every_minute(database_url, emulator):
    settings = settings_for(database_url, emulator)
    job = build_scheduler(settings, Database.from_url(settings.database.url)).get_job(
        "waiting_lists"
    )
    assert job is not None and job.trigger.interval == timedelta(minutes=1)
