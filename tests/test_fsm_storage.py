"""Conversation state in the database: what one process wrote, the next one finds, whether its
cache holds the whole table (no reads for unknown keys) or overflows (it reads the table)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event

from storage.database import Database, create_engine
from storage.fsm import SqlStorage


def key(user_id: int, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id, destiny=destiny)


def count_statements(db: Database, kind: str = "SELECT") -> list[str]:
    seen: list[str] = []

    def before(_conn, _cursor, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(kind):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_state_survives_a_new_process_and_unknown_keys_cost_no_reads(db: Database):
    first = SqlStorage(db.engine)
    await first.set_state(key(1), "Form:story")
    await first.set_data(key(1), {"age": 9, "story": "<b>lost</b>"})
    await first.set_data(key(2), {"gone": True})
    await first.set_data(key(2), {})  # emptied: the row is deleted
    await first.close()

    second = SqlStorage(db.engine)
    selects = count_statements(db)
    assert await second.get_state(key(1)) == "Form:story"
    assert await second.get_data(key(1)) == {"age": 9, "story": "<b>lost</b>"}
    assert await second.get_data(key(2)) == {}
    for user_id in range(100, 120):
        assert await second.get_data(key(user_id, "dialog")) == {}
    assert len(selects) == 2  # the table was read once (count, rows), then never again
    await second.close()


async def test_overflowing_cache_reads_the_table(db: Database):
    first = SqlStorage(db.engine)
    for user_id in range(1, 11):
        await first.set_state(key(user_id), f"S:{user_id}")
    await first.close()

    small = SqlStorage(db.engine, cache_size=8)  # ten rows do not fit in half of it
    selects = count_statements(db)
    assert [await small.get_state(key(user_id)) for user_id in range(1, 11)] == [
        f"S:{user_id}" for user_id in range(1, 11)
    ]
    assert await small.get_state(key(99)) is None
    assert len(selects) == 1 + 11  # the count, then one read per key
    await small.close()


async def test_saving_what_is_already_stored_writes_nothing(db: Database):
    storage = SqlStorage(db.engine)
    await storage.set_data(key(1), {"age": 9})
    await storage.flush()
    writes = count_statements(db, "INSERT")
    await storage.set_data(key(1), {"age": 9})  # as aiogram-dialog re-saves an unchanged context
    await storage.flush()
    assert writes == []
    await storage.set_data(key(1), {"age": 10})
    await storage.close()
    assert len(writes) == 1
    again = SqlStorage(db.engine)
    assert await again.get_data(key(1)) == {"age": 10}
    await again.close()


async def test_a_database_outage_keeps_the_state_and_writes_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing answers on port 1: every write fails as in an outage (issue 9, item 13)."""
    gone = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/koldo")
    storage = SqlStorage(gone, flush_delay=0.01)
    with caplog.at_level(logging.INFO, logger="storage.fsm"):
        await storage.set_state(key(9001), "FormSG:phone")
        await asyncio.sleep(1.5)  # the old writer logged a traceback every 20 ms
        assert await storage.get_state(key(9001)) == "FormSG:phone"
    await gone.dispose()
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "unreachable" in caplog.records[0].getMessage()
