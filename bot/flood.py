"""Flood control: one person sending far more than anyone types is answered once, then ignored
for a while, so that the bot stays quick for everyone else.

Counted per person in each chat (in the staff group each colleague separately). The limits
(`Settings.flood`) are well above what a person does by hand: an album counts as one message,
so a colleague forwarding a few albums at once, or a parent sending a long story in bursts,
is never stopped. Ignored updates are still confirmed to Telegram: they are dropped on purpose.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User

from bot.i18n import ngettext_
from koldo.settings import FloodSettings

logger = logging.getLogger(__name__)


class Verdict(Enum):
    READ = "read"
    FLOOD_STARTS = "flood_starts"  # answered once: "you are sending messages very fast"
    IGNORE = "ignore"


@dataclass
class _Sender:
    recent: deque[float]  # when the last counted updates came, at most `limit` of them
    media_group: str | None = None
    paused_until: float | None = None
    ignored: int = 0


@dataclass
class FloodGuard:
    """Decides, update by update, whether one sender is flooding. Remembers the most recent
    `size` senders (a forgotten one simply starts counting afresh)."""

    settings: FloodSettings
    clock: Callable[[], float] = time.monotonic
    size: int = 10_000
    _senders: OrderedDict[tuple[int, int], _Sender] = field(default_factory=OrderedDict)

    def admit(self, key: tuple[int, int], media_group: str | None = None) -> Verdict:
        now = self.clock()
        sender = self._sender(key)
        if sender.paused_until is not None:
            if now < sender.paused_until:
                sender.ignored += 1
                return Verdict.IGNORE
            logger.info("Chat %s, user %s: read again, %d updates ignored", *key, sender.ignored)
            sender.paused_until, sender.ignored = None, 0
        if media_group is not None and media_group == sender.media_group:
            return Verdict.READ  # the rest of an album counts with its first item
        sender.media_group = media_group
        recent = sender.recent
        if len(recent) == recent.maxlen and now - recent[0] < self.settings.window_seconds:
            recent.clear()
            sender.paused_until = now + self.settings.pause_seconds
            logger.warning(
                "Chat %s, user %s: more than %d updates in %g s; ignoring them for %g s",
                *key,
                self.settings.updates,
                self.settings.window_seconds,
                self.settings.pause_seconds,
            )
            return Verdict.FLOOD_STARTS
        recent.append(now)
        return Verdict.READ

    def _sender(self, key: tuple[int, int]) -> _Sender:
        sender = self._senders.get(key)
        if sender is None:
            sender = self._senders[key] = _Sender(deque(maxlen=self.settings.updates))
            if len(self._senders) > self.size:
                self._senders.popitem(last=False)
        else:
            self._senders.move_to_end(key)
        return sender


class FloodMiddleware(BaseMiddleware):
    """Outer update middleware, after the person's language is known. The one answer goes
    where Koldo speaks (private chats and the staff group); elsewhere a flood is only ignored."""

    def __init__(self, guard: FloodGuard, staff_chat_id: int | None) -> None:
        self.guard = guard
        self.staff_chat_id = staff_chat_id

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is None or user is None or not isinstance(event, Update):
            return await handler(event, data)
        media_group = event.message.media_group_id if event.message is not None else None
        verdict = self.guard.admit((chat.id, user.id), media_group)
        if verdict is Verdict.READ:
            return await handler(event, data)
        if verdict is Verdict.FLOOD_STARTS and (
            chat.type == "private" or chat.id == self.staff_chat_id
        ):
            await self._ask_to_slow_down(event)
        return None

    async def _ask_to_slow_down(self, update: Update) -> None:
        minutes = math.ceil(self.guard.settings.pause_seconds / 60)
        text = ngettext_(
            "⏳ You are sending messages very fast. I will read them again in {minutes} minute.",
            "⏳ You are sending messages very fast. I will read them again in {minutes} minutes.",
            minutes,
        ).format(minutes=minutes)
        try:
            if update.message is not None:
                await update.message.answer(text)
            elif update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
        except TelegramAPIError:
            logger.warning("Could not ask a chat to slow down", exc_info=True)
