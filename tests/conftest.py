"""Fixtures: a real database per test (SQLite, and PostgreSQL when a server is there), the Bot
API emulator, and the real bot polling it.

This is the tests' entry point: it installs the performance patches (koldo.patches) as `koldo
run` does, before anything imports aiogram; `KOLDO_PERFORMANCE__PATCHES=false` runs the tests
without them. A test that runs Koldo against the emulator is marked `e2e`: scripts/test.sh runs
those a second time with the patches off."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core import reference
from koldo import patches
from koldo.settings import Settings
from storage.database import Database
from storage.migrate import upgrade

patches.install(Settings(_env_file=None).performance)

from tests.emulator import BotApiEmulator  # noqa: E402  (aiogram: after the patches)
from tests.harness import REFERENCE_FILE, RunningBot, bot_running, make_settings  # noqa: E402

T = TypeVar("T")
# The server's maintenance database: each run creates a database of its own through it.
MAINTENANCE_URL = os.environ.get(
    "KOLDO_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("KOLDO_REQUIRE_POSTGRES") == "1"
# Tables that hold what tests create; emptied before each PostgreSQL test.
STATE_TABLES = (
    "attendance_reports",
    "training_signups",
    "session_trainers",
    "training_subscriptions",
    "training_sessions",
    "waiting_list",
    "bookings",
    "booking_slots",
    "outbox",
    "message_links",
    "person_roles",
    "people",
    "audit_log",
    "request_messages",
    "request_status_changes",
    "requests",
    "consents",
    "users",
    "fsm_records",
    "received_updates",
    "worker_leases",
    # Days closed with /close outlive a seed (by_staff); those the file lists are seeded again.
    "centre_closures",
)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run set-up code on a loop of its own, whether or not a test loop is running."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def open_database(database_url: str) -> Database:
    """A Database as Koldo's processes open it, with the SQLite driver patch when it is on."""
    return Database.from_url(database_url, inline_sqlite=patches.enabled(patches.SQLITE_DRIVER))


async def _migrate_and_seed(url: str) -> None:
    await upgrade(url)
    db = Database.from_url(url)
    try:
        await reference.seed(db, REFERENCE_FILE)
    finally:
        await db.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(MAINTENANCE_URL)), 5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def _maintain(statement: str) -> None:
    """CREATE or DROP DATABASE, which run outside a transaction, in the maintenance database."""
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(MAINTENANCE_URL))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "koldo.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    run_sync(_migrate_and_seed(url))
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """A database of this run's own, `koldo_test_<random>`, migrated and seeded, and dropped
    when the run ends: two runs on one server (two developers, CI and a developer) never
    touch each other's data."""
    problem = run_sync(_postgres_reachable())
    if problem is not None:
        message = f"PostgreSQL is not reachable at {MAINTENANCE_URL} ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " but KOLDO_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message + "; set KOLDO_TEST_POSTGRES_URL to run these tests")
    name = f"koldo_test_{secrets.token_hex(6)}"
    run_sync(_maintain(f'CREATE DATABASE "{name}"'))
    try:
        url = _with_database(MAINTENANCE_URL, name)
        run_sync(_migrate_and_seed(url))
        yield url
    finally:
        # FORCE: a Koldo process a test killed may still hold a connection.
        run_sync(_maintain(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reset_postgres_state(url: str) -> None:
    """Empty what tests create and put the reference data back as the file has it (days
    closed by staff are the tests' own: loading the file keeps them, so they go first)."""
    db = Database.from_url(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(f"TRUNCATE {', '.join(STATE_TABLES)} RESTART IDENTITY CASCADE")
            )
            await connection.execute(text("DELETE FROM centre_closures WHERE by_staff"))
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
    database = open_database(database_url)
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


@pytest.fixture
async def staff_bot(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    """Koldo with a forum staff group (see tests.test_staff_inbox.staff_settings)."""
    from tests.test_staff_inbox import STAFF_GROUP, staff_settings

    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`e2e`: the tests that run Koldo against the Bot API emulator (they use both)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        databases = {"database_url", "sqlite_database_url", "postgres_database_url"}
        if "emulator" in fixtures and databases & set(fixtures):
            item.add_marker(pytest.mark.e2e)
