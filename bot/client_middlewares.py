"""Request middlewares of the Bot API client.

Calls that Telegram refuses for a moment are tried again: 429 says exactly how long to wait
(retry_after); 5xx and network errors get an exponential backoff. Long polling has its own
backoff (bot.intake), so getUpdates is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

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
        if method.__api_method__ == "getUpdates":
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
