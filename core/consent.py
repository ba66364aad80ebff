"""Consent to the privacy notice.

The notice has a version; when its text changes in a way that matters, NOTICE_VERSION is raised
and everyone is asked again before more of their data is stored.
"""

from __future__ import annotations

from core.clock import utcnow
from storage.database import Database
from storage.models import Consent
from storage.repositories import Repositories

# 2: the notice names the children's ages for day-centre visits, trainings and peer trainers.
NOTICE_VERSION = 2


async def has_current_consent(repos: Repositories, user_id: int) -> bool:
    user = await repos.users.get(user_id)
    return bool(user and user.notice_granted and (user.notice_version or 0) >= NOTICE_VERSION)


async def answer_notice(db: Database, user_id: int, *, granted: bool) -> None:
    """Store the person's answer to the current notice (agree or not now), with its time."""
    now = utcnow()
    async with db.transaction() as repos:
        user = await repos.users.get(user_id)
        if user and user.notice_version == NOTICE_VERSION and user.notice_granted == granted:
            return  # the same answer again (a repeated update): nothing new to keep
        await repos.users.answer_notice(user_id, NOTICE_VERSION, granted, now=now)
        repos.users.add_consent(
            Consent(
                user_id=user_id,
                notice_version=NOTICE_VERSION,
                granted=granted,
                answered_at=now,
            )
        )
        repos.audit.record(
            at=now,
            actor_id=user_id,
            action="consent.granted" if granted else "consent.declined",
            object_type="notice",
            object_id=NOTICE_VERSION,
        )
