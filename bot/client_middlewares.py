"""Request middlewares of the Bot API client.

Calls that Telegram refuses for a moment are tried again: 429 says exactly how long to wait
(retry_after); 5xx and network errors get an exponential backoff. Long polling has its own
backoff (bot.intake), so getUpdates is left alone. A call made under `paced_by_caller` gets its
429 back at once: the outbox sender paces its calls itself, and a retry made here would skip
its pacer and add to the very overload that Telegram refused.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

logger = logging.getLogger(__name__)

# Set (for the calls of one task) by a caller that retries a 429 through its own pacing.
paced_by_caller: ContextVar[bool] = ContextVar("paced_by_caller", default=False)


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
        if method.__api_method__ == "getUpdates":
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self.attempts or paced_by_caller.get():
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
