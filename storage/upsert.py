"""INSERT … ON CONFLICT DO UPDATE: SQLite and PostgreSQL spell it alike, SQLAlchemy builds it per
dialect. One statement instead of a read and a write, whether or not the row exists."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import Insert


@cache
def upsert(
    dialect: str,
    model: type[Any],
    key: InstrumentedAttribute[Any],
    updated: tuple[str, ...] | None = None,
) -> Insert:
    """Insert rows of `model` given as parameters; where a row with the same `key` exists, its
    `updated` columns (all but the key when not given) take the new values instead. Built once
    per shape: building and hashing a statement costs more than running it on SQLite."""
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    names = updated or [column.name for column in statement.table.c if column.name != key.name]
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in names}
    )


@cache
def insert_if_new(dialect: str, model: type[Any]) -> Insert:
    """Insert a row of `model` given as parameters, unless one with the same unique key is there
    (then nothing happens, and no error rolls the transaction back)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model).on_conflict_do_nothing()
