"""The audit trail: append-only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        actor_pseudonym: str | None = None,
        object_type: str | None = None,
        object_id: str | int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                at=at,
                actor_id=actor_id,
                actor_pseudonym=actor_pseudonym,
                action=action,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                details=details,
            )
        )

    async def pseudonymise_actor(
        self, actor_id: int, pseudonym: str, *, requests: Sequence[int] | None = None
    ) -> None:
        """Put `pseudonym` where `actor_id` acted: everywhere, or only on these requests."""
        statement = update(AuditEntry).where(AuditEntry.actor_id == actor_id)
        if requests is not None:
            statement = statement.where(AuditEntry.object_type == "request").where(
                AuditEntry.object_id.in_([str(request_id) for request_id in requests])
            )
        await self.session.execute(statement.values(actor_id=None, actor_pseudonym=pseudonym))

    async def pseudonymise_object(self, object_type: str, object_id: int, pseudonym: str) -> None:
        await self.session.execute(
            update(AuditEntry)
            .where(AuditEntry.object_type == object_type)
            .where(AuditEntry.object_id == str(object_id))
            .values(object_id=pseudonym)
        )
