"""Where conversation state lives: the database by default, Redis when several processes run."""

from __future__ import annotations

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

from storage.database import Database
from storage.fsm import SqlStorage


class Conversations:
    """The FSM storage and event isolation pair, and erasing one person's state from it."""

    def __init__(self, storage: BaseStorage, isolation: BaseEventIsolation) -> None:
        self.storage = storage
        self.isolation = isolation

    @classmethod
    def build(cls, db: Database, redis_url: str | None) -> Conversations:
        if redis_url:
            storage = RedisStorage.from_url(
                redis_url, key_builder=DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
            )
            return cls(storage, RedisEventIsolation(storage.redis, key_builder=storage.key_builder))
        return cls(SqlStorage(db.engine), SimpleEventIsolation())

    async def forget(self, user_id: int) -> None:
        """Drop every conversation record of the person (forms they had half filled in)."""
        if isinstance(self.storage, SqlStorage):
            await self.storage.forget_user(user_id)
        elif isinstance(self.storage, RedisStorage):
            redis = self.storage.redis
            async for key in redis.scan_iter(match=f"fsm:*:*:{user_id}:*"):
                await redis.delete(key)

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()
