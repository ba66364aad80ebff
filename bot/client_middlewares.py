"""Request middlewares of the Bot API client.

Calls that Telegram refuses for a moment are tried again: 429 says exactly how long to wait
(retry_after); 5xx and network errors get an exponential backoff. Long polling has its own
backoff in aiogram, so getUpdates is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

logger = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(
        self, *, attempts: int = 5, base_delay: float = 0.5, max_delay: float = 30.0
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Any:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self.attempts:
                    raise
                delay = float(error.retry_after)
                problem = error.message
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt >= self.attempts:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                problem = error.message
            logger.warning(
                "%s failed (%s; attempt %d of %d); retrying in %.1f s",
                type(method).__name__,
                problem,
                attempt,
                self.attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1


class ResponseModelPin(BaseRequestMiddleware):
    """Keeps aiogram's per-method response models alive.

    aiogram parses every answer with `Response[<the method's result type>]`, and pydantic caches
    such generic models only weakly: under load the garbage collector drops them and each call
    rebuilds a validator (milliseconds of schema generation, a fifth of Koldo's CPU in the
    benchmark before this). One strong reference per result type keeps the cache warm.
    """

    def __init__(self) -> None:
        self._pinned: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Any:
        returning = method.__returning__
        if returning not in self._pinned:
            self._pinned[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
