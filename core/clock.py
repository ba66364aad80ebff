"""The one source of "now", so that rules never call datetime.now() on their own.

Tests (and a local playground) can stand the clock still at a chosen moment with `freeze`:
every rule, the outbox's "what is due" included, then sees that moment, so a reminder due
tomorrow evening is tested by moving the clock there rather than by waiting. Leases between
processes (storage.leases) keep the wall clock on purpose: they measure real time passing.
"""

from __future__ import annotations

from datetime import UTC, datetime

_frozen_at: datetime | None = None


def utcnow() -> datetime:
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Make `utcnow()` answer `moment` (an aware datetime) from now on; None lets time run."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("a frozen moment needs a time zone")
    global _frozen_at
    _frozen_at = moment.astimezone(UTC) if moment is not None else None


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
