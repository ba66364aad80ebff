"""Audit entries that must outlive the transaction they are about."""

from __future__ import annotations

from typing import Any

from core.clock import utcnow
from storage.database import Database


async def record_refusal(
    db: Database,
    *,
    actor_id: int,
    action: str,
    object_type: str,
    object_id: int | str,
    details: dict[str, Any] | None = None,
) -> None:
    """A refused attempt, in a transaction of its own: the refused use case's transaction is
    rolled back, and the trace of who tried must stay."""
    async with db.transaction() as repos:
        repos.audit.record(
            at=utcnow(),
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
