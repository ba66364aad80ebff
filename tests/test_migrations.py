"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.migrate import alembic_config, upgrade
from storage.models import Base


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
