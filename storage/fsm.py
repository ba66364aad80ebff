"""aiogram FSM storage in the database.

With the embedded defaults there is no Redis, yet a parent half-way through a form must find it
where they left it after the bot restarts; so conversation state (aiogram's and aiogram-dialog's
stacks and contexts) lives in the `fsm_records` table. Reads are served from a bounded in-process
cache, which is correct because with this storage one process owns the table (several bot
processes must share Redis instead).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from storage.models import FsmRecord

_MISSING = object()


class SqlStorage(BaseStorage):
    def __init__(self, engine: AsyncEngine, *, cache_size: int = 20_000) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._keys = DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        # Data is cached as JSON text so callers always get a fresh copy they may mutate.
        self._cache: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        self._cache_size = cache_size

    async def _load(self, key: str) -> tuple[str | None, str]:
        cached = self._cache.get(key, _MISSING)
        if cached is not _MISSING:
            self._cache.move_to_end(key)
            return cached  # type: ignore[return-value]
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key)
                )
            ).first()
        record = (row.state, row.data or "{}") if row else (None, "{}")
        self._remember(key, record)
        return record

    def _remember(self, key: str, record: tuple[str | None, str]) -> None:
        self._cache[key] = record
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _save(self, storage_key: StorageKey, state: str | None, data: str) -> None:
        key = self._keys.build(storage_key)
        async with self._sessions.begin() as session:
            if state is None and data == "{}":
                await session.execute(delete(FsmRecord).where(FsmRecord.key == key))
            else:
                statement = self._insert(FsmRecord).values(
                    key=key, user_id=storage_key.user_id, state=state, data=data
                )
                await session.execute(
                    statement.on_conflict_do_update(
                        index_elements=[FsmRecord.key],
                        set_={"state": state, "data": data},
                    )
                )
        self._remember(key, (state, data))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self._load(self._keys.build(key))
        value = state.state if isinstance(state, State) else state
        await self._save(key, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(self._keys.build(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(self._keys.build(key))
        await self._save(key, state, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(self._keys.build(key))
        return json.loads(data)

    async def close(self) -> None:
        self._cache.clear()
