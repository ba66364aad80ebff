"""aiosqlite, with SQLite's calls made on the event loop's own thread.

aiosqlite hands every call (open a cursor, execute, fetch, close, commit) to a thread of its own
and resumes the caller on a later turn of the event loop. Under a burst of parents a turn takes
milliseconds, and SQLAlchemy's four calls per statement held Koldo's one SQLite connection for
tens of milliseconds per transaction, most of it waiting for the loop: the connection became the
bottleneck of the whole bot. A statement on a local SQLite file takes microseconds, so here it
simply runs where it is called, and a transaction that does not wait on anything else finishes
without giving up the loop at all.

The price: a slow statement, or another process holding SQLite's write lock (`koldo seed` or
`koldo staff …` run while the bot is up; SQLite waits up to its busy timeout), pauses the whole
bot for that long. PostgreSQL, the production database, is reached through asyncpg as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)


async def connect(path: str) -> InlineConnection:
    """For `create_async_engine(async_creator=...)`. The connection is opened by aiosqlite's
    thread and then used from the loop's, hence `check_same_thread=False`."""
    connection = InlineConnection(
        lambda: sqlite3.connect(path, check_same_thread=False), iter_chunk_size=64
    )
    return await connection
