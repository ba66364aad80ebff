"""Middlewares that put per-update data in place for handlers; they hold no rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from core.users import load_profile
from storage.database import Database


class ProfileMiddleware(BaseMiddleware):
    """Loads who is writing (language, consent) so every handler and screen receives `profile`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and "profile" not in data:
            data["profile"] = await load_profile(self.db, user.id)
        return await handler(event, data)
