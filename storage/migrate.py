"""Bring a database to the newest schema (used by `koldo migrate` and `koldo run`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Alembic's env runs its own event loop, so it gets a thread of its own."""
    await asyncio.to_thread(upgrade_sync, url, revision)


async def is_current(url: str) -> bool:
    """Whether the database is at the newest schema (a `koldo bot` or `koldo worker` does not
    migrate: two processes starting at once must not both try)."""
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
    finally:
        await db.dispose()
    return current == heads


async def drop_everything(url: str) -> None:
    """Empty a throwaway PostgreSQL database (the tests' and benchmarks'): drop and recreate its
    `public` schema, tables, sequences and Alembic's version table with it."""
    db = Database.from_url(url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await db.dispose()
