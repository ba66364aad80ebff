"""Messages that wait for their time, through the real bot and the Bot API emulator, with the
clock stood still at chosen moments (core.clock.freeze) rather than slept through.

What a parent is told after staff act at night (the status notice, "was it solved?") waits for
the end of quiet hours; "was it solved?" is dropped, and the drop recorded, when the parent
has written again by morning (which reopens the request); entries that fell due while Koldo
was stopped are sent once when it comes back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import clock
from core.inbox import resolve
from core.outbox import STAFF_CHAT
from core.requests import add_parent_message
from storage.models import OutboxEntry
from tests.e2e import rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import bot_running
from tests.test_staff_inbox import (
    ADMIN,
    STAFF_GROUP,
    file_request,
    outbox_reaches,
    staff_settings,
    wait_for,
)

BISHKEK = ZoneInfo("Asia/Bishkek")
EVENING = datetime(2026, 12, 3, 22, 30, tzinfo=BISHKEK)
MORNING = datetime(2026, 12, 4, 8, 0, tzinfo=BISHKEK)
NIGHT_KINDS = {"status_notice", "satisfaction_question"}
# Long enough for the sender to have looked several times (it polls every 0.2 s here).
SENDER_LOOKS = 1.0


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(EVENING)
    yield
    clock.freeze(None)


def night_settings(database_url: str, emulator: BotApiEmulator):
    settings = staff_settings(database_url, emulator)
    outbox = settings.outbox.model_copy(update={"quiet_hours": "21:00-08:00", "poll_seconds": 0.2})
    return settings.model_copy(update={"outbox": outbox})


def said_to(parent: SimulatedPerson, language: str) -> list[str]:
    """The notices a parent got about K-000001 after it was resolved, in order."""
    resolved = tr(
        language, "✅ <b>{reference}</b>: CPC has marked your request as resolved.",
        reference="K-000001",
    )  # fmt: skip
    question = tr(language, "❓ <b>{reference}</b>: was your problem solved?", reference="K-000001")
    wanted = {text.replace("<b>", "").replace("</b>", "") for text in (resolved, question)}
    return [text for text in parent.texts() if text in wanted]


def night_entries(entries: list[OutboxEntry]) -> list[OutboxEntry]:
    return [entry for entry in entries if entry.kind in NIGHT_KINDS]


async def resolved_at_night(db, emulator: BotApiEmulator, parent: SimulatedPerson, language: str):
    await file_request(parent, language)
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
    await resolve(db, staff_id=ADMIN, request_id=1)
    await outbox_reaches(
        db, lambda entries: all(e.state == "sent" for e in entries if e.chat_id == STAFF_CHAT)
    )


@pytest.mark.parametrize("language", ["ru", "ky"])
async def test_what_staff_do_at_night_reaches_the_parent_in_the_morning(
    database_url, emulator, frozen, language
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    parent = SimulatedPerson(emulator, user_id=7101, language_code=language)
    async with bot_running(night_settings(database_url, emulator)) as running:
        await resolved_at_night(running.db, emulator, parent, language)
        await asyncio.sleep(SENDER_LOOKS)
        assert said_to(parent, language) == []
        waiting = night_entries(await rows(running.db, OutboxEntry))
        assert [(e.kind, e.state, e.attempts) for e in waiting] == [
            ("status_notice", "pending", 0),
            ("satisfaction_question", "pending", 0),
        ]
        assert {clock.as_utc(e.not_before) for e in waiting} == {MORNING}

        clock.freeze(MORNING - timedelta(minutes=1))
        await asyncio.sleep(SENDER_LOOKS)
        assert said_to(parent, language) == []

        clock.freeze(MORNING)
        await wait_for(emulator, parent.chat_id, lambda: len(said_to(parent, language)) == 2)
        [resolved_notice, question] = said_to(parent, language)
        assert "K-000001" in resolved_notice and question.startswith("❓")
        await outbox_reaches(running.db, lambda e: all(x.state == "sent" for x in night_entries(e)))
        await asyncio.sleep(SENDER_LOOKS)
        assert len(said_to(parent, language)) == 2  # each once


async def test_a_question_no_longer_wanted_by_morning_is_dropped_and_recorded(
    database_url, emulator, frozen
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    parent = SimulatedPerson(emulator, user_id=7102, language_code="ru")
    async with bot_running(night_settings(database_url, emulator)) as running:
        await resolved_at_night(running.db, emulator, parent, "ru")
        # Before morning the parent writes again: the request is open once more.
        clock.freeze(EVENING + timedelta(hours=1))
        await add_parent_message(
            running.db, user_id=parent.chat_id, request_id=1, text="Нет, ещё не решено"
        )
        clock.freeze(MORNING)
        await outbox_reaches(
            running.db,
            lambda entries: all(e.state in ("sent", "dropped") for e in night_entries(entries)),
        )
        notice, question = night_entries(await rows(running.db, OutboxEntry))
        assert (notice.state, question.state) == ("sent", "dropped")
        assert question.error == "request_resolved" and question.attempts == 0
        assert [t for t in said_to(parent, "ru") if t.startswith("❓")] == []


async def test_what_fell_due_while_koldo_was_stopped_is_sent_once_after_a_restart(
    database_url, emulator, frozen
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    parent = SimulatedPerson(emulator, user_id=7103, language_code="ky")
    settings = night_settings(database_url, emulator)
    async with bot_running(settings) as running:
        await resolved_at_night(running.db, emulator, parent, "ky")
    # Koldo is down through the morning; it comes back at ten.
    clock.freeze(MORNING + timedelta(hours=2))
    async with bot_running(settings) as running:
        await wait_for(emulator, parent.chat_id, lambda: len(said_to(parent, "ky")) == 2)
        await outbox_reaches(running.db, lambda e: all(x.state == "sent" for x in night_entries(e)))
    async with bot_running(settings) as running:
        await asyncio.sleep(SENDER_LOOKS)
        assert len(said_to(parent, "ky")) == 2
        assert all(e.attempts == 1 for e in night_entries(await rows(running.db, OutboxEntry)))
