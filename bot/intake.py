"""Long polling that loses no update and handles none twice.

aiogram's own polling tells Telegram an update arrived (the next getUpdates' offset) as soon as
it has read it, while the update is still being handled: a process killed at that moment lost
it for good (17 of 180 staff replies in one trial). Here every update is first written to the
update journal (`storage.journal`), then confirmed, then handled, and marked handled once what
it changed is saved. At start-up the updates a killed process left unhandled are handled first;
an update Telegram sends again is recognised by its id and skipped.

Updates are read raw and parsed one by one: one that aiogram cannot parse is logged and skipped
instead of failing the whole batch (which stalled polling for everyone, forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Sequence
from typing import Any, ClassVar

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError

from bot.handlers.errors import tell_about_failure
from bot.i18n import PoI18n
from storage.journal import UpdateJournal
from storage.outage import Outage, is_outage

logger = logging.getLogger(__name__)

UPDATES_PER_CALL = 100
STOP_GRACE_SECONDS = 20.0


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answered as plain JSON objects: each update is parsed on its own, so that
    one aiogram cannot read does not take the others down with it."""

    __returning__: ClassVar[Any] = list[dict[str, Any]]
    __api_method__: ClassVar[str] = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def _telegram_trouble(error: BaseException) -> bool:
    """Failures of the Bot API server or the way to it, which waiting mends."""
    return isinstance(
        error, (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)
    ) or is_outage(error)


class UpdateIntake:
    """Reads updates from Telegram and hands them to the dispatcher, as described above.

    `concurrent=False` handles one update at a time and asks for the next batch only when the
    current one is handled (the tests use it: the emulator then knows when an update is done).
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        journal: UpdateJournal,
        i18n: PoI18n,
        *,
        polling_timeout: int,
        allowed_updates: list[str],
        concurrent: bool = True,
        max_concurrent: int = 64,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.journal = journal
        self.i18n = i18n
        self.polling_timeout = polling_timeout
        self.allowed_updates = allowed_updates
        self.concurrent = concurrent
        self._slots = asyncio.Semaphore(max_concurrent)
        self._in_hand: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._telegram = Outage(
            logger, "Reading updates from Telegram", transient=_telegram_trouble
        )
        self._database = Outage(logger, "Writing received updates to the database")

    def stop(self) -> None:
        self._stop.set()

    async def serve(self, *, handle_signals: bool = False, close_bot_session: bool = True) -> None:
        """Run until `stop()` (or SIGINT/SIGTERM): start-up, the updates left over from last
        time, polling; then finish the updates in hand and shut down."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        workflow = {
            "dispatcher": self.dispatcher,
            "bots": [self.bot],
            **self.dispatcher.workflow_data,
        }
        await self.dispatcher.emit_startup(bot=self.bot, **workflow)
        try:
            await self._catch_up()
            await self._poll()
        finally:
            await self._finish_in_hand()
            try:
                await self.journal.close()
            finally:
                try:
                    await self.dispatcher.emit_shutdown(bot=self.bot, **workflow)
                finally:
                    if close_bot_session:
                        await self.bot.session.close()

    async def _catch_up(self) -> None:
        """Handle what a previous process wrote down but never finished, oldest first."""
        left = await self.journal.unhandled()
        if left:
            logger.warning("Handling %d updates left unhandled when Koldo last stopped", len(left))
        for update_id, raw in left:
            if self._stop.is_set():
                return
            await self._handle(update_id, json.loads(raw))

    async def _poll(self) -> None:
        offset: int | None = None
        while not self._stop.is_set():
            batch = await self._fetch(offset)
            if not batch:
                continue
            new = await self._write_down(batch)
            if new is None:
                continue  # not written: not confirmed either, so Telegram sends it again
            offset = batch[-1]["update_id"] + 1
            for raw in batch:
                if raw["update_id"] in new:
                    await self._dispatch(raw["update_id"], raw)

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """The next updates, or none when stopping; Telegram trouble is waited out quietly."""
        call = GetRawUpdates(
            offset=offset,
            limit=UPDATES_PER_CALL,
            timeout=self.polling_timeout,
            allowed_updates=self.allowed_updates,
        )
        fetching = asyncio.ensure_future(
            self.bot(call, request_timeout=int(self.bot.session.timeout + self.polling_timeout))
        )
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetching.done():
            fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetching
            return []
        try:
            updates = fetching.result()
        except Exception as error:
            await self._pause(self._telegram.failed(error))
            return []
        self._telegram.succeeded()
        return updates

    async def _write_down(self, batch: Sequence[dict[str, Any]]) -> set[int] | None:
        """Journal the batch; the ids to handle now (those not seen before), or None when the
        database could not take them."""
        rows = [(raw["update_id"], json.dumps(raw, ensure_ascii=False)) for raw in batch]
        try:
            new = await self.journal.record(rows)
        except Exception as error:
            await self._pause(self._database.failed(error))
            return None
        self._database.succeeded()
        return set(new)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _dispatch(self, update_id: int, raw: dict[str, Any]) -> None:
        if not self.concurrent:
            await self._handle(update_id, raw)
            return
        await self._slots.acquire()
        task = asyncio.create_task(self._handle_in_slot(update_id, raw))
        self._in_hand.add(task)
        task.add_done_callback(self._in_hand.discard)

    async def _handle_in_slot(self, update_id: int, raw: dict[str, Any]) -> None:
        try:
            await self._handle(update_id, raw)
        finally:
            self._slots.release()

    async def _handle(self, update_id: int, raw: dict[str, Any]) -> None:
        """Parse and feed one update; whatever happens, it is handled only once."""
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError as error:
            logger.error(
                "Update %d cannot be read and is skipped: %s",
                update_id,
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()),
            )
        else:
            try:
                await self.dispatcher.feed_update(self.bot, update)
            except Exception as error:
                if is_outage(error):
                    logger.warning("Update %d failed during an outage: %s", update_id, error)
                else:
                    logger.exception("Update %d failed beyond the error handlers", update_id)
                await tell_about_failure(update, error, self.i18n, self.dispatcher["profiles"])
        self.journal.handled(update_id)

    async def _finish_in_hand(self) -> None:
        if not self._in_hand:
            return
        _done, late = await asyncio.wait(set(self._in_hand), timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
        if late:
            logger.warning(
                "%d updates were still in hand after %.0f s; they are handled at the next start",
                len(late),
                STOP_GRACE_SECONDS,
            )
