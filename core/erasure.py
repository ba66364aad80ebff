"""Forgetting a parent on request, and retention: nothing personal is kept longer than promised.

Requests themselves stay (with their category, status and dates) so CPC's counts still add up,
but every field that says something about the family is blanked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.clock import utcnow
from core.outbox import refresh_card
from storage.database import Database

ERASED = "—"


@dataclass(frozen=True)
class ErasureReport:
    requests_anonymised: int
    account_deleted: bool


async def forget_user(db: Database, user_id: int) -> ErasureReport:
    now = utcnow()
    async with db.transaction() as repos:
        request_ids = await repos.requests.ids_of_user(user_id)
        await repos.requests.anonymise(request_ids, at=now, erased=ERASED)
        # Nothing more goes to them, and the staff cards are re-drawn without their data.
        await repos.outbox.drop_pending_for_chat(user_id)
        for request_id in request_ids:
            request = await repos.requests.get(request_id)
            if request is not None and request.staff_card_message_id is not None:
                await refresh_card(repos, request, now)
        existed = await repos.users.get(user_id) is not None
        await repos.users.delete(user_id)
        repos.audit.record(
            at=now,
            actor_id=user_id,
            action="user.forgotten",
            object_type="user",
            object_id=user_id,
            details={"requests_anonymised": len(request_ids)},
        )
    return ErasureReport(requests_anonymised=len(request_ids), account_deleted=existed)


async def purge_expired(db: Database, *, retention_days: int) -> int:
    """Anonymise requests closed more than `retention_days` ago; returns how many."""
    now = utcnow()
    async with db.transaction() as repos:
        request_ids = await repos.requests.closed_before(now - timedelta(days=retention_days))
        await repos.requests.anonymise(request_ids, at=now, erased=ERASED)
        if request_ids:
            repos.audit.record(
                at=now,
                actor_id=None,
                action="retention.anonymised",
                object_type="request",
                details={"count": len(request_ids), "retention_days": retention_days},
            )
    return len(request_ids)
