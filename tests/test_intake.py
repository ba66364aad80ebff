"""The update intake: every update written down before it is confirmed, handled once, and an
update aiogram cannot read skipped instead of stalling everyone (issue 9, items 2 and 8)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from storage.database import Database
from storage.journal import UpdateJournal, prune_handled
from storage.models import ReceivedUpdate
from tests.e2e import (
    LANGUAGE_BUTTON,
    Request,
    RequestMessage,
    onboard,
    rows,
    start_documents_form,
    tr,
)
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import RunningBot


async def test_an_update_aiogram_cannot_read_is_logged_and_skipped(
    koldo: RunningBot, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = emulator.push_update(
        {"message": {"message_id": "first", "date": "today", "chat": {"id": 6401}}}
    )
    parent = SimulatedPerson(emulator, user_id=6402)
    with caplog.at_level(logging.ERROR, logger="bot.intake"):
        await parent.send_command("/start")
    assert any(text.endswith(LANGUAGE_BUTTON["ru"]) for text in parent.buttons())
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"Update {unreadable} cannot be read and is skipped"
    ]
    await koldo.koldo.journal.flush()
    journal = {row.update_id: row for row in await rows(koldo.db, ReceivedUpdate)}
    assert journal[unreadable].handled_at is not None
    assert all(row.payload is None for row in journal.values())  # nothing a person wrote stays


async def test_the_journal_tells_new_updates_from_repeats(db: Database) -> None:
    journal = UpdateJournal(db.engine)
    first = [(10, json.dumps({"update_id": 10})), (11, json.dumps({"update_id": 11}))]
    assert await journal.record(first) == [10, 11]
    assert await journal.record([*first, (12, "{}")]) == [12]  # Telegram sent 10 and 11 again
    journal.handled(10)
    await journal.flush()
    assert [update_id for update_id, _raw in await journal.unhandled()] == [11, 12]
    async with db.transaction() as repos:
        kept = await repos.session.scalar(
            select(ReceivedUpdate.payload).where(ReceivedUpdate.update_id == 10)
        )
    assert kept is None
    assert await journal.record(first) == []  # a handled update is still known as handled


async def test_marks_wait_for_the_conversation_state(db: Database) -> None:
    """An update is marked handled only after the screen it led to is saved."""
    order: list[str] = []

    async def save_state() -> None:
        order.append("state saved")

    journal = UpdateJournal(db.engine, before_marking=save_state)
    await journal.record([(20, "{}")])
    journal.handled(20)
    await journal.close()
    assert order == ["state saved"]
    assert await journal.unhandled() == []


async def test_a_story_message_delivered_twice_is_stored_once(
    koldo: RunningBot, emulator: BotApiEmulator
) -> None:
    parent = SimulatedPerson(emulator, user_id=6403)
    await onboard(parent, "ru")
    await start_documents_form(parent, "ru")
    told = await parent.send_text("Сгорел дом, документы сгорели")
    shown = await parent.send_photo()
    for update_id in (told, shown):  # Telegram delivers both messages once more
        await emulator.settle(emulator.push_update(emulator.update_payload(update_id)))
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    await parent.press(tr("ru", "✅ Send"))
    [request] = await rows(koldo.db, Request)
    assert request.description == "Сгорел дом, документы сгорели"
    photos = await rows(koldo.db, RequestMessage, RequestMessage.request_id == request.id)
    assert [message.kind for message in photos] == ["photo"]


async def test_handled_ids_are_forgotten_after_two_days(db: Database) -> None:
    journal = UpdateJournal(db.engine)
    await journal.record([(30, "{}"), (31, "{}"), (32, "{}")])
    journal.handled(30)
    journal.handled(31)
    await journal.flush()
    async with db.transaction() as repos:
        await repos.session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id == 30)
            .values(handled_at=datetime.now(UTC) - timedelta(days=3))
        )
    assert await prune_handled(db.engine) == 1
    assert [row.update_id for row in await rows(db, ReceivedUpdate)] == [31, 32]
