"""Engines, sessions and the transaction boundary.

Everything here is built by factories from a URL handed down by the caller, never at import time,
so tests and several processes can each have their own database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.repositories import Repositories
from storage.repositories.outbox import OUTBOX_WRITTEN


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one writer commits; NORMAL sync is durable in WAL mode
    except for the last commit on power loss, which the outbox and retries tolerate."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str, *, echo: bool = False, inline_sqlite: bool = False) -> AsyncEngine:
    """Create the async engine for `url` with per-backend settings. `inline_sqlite` runs a
    SQLite file's calls on the event loop's thread (storage.sqlite_driver, one of the
    performance patches that the entry point chooses); otherwise aiosqlite works as it comes."""
    if is_sqlite(url):
        # One connection for a file: SQLite has one writer anyway, and a single connection makes
        # transactions queue in-process instead of failing with "database is locked". Waiting
        # is better than failing the update, and without a timeout SQLAlchemy takes a free
        # connection without a turn of the event loop (see storage.sqlite_driver).
        path = make_url(url).database
        options: dict[str, Any] = {}
        if path not in (None, "", ":memory:"):
            options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": None}
            if inline_sqlite:
                options["async_creator"] = lambda: sqlite_driver.connect(path)
        engine = create_async_engine(url, echo=echo, **options)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


@asynccontextmanager
async def connection_scope(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A Core connection, committed and closed in the caller's task (rolled back on close if
    the block raised). SQLAlchemy's own context managers (`engine.begin()`, `sessions.begin()`)
    end in tasks of their own, three turns of the event loop each with the connection held: on
    SQLite's one connection that queued every other transaction behind them."""
    connection = await engine.connect()
    try:
        yield connection
        await connection.commit()
    finally:
        await connection.close()


class AlreadyStored(Exception):
    """The transaction wrote a row whose unique key another transaction stored first (two
    processes doing the same thing at once); it was rolled back. Core decides what that means
    without knowing the database's own error types."""


class Database:
    """The one way in to the data: `async with db.transaction() as repos:` is one unit of work,
    committed when the block ends and rolled back if it raises."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
        # Called after a commit that wrote to the outbox: the sender need not poll for it.
        self.outbox_listeners: list[Callable[[], None]] = []

    @classmethod
    def from_url(cls, url: str, *, inline_sqlite: bool = False) -> Database:
        return cls(create_engine(url, inline_sqlite=inline_sqlite))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        # Ended in the caller's task, not by `sessions.begin()`: see `connection_scope`.
        session = self.sessions()
        try:
            yield Repositories(session)
            await session.commit()
        except IntegrityError as error:
            await session.rollback()
            raise AlreadyStored() from error
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()
        if session.info.pop(OUTBOX_WRITTEN, False):
            for listener in self.outbox_listeners:
                listener()

    async def dispose(self) -> None:
        await self.engine.dispose()
