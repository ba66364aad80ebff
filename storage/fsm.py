"""aiogram FSM storage in the database.

With the embedded defaults there is no Redis, yet a parent half-way through a form must find it
where they left it after the bot restarts; so conversation state (aiogram's and aiogram-dialog's
stacks and contexts) lives in the `fsm_records` table.

aiogram-dialog reads and writes this state several times for every update, which would make it the
busiest thing in the database. So reads come from a bounded in-process cache, and writes go to the
cache at once and to the table in batches a few milliseconds later (and on shutdown). The table
holds a few rows per person (their dialog stack and open screens), so on first use the whole of it
is read into the cache when it fits in half of it: from then on a key missing from the cache is
known not to exist (aiogram-dialog asks for many keys that were never written) and the database is
not asked at all, until the cache overflows. All this is correct because with this storage one
process owns the table; several bot processes must share Redis instead. A crash (not a restart) can
lose the last few milliseconds of state: the parent then sees their previous screen again, never a
broken one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import connection_scope
from storage.models import FsmRecord
from storage.outage import DelayedFlush, Outage
from storage.upsert import upsert

logger = logging.getLogger(__name__)

STATE, DATA = "state", "data"


class SqlStorage(BaseStorage):
    """State and data are separate rows (`...:state`, `...:data`), so writing one never has to
    read the other first."""

    def __init__(
        self, engine: AsyncEngine, *, cache_size: int = 50_000, flush_delay: float = 0.02
    ) -> None:
        self._engine = engine
        self._upsert = upsert(engine.dialect.name, FsmRecord, FsmRecord.key)
        self._keys = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        # Values are text (a state name, or data as JSON) so callers always get a fresh copy.
        self._cache: OrderedDict[str, str | None] = OrderedDict()
        self._cache_size = cache_size
        self._dirty: dict[str, str | None] = {}  # None: delete the row
        self._writing: dict[str, str | None] = {}  # the batch being committed
        self._flush_lock = asyncio.Lock()
        # Whether the cache holds every row: None until the first miss tries to make it so.
        self._complete: bool | None = None
        self._evictions = 0
        self._warm_lock = asyncio.Lock()
        self._flusher = DelayedFlush(
            self.flush,
            lambda: bool(self._dirty),
            delay=flush_delay,
            outage=Outage(logger, "Saving conversation state"),
        )

    def _known(self, key: str) -> tuple[bool, str | None]:
        for pending in (self._dirty, self._writing):
            if key in pending:
                return True, pending[key]
        if key in self._cache:
            self._cache.move_to_end(key)
            return True, self._cache[key]
        return False, None

    async def _warm(self) -> None:
        """Read the whole table into the cache if it fits; values written meanwhile are newer
        and win. Any eviction (now or later) makes the cache incomplete again."""
        async with self._warm_lock:
            if self._complete is not None:
                return
            evictions = self._evictions
            async with connection_scope(self._engine) as connection:
                rows = await connection.scalar(select(func.count()).select_from(FsmRecord))
                if (rows or 0) > self._cache_size // 2:
                    self._complete = False
                    return
                stored = (await connection.execute(select(FsmRecord.key, FsmRecord.value))).all()
            for key, value in stored:
                if not self._known(key)[0]:
                    self._remember(key, value)
            self._complete = self._evictions == evictions

    async def _load(self, key: str) -> str | None:
        known, value = self._known(key)
        if known:
            return value
        if self._complete is None:
            await self._warm()
            known, value = self._known(key)
            if known:
                return value
        if self._complete:
            return None
        async with connection_scope(self._engine) as connection:
            value = await connection.scalar(select(FsmRecord.value).where(FsmRecord.key == key))
        # A write (or another read) may have landed while we waited; it is at least as new.
        for newer in (self._dirty, self._writing, self._cache):
            if key in newer:
                return newer[key]
        self._remember(key, value)
        return value

    def _remember(self, key: str, value: str | None) -> None:
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
            self._evictions += 1
            if self._complete:
                self._complete = False

    def _save(self, key: str, value: str | None) -> None:
        known, current = self._known(key)
        if known and current == value:
            return  # aiogram-dialog saves every context it loaded, changed or not
        self._remember(key, value)
        self._dirty[key] = value
        self._flusher.soon()

    async def flush(self) -> None:
        """Write every pending change now (one transaction for the whole batch)."""
        async with self._flush_lock:
            while self._dirty:
                self._writing, self._dirty = self._dirty, {}
                try:
                    await self._write(self._writing)
                except BaseException:
                    # Newer changes made meanwhile win over the batch that failed.
                    self._dirty = {**self._writing, **self._dirty}
                    raise
                finally:
                    self._writing = {}

    async def _write(self, batch: dict[str, str | None]) -> None:
        gone = [key for key, value in batch.items() if value is None]
        kept = [{"key": key, "value": value} for key, value in batch.items() if value is not None]
        async with connection_scope(self._engine) as connection:
            if gone:
                await connection.execute(delete(FsmRecord).where(FsmRecord.key.in_(gone)))
            if kept:
                await connection.execute(self._upsert, kept)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        self._save(self._keys.build(key, STATE), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._load(self._keys.build(key, STATE))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        value = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data else None
        self._save(self._keys.build(key, DATA), value)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        value = await self._load(self._keys.build(key, DATA))
        return json.loads(value) if value else {}

    async def close(self) -> None:
        await self._flusher.stop()
        await self.flush()
        self._cache.clear()
