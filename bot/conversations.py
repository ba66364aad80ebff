"""Where conversation state lives: the database by default, Redis when several processes run."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation

from storage.database import Database
from storage.fsm import SqlStorage

if TYPE_CHECKING:
    from redis.asyncio import Redis

# A chat's lock in Redis outlives a process killed while holding it by at most this long.
LOCK_SECONDS = 5.0


class RenewedRedisLocks(BaseEventIsolation):
    """One update at a time per chat across processes, with locks that expire LOCK_SECONDS
    after their holder stops renewing them. aiogram's own Redis locks live a minute, so a
    process killed mid-update held that chat for up to a minute; these are renewed while the
    update is handled, however long it takes, and a dead holder's lock is gone in seconds."""

    def __init__(self, redis: Redis, key_builder: KeyBuilder) -> None:
        self.redis = redis
        self.key_builder = key_builder

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        held = self.redis.lock(
            self.key_builder.build(key, "lock"), timeout=LOCK_SECONDS, sleep=0.05
        )
        await held.acquire()
        renewal = asyncio.create_task(self._renew(held))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(Exception):
                await held.release()  # gone (expired, or Redis is down): nothing to free

    @staticmethod
    async def _renew(held: object) -> None:
        while True:
            await asyncio.sleep(LOCK_SECONDS / 3)
            await held.reacquire()  # type: ignore[attr-defined]

    async def close(self) -> None:
        """The Redis client is the storage's, closed with it."""


class Conversations:
    """The FSM storage and its event isolation, chosen together."""

    def __init__(self, storage: BaseStorage, isolation: BaseEventIsolation) -> None:
        self.storage = storage
        self.isolation = isolation

    @classmethod
    def build(cls, db: Database, redis_url: str | None) -> Conversations:
        if redis_url:
            # Imported only when used: the Redis client costs memory a single process never needs.
            from aiogram.fsm.storage.redis import RedisStorage

            storage = RedisStorage.from_url(
                redis_url, key_builder=DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
            )
            return cls(storage, RenewedRedisLocks(storage.redis, storage.key_builder))
        return cls(SqlStorage(db.engine), SimpleEventIsolation())

    async def save(self) -> None:
        """Make the state written so far durable (Redis writes at once; the database storage
        writes in batches a few milliseconds apart)."""
        if isinstance(self.storage, SqlStorage):
            await self.storage.flush()

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()
