"""Raising requests nobody has taken, once per period of working hours, until someone does."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import as_utc, utcnow
from core.outbox import Kind, to_staff
from core.requests import UNTAKEN
from core.workhours import WorkingCalendar
from storage.database import Database


async def escalate_untaken(
    db: Database, calendar: WorkingCalendar, *, after: timedelta, now: datetime | None = None
) -> list[int]:
    """Requests untaken for `after` of office time since they were filed (or last raised)
    are announced again; returns their ids."""
    now = as_utc(now or utcnow())  # stored as UTC: SQLite keeps no offset
    raised: list[int] = []
    async with db.transaction() as repos:
        for request in await repos.requests.untaken([status.value for status in UNTAKEN]):
            since = as_utc(request.escalated_at or request.created_at)
            if calendar.working_time_between(since, now) < after:
                continue
            request.escalated_at = now
            to_staff(
                repos,
                request,
                Kind.ESCALATION,
                now,
                waiting_since=as_utc(request.created_at).isoformat(),
            )
            raised.append(request.id)
    return raised
