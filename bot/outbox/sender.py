"""The sender: delivers outbox entries, one chat at a time in order, paced, retried.

One lane (an asyncio task) per chat that has something due; a lane sends its chat's entries
oldest first and ends when the chat is empty, so a slow group never holds up the parents'
chats. Telegram's answer decides what happens to an entry:

* accepted → marked sent (with the message ids, so replies to them find the request);
* 429 / 5xx / network trouble → tried again later (after retry_after, or a growing backoff);
* the parent blocked the bot or deleted their account → given up, and the card says so;
* the request's topic was deleted by hand → the topic and card are opened again, then sent;
* the bot was removed from the staff group → logged, and retried every few minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.outbox.delivery import Deliverer, TopicGone, Unreachable
from bot.outbox.pacing import Pacer
from core import outbox
from core.outbox import Delivery
from storage.database import Database

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_BACKOFF = timedelta(minutes=5)
UNREACHABLE_RETRY = timedelta(minutes=5)
GIVE_UP_WORDS = ("blocked", "deactivated", "chat not found", "user is deleted")


class OutboxSignal:
    """Poked after each commit that wrote to the outbox (see Database.outbox_listeners)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def poke(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()


class OutboxSender:
    def __init__(
        self, db: Database, deliverer: Deliverer, pacer: Pacer, signal: OutboxSignal
    ) -> None:
        self.db = db
        self.deliverer = deliverer
        self.pacer = pacer
        self.signal = signal
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._recheck: set[int] = set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 10.0) -> None:
        """Let each lane finish the entry in hand (so no entry is left in doubt), then end."""
        self._stopping = True
        self.signal.poke()
        tasks = [task for task in (self._task, *self._lanes.values()) if task is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()

    async def _run(self) -> None:
        released = await outbox.release_in_doubt(self.db)
        if released:
            logger.warning(
                "%d outbox entries were being sent when Koldo last stopped; sending them again "
                "(a message may arrive twice if Telegram had already taken it)",
                released,
            )
        while not self._stopping:
            try:
                for chat_id in await outbox.chats_with_due(self.db):
                    self._ensure_lane(chat_id)
            except Exception:
                logger.exception("The outbox could not be read; trying again")
            await self.signal.wait(POLL_SECONDS)

    def _ensure_lane(self, chat_id: int) -> None:
        if chat_id in self._lanes:
            self._recheck.add(chat_id)
            return
        task = asyncio.create_task(self._lane(chat_id), name=f"outbox-lane-{chat_id}")
        self._lanes[chat_id] = task
        task.add_done_callback(lambda _task: self._lanes.pop(chat_id, None))

    async def _lane(self, chat_id: int) -> None:
        while not self._stopping:
            try:
                delivery = await outbox.claim_head(self.db, chat_id)
            except Exception:
                logger.exception("The outbox could not be read for chat %s", chat_id)
                return
            if delivery is None:
                if chat_id in self._recheck:
                    self._recheck.discard(chat_id)
                    continue
                return
            await self._process(delivery)

    async def _process(self, delivery: Delivery) -> None:
        if delivery.in_doubt:
            logger.warning("Outbox entry %d may already have been sent once", delivery.id)
        try:
            message_ids = await self._deliver(delivery)
        except TelegramRetryAfter as error:
            await self._later(delivery, timedelta(seconds=error.retry_after), error)
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
            if isinstance(error.__cause__, TimeoutError):  # the answer never came
                logger.warning(
                    "Telegram did not answer in time about outbox entry %d; it is sent again "
                    "later and arrives twice if Telegram had carried it out",
                    delivery.id,
                )
            await self._later(delivery, _backoff(delivery.attempts), error)
        except Unreachable as error:
            logger.error("%s; entry %d waits", error, delivery.id)
            await self._later(delivery, UNREACHABLE_RETRY, error, log=False)
        except (TelegramForbiddenError, TelegramBadRequest, TelegramNotFound) as error:
            await self._refused(delivery, error)
        except Exception as error:
            logger.exception("Outbox entry %d (%s) failed", delivery.id, delivery.kind)
            await self._later(delivery, _backoff(delivery.attempts), error, log=False)
        else:
            await outbox.mark_sent(self.db, delivery.id, message_ids=message_ids)

    async def _deliver(self, delivery: Delivery) -> list[tuple[int, int]]:
        """Send; a deleted topic is re-opened (with its card) and the entry sent once more."""
        try:
            return await self.deliverer.deliver(delivery)
        except TopicGone:
            logger.warning("The topic of request %s is gone; opening it again", delivery.request_id)
            return await self.deliverer.deliver(delivery)

    async def _refused(self, delivery: Delivery, error: Exception) -> None:
        text = str(error)
        if delivery.chat_id == outbox.STAFF_CHAT:
            if isinstance(error, TelegramForbiddenError):
                logger.error("The bot cannot post in the staff group (%s); entries wait", text)
                await self._later(delivery, UNREACHABLE_RETRY, error, log=False)
                return
            logger.error("Telegram refused outbox entry %d for the group: %s", delivery.id, text)
        elif any(word in text.lower() for word in GIVE_UP_WORDS):
            logger.info("Chat %s cannot receive entry %d: %s", delivery.chat_id, delivery.id, text)
        else:
            logger.error("Telegram refused outbox entry %d: %s", delivery.id, text)
        await outbox.give_up(self.db, delivery.id, error=text)

    async def _later(
        self, delivery: Delivery, delay: timedelta, error: Exception, *, log: bool = True
    ) -> None:
        if log:
            logger.warning(
                "Outbox entry %d: %s; next try in %.0f s", delivery.id, error, delay.total_seconds()
            )
        await outbox.retry_later(self.db, delivery.id, delay=delay, error=str(error))


def _backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))
