"""Fixtures: a real database per test (SQLite, and PostgreSQL when a server is there), the Bot
API emulator, and the real bot polling it."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text

import bot  # noqa: F401  (before aiogram: lazy models, as in `koldo`; see bot.lazy_models)
from core import reference
from storage.database import Database
from storage.migrate import drop_everything, upgrade
from tests.emulator import BotApiEmulator
from tests.harness import REFERENCE_FILE, RunningBot, bot_running, make_settings

T = TypeVar("T")
POSTGRES_URL = os.environ.get(
    "KOLDO_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("KOLDO_REQUIRE_POSTGRES") == "1"
# Tables that hold what tests create; emptied before each PostgreSQL test.
STATE_TABLES = (
    "waiting_list",
    "bookings",
    "booking_slots",
    "outbox",
    "message_links",
    "staff_members",
    "audit_log",
    "request_messages",
    "request_status_changes",
    "requests",
    "consents",
    "users",
    "fsm_records",
    "received_updates",
    "worker_leases",
)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run set-up code on a loop of its own, whether or not a test loop is running."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


async def _migrate_and_seed(url: str) -> None:
    await upgrade(url)
    db = Database.from_url(url)
    try:
        await reference.seed(db, REFERENCE_FILE)
    finally:
        await db.dispose()


async def _postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    import asyncpg

    dsn = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "koldo.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    run_sync(_migrate_and_seed(url))
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    problem = run_sync(_postgres_reachable())
    if problem is not None:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " but KOLDO_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message + "; set KOLDO_TEST_POSTGRES_URL to run these tests")
    run_sync(drop_everything(POSTGRES_URL))
    run_sync(_migrate_and_seed(POSTGRES_URL))
    return POSTGRES_URL


async def _reset_postgres_state(url: str) -> None:
    """Empty what tests create and put the reference data back as the file has it."""
    db = Database.from_url(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(f"TRUNCATE {', '.join(STATE_TABLES)} RESTART IDENTITY CASCADE")
            )
        await reference.seed(db, REFERENCE_FILE)
    finally:
        await db.dispose()


@pytest.fixture
def sqlite_database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A SQLite database of the test's own, migrated and seeded."""
    path = tmp_path / "koldo.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def postgres_database_url(postgres_ready: str) -> str:
    """The PostgreSQL test database, emptied of what earlier tests created."""
    run_sync(_reset_postgres_state(postgres_ready))
    return postgres_ready


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs on both databases."""
    return request.getfixturevalue(f"{request.param}_database_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as server:
        yield server
        assert not server.internal_errors, server.internal_errors


@pytest.fixture
async def koldo(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    async with bot_running(make_settings(database_url, emulator.base_url)) as running:
        yield running
