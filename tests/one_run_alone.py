"""Not collected on its own: tests/test_isolation.py runs this file in two pytest processes at
once, each on PostgreSQL, to show that each run has a database to itself."""

from __future__ import annotations

import asyncio
import os

import pytest

from core.staff import add_staff, list_staff
from storage.database import Database


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_what_this_run_writes_is_all_it_reads(db: Database) -> None:
    """A run on a shared database would see the other run's member, or lose its own when the
    other one empties the tables before its own test."""
    user_id = os.getpid()
    await add_staff(db, user_id, "Aigul")
    await asyncio.sleep(3)  # the other run meanwhile starts, migrates and writes
    assert [member.user_id for member in await list_staff(db)] == [user_id]
