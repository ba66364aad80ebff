"""Optional aiogram glue: the bot tells the emulator when it finished an update.

The emulator only sees HTTP.  When aiogram handles updates as tasks, a
handler's calls may wait in aiogram's own connection pool, invisible to the
server, so "no call for a while" does not prove the handler is done.  An outer
middleware that reports each finished update makes ``settle`` exact; the
benchmark with a thousand users at once needs that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

from .server import BotApiEmulator

__all__ = ["UpdateHandledReporter", "report_handled_updates"]


class UpdateHandledReporter(BaseMiddleware):
    """Outer update middleware: after each update (even a failing one), report it.

    ``target`` is the emulator itself when the bot runs in the test's event
    loop, or the emulator's ``base_url`` when the bot is another process.
    """

    def __init__(self, target: BotApiEmulator | str) -> None:
        self._target = target
        self._http: aiohttp.ClientSession | None = None
        self._closed = False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            if isinstance(event, Update):
                await self._report(event.update_id)

    async def _report(self, update_id: int) -> None:
        if isinstance(self._target, BotApiEmulator):
            self._target.mark_handled(update_id)
            return
        if self._closed:
            return  # a handler outlived the test; nobody is listening any more
        if self._http is None:
            self._http = aiohttp.ClientSession()
        url = f"{self._target.rstrip('/')}/emulator/handled/{update_id}"
        async with self._http.post(url) as response:
            await response.read()

    async def close(self) -> None:
        """Close the HTTP session of the cross-process variant."""
        self._closed = True
        if self._http is not None:
            await self._http.close()


def report_handled_updates(
    dispatcher: Dispatcher, target: BotApiEmulator | str
) -> UpdateHandledReporter:
    """Install the reporter on a dispatcher and switch the emulator to exact settling.

    With a URL (bot in another process) the emulator cannot be told here:
    create it with ``reports_handled=True`` so the very first ``settle``
    already waits for reports.
    """
    reporter = UpdateHandledReporter(target)
    dispatcher.update.outer_middleware(reporter)
    if isinstance(target, BotApiEmulator):
        target.reports_handled = True
    return reporter
