"""The sender: delivers outbox entries, one chat at a time in order, paced, retried.

One lane (an asyncio task) per chat that has something due; a lane sends its chat's entries
oldest first and ends when the chat is empty, so a slow group never holds up the parents'
chats. At most `MAX_LANES` people's chats have a lane at a time, those waiting longest first
(the staff group always has one): the bot may send only about 30 messages a second anyway,
and 5,000 reminders falling due together as 5,000 lanes claimed 5,000 entries at once,
exhausting the database's connections and renewing thousands of leases while they waited.
Each entry is held under a lease while it is worked on (renewed meanwhile), so no other sender
takes it. Telegram's answer decides what happens to an entry:

* accepted → marked sent (with the message ids, so replies to them find the request);
* 429 / 5xx / network trouble → tried again later (after retry_after, or a growing backoff);
* the parent blocked the bot or deleted their account → given up, and the card says so;
* the group refused it for good → given up, and a line in the request's topic says so;
* the request's topic was deleted by hand → the topic and card are opened again, then sent;
* the bot was removed from the staff group → logged, and retried every few minutes.

What the sender writes down afterwards is tried again until the database takes it, and a lane
outlives any database error: a message Telegram took is never sent again because of a fault
in the bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.outbox.bookkeeping import until_done
from bot.outbox.delivery import AfterFollowUps, Deliverer, Sent, TopicGone, Unreachable
from bot.outbox.failures import chat_is_gone, classify
from bot.outbox.pacing import Pacer
from core import outbox
from core.outbox import LEASE, PROGRESS, Delivery
from core.workhours import QuietHours
from storage.database import Database

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_LANES = 32  # people's chats sent to at once: a second's worth of Telegram's pace, and some
MAX_BACKOFF = timedelta(minutes=5)
UNREACHABLE_RETRY = timedelta(minutes=5)


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
        self,
        db: Database,
        deliverer: Deliverer,
        pacer: Pacer,
        signal: OutboxSignal,
        *,
        quiet: QuietHours | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db = db
        self.quiet = quiet
        self.poll_seconds = poll_seconds
        self.deliverer = deliverer
        self.pacer = pacer
        self.signal = signal
        self.outage = deliverer.outage
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._recheck: set[int] = set()
        self._digest: asyncio.Task[None] | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 10.0) -> None:
        """Let each lane finish the entry in hand (so no entry is left in doubt), then end."""
        self._stopping = True
        self.signal.poke()
        tasks = [
            task for task in (self._task, self._digest, *self._lanes.values()) if task is not None
        ]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()

    async def _run(self) -> None:
        in_doubt = await until_done(partial(outbox.start_up, self.db), self.outage)
        if in_doubt:
            logger.warning(
                "%d outbox entries were being sent when Koldo last stopped; sending them again "
                "(a message may arrive twice if Telegram had already taken it)",
                in_doubt,
            )
        while not self._stopping:
            try:
                chats = await outbox.chats_with_due(self.db)
            except Exception as error:
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.succeeded()
            for chat_id in chats:
                if not self._ensure_lane(chat_id):
                    break  # the others wait for a lane to end (it wakes this loop)
            self._list_held_back()
            await self.signal.wait(self.poll_seconds)

    def _ensure_lane(self, chat_id: int) -> bool:
        """A lane for the chat, if it has none and one is free; False when none is."""
        if chat_id in self._lanes:
            self._recheck.add(chat_id)
            return True
        group = chat_id == outbox.STAFF_CHAT
        if not group and sum(c != outbox.STAFF_CHAT for c in self._lanes) >= MAX_LANES:
            return False
        task = asyncio.create_task(self._lane(chat_id), name=f"outbox-lane-{chat_id}")
        self._lanes[chat_id] = task
        task.add_done_callback(lambda _task: self._lane_ended(chat_id))
        return True

    def _lane_ended(self, chat_id: int) -> None:
        self._lanes.pop(chat_id, None)
        if not self._stopping:
            self.signal.poke()  # a chat waiting for a lane may have one now

    def _list_held_back(self) -> None:
        """Cards held back by the group's pace are listed in a digest at once (one at a time)."""
        group = self.deliverer.staff_chat_id
        if group is None or not self.pacer.must_wait(group):
            return
        if self._digest is None or self._digest.done():
            self._digest = asyncio.create_task(self._held_back(), name="outbox-digest")

    async def _held_back(self) -> None:
        try:
            await self.deliverer.list_held_back()
        except Exception as error:  # the cards still come in their turn
            logger.warning("A digest of waiting requests could not be posted: %s", error)

    async def _lane(self, chat_id: int) -> None:
        """Sends this chat's entries until none is due; a database error only pauses it."""
        while not self._stopping:
            try:
                delivery = await outbox.claim_head(self.db, chat_id, quiet=self.quiet)
            except Exception as error:
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.succeeded()
            if delivery is None:
                if chat_id in self._recheck:
                    self._recheck.discard(chat_id)
                    continue
                return
            keeper = asyncio.create_task(self._keep_lease(delivery))
            try:
                await self._process(delivery)
            finally:
                keeper.cancel()

    async def _keep_lease(self, delivery: Delivery) -> None:
        """Renew the lease while the entry is in hand (a long wait for the group's pace, a
        slow Telegram, a database that is down when the bookkeeping is due)."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            with contextlib.suppress(Exception):  # the bookkeeping reports the outage
                await outbox.extend_lease(self.db, delivery)

    async def _process(self, delivery: Delivery) -> None:
        if delivery.in_doubt:
            logger.warning("Outbox entry %d may already have been sent once", delivery.id)
        try:
            message_ids = await self._deliver(delivery)
        except AfterFollowUps:
            await self._book(outbox.requeue, delivery)
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
            await self._book(outbox.mark_sent, delivery, message_ids=message_ids)

    async def _deliver(self, delivery: Delivery) -> Sent:
        """Send; a deleted topic is re-opened (with its card) and the entry sent once more."""
        try:
            return await self.deliverer.deliver(delivery)
        except TopicGone:
            logger.warning("The topic of request %s is gone; opening it again", delivery.request_id)
            payload = {k: v for k, v in delivery.payload.items() if k != PROGRESS}
            return await self.deliverer.deliver(replace(delivery, payload=payload))

    async def _book(
        self, write: Callable[..., Awaitable[None]], delivery: Delivery, **values: object
    ) -> None:
        """Write down what became of the entry, however long the database takes."""
        await until_done(partial(write, self.db, delivery, **values), self.outage)

    async def _refused(self, delivery: Delivery, error: Exception) -> None:
        text = str(error)
        failure = classify(error)
        if delivery.chat_id == outbox.STAFF_CHAT:
            if isinstance(error, TelegramForbiddenError):
                logger.error("The bot cannot post in the staff group (%s); entries wait", text)
                await self._later(delivery, UNREACHABLE_RETRY, error, log=False)
                return
            logger.error("Telegram refused outbox entry %d for the group: %s", delivery.id, text)
            await self._say_refused(delivery, text)
        elif chat_is_gone(failure):
            logger.info("Chat %s cannot receive entry %d: %s", delivery.chat_id, delivery.id, text)
        else:
            logger.error("Telegram refused outbox entry %d: %s", delivery.id, text)
        await self._book(outbox.give_up, delivery, reason=failure)

    async def _say_refused(self, delivery: Delivery, text: str) -> None:
        try:
            await self.deliverer.say_refused(delivery, text)
        except Exception as error:  # the log line above is all that is left
            logger.error("Nor could the group be told about entry %d: %s", delivery.id, error)

    async def _later(
        self, delivery: Delivery, delay: timedelta, error: Exception, *, log: bool = True
    ) -> None:
        if log:
            logger.warning(
                "Outbox entry %d: %s; next try in %.0f s", delivery.id, error, delay.total_seconds()
            )
        await self._book(outbox.retry_later, delivery, delay=delay, reason=classify(error))


def _backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 10)))
