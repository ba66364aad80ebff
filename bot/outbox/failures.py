"""What Telegram's refusals mean, in core's reason codes (`core.outbox.Failure`).

Telegram says why in English prose; only this front reads it. What is stored, and shown to
staff in their language, is the code; the prose goes to the log.
"""

from __future__ import annotations

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.outbox.delivery import Unreachable
from core.outbox import Failure

# A person's chat that can never receive anything again: the entry is given up.
GONE = {
    "blocked": Failure.BLOCKED,
    "deactivated": Failure.DEACTIVATED,
    "user is deleted": Failure.DEACTIVATED,
    "chat not found": Failure.CHAT_NOT_FOUND,
}


def classify(error: BaseException) -> Failure:
    if isinstance(error, TelegramRetryAfter):
        return Failure.RATE_LIMITED
    if isinstance(error, TelegramServerError | TelegramNetworkError | TimeoutError):
        return Failure.UNAVAILABLE
    if isinstance(error, Unreachable):
        return Failure.NO_STAFF_GROUP
    if isinstance(error, TelegramForbiddenError | TelegramBadRequest | TelegramNotFound):
        text = str(error).lower()
        return next((code for words, code in GONE.items() if words in text), Failure.REFUSED)
    return Failure.ERROR


def chat_is_gone(failure: Failure) -> bool:
    """The person can no longer be reached at all (blocked the bot, deleted the account)."""
    return failure in GONE.values()
