"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.staff import Staff, list_staff, remove_staff
from storage.database import Database
from storage.migrate import alembic_config, upgrade
from storage.models import Base, Person, PersonRole
from tests.conftest import MAINTENANCE_URL, _maintain, _with_database


async def test_migrated_schema_matches_the_models(db):
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == []


async def test_upgrade_is_repeatable_and_downgrade_works(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    await upgrade(url)
    await upgrade(url)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
    await upgrade(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A database with nothing in it yet, on each server: a PostgreSQL one of the test's own
    (next to the run's database, whose reachability `postgres_ready` checks)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
        return
    request.getfixturevalue("postgres_ready")
    name = f"koldo_migration_{secrets.token_hex(6)}"
    await _maintain(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(MAINTENANCE_URL, name)
    finally:
        await _maintain(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_staff_listed_before_people_and_roles_stay_staff(empty_database_url: str):
    """0012 carries each staff member over as a person with an active staff role, flags kept,
    and a downgrade gives the old list back."""
    url = empty_database_url
    await upgrade(url, "0011")
    db = Database.from_url(url)
    try:
        added = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO staff_members (user_id, name, is_admin, on_duty, added_at) "
                    "VALUES (:a, 'Нурлан', true, false, :t), (:b, 'Айпери', false, true, :t)"
                ),
                {"a": 5_000_000_001, "b": 501, "t": added},
            )
        await upgrade(url, "0012")
        assert await list_staff(db) == [
            Staff(501, "Айпери", is_admin=False, on_duty=True),
            Staff(5_000_000_001, "Нурлан", is_admin=True, on_duty=False),
        ]
        [(person, role)] = await _people_and_roles(db, 501)
        assert (role.role, role.status, role.decided_at) == ("staff", "active", added)
        assert person.created_at == added
        await remove_staff(db, 501)

        await asyncio.to_thread(command.downgrade, alembic_config(url), "0011")
        async with db.engine.connect() as connection:
            listed = await connection.execute(text("SELECT user_id, name FROM staff_members"))
            assert [tuple(row) for row in listed] == [(5_000_000_001, "Нурлан")]
    finally:
        await db.dispose()


async def _people_and_roles(db: Database, user_id: int) -> list[tuple[Person, PersonRole]]:
    async with db.transaction() as repos:
        return [
            (person, role)
            for person, role in await repos.people.holding("staff", ["active"])
            if person.user_id == user_id
        ]
