"""Writing down what happened to an entry, however long the database takes to come back.

Once Telegram has taken a message, the note that it went out must reach the database: giving up
would leave the entry to be sent a second time. So the sender's writes are tried again, with a
growing pause, until they succeed; `storage.outage` keeps the log to one line per outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from storage.outage import Outage

T = TypeVar("T")


async def until_done(write: Callable[[], Awaitable[T]], outage: Outage) -> T:
    """`write()` again and again until it succeeds (cancelling the caller stops it)."""
    while True:
        try:
            result = await write()
        except Exception as error:
            await asyncio.sleep(outage.failed(error))
        else:
            outage.succeeded()
            return result
