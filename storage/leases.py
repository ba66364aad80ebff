"""A named lease in the database: which one process does a job that must run exactly once.

Works alike on SQLite and PostgreSQL, so `koldo worker` takes over the same way on both: the
holder renews the row's `until` every few seconds; a process that finds it expired takes it in
one conditional statement, so of two racing for it exactly one wins. The time is each
process's own clock (kept by NTP), never the rules' clock, which tests move forward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database, connection_scope
from storage.models import WorkerLease


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def take_or_renew(db: Database, name: str, holder: str, *, ttl: timedelta) -> bool:
    """Hold the lease `name` for `ttl` from now if it is free, expired or already ours."""
    now = wall_clock()
    table = WorkerLease.__table__
    async with connection_scope(db.engine) as connection:
        result = await connection.execute(
            update(table)
            .where(table.c.name == name)
            .where(or_(table.c.holder == holder, table.c.until <= now))
            .values(holder=holder, until=now + ttl)
        )
        if result.rowcount == 1:
            return True
    try:
        async with connection_scope(db.engine) as connection:
            await connection.execute(
                table.insert().values(name=name, holder=holder, until=now + ttl)
            )
    except IntegrityError:  # somebody holds it (or took it a moment ago)
        return False
    return True


async def give_back(db: Database, name: str, holder: str) -> None:
    """End our lease at once (a clean stop), so a waiting process takes over now."""
    table = WorkerLease.__table__
    async with connection_scope(db.engine) as connection:
        await connection.execute(
            delete(table).where(table.c.name == name).where(table.c.holder == holder)
        )
