"""Where conversation state lives: the database by default, Redis when several processes run."""

from __future__ import annotations

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation

from storage.database import Database
from storage.fsm import SqlStorage


class Conversations:
    """The FSM storage and its event isolation, chosen together."""

    def __init__(self, storage: BaseStorage, isolation: BaseEventIsolation) -> None:
        self.storage = storage
        self.isolation = isolation

    @classmethod
    def build(cls, db: Database, redis_url: str | None) -> Conversations:
        if redis_url:
            # Imported only when used: the Redis client costs memory a single process never needs.
            from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

            storage = RedisStorage.from_url(
                redis_url, key_builder=DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
            )
            return cls(storage, RedisEventIsolation(storage.redis, key_builder=storage.key_builder))
        return cls(SqlStorage(db.engine), SimpleEventIsolation())

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()
