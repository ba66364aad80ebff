"""The clock: APScheduler runs the periodic jobs; what is due is always read from the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.centres import BookingRules
from core.clock import utcnow
from core.erasure import purge_expired
from core.escalation import escalate_untaken
from core.morning_summary import post_due_summaries
from core.waiting_list import tend_waiting_lists
from core.workhours import WorkingCalendar
from koldo.settings import Settings
from storage.database import Database
from storage.journal import prune_handled

logger = logging.getLogger(__name__)
ESCALATION_CHECK_MINUTES = 5
WAITING_LIST_MINUTES = 1  # how late an offer nobody took may pass to the next in line
SUMMARY_MINUTES = 1  # how late after a centre opens its morning summary may be written


async def retention_job(db: Database, retention_days: int, key: bytes) -> None:
    count = await purge_expired(db, retention_days=retention_days, key=key)
    if count:
        logger.info("Retention: anonymised %d closed requests", count)
    await prune_handled(db.engine)


async def escalation_job(db: Database, calendar: WorkingCalendar, hours: float) -> None:
    """Only while the office is open: a reminder at night reaches nobody."""
    if not calendar.is_open(utcnow()):
        return
    raised = await escalate_untaken(db, calendar, after=timedelta(hours=hours))
    if raised:
        logger.info("Escalation: %d requests still untaken raised again", len(raised))


async def waiting_list_job(db: Database, rules: BookingRules) -> None:
    """Offers not taken in time end and go to the next in line (the outbox tells them)."""
    offers = await tend_waiting_lists(db, rules)
    if offers:
        logger.info("Waiting lists: %d freed places offered", len(offers))


async def morning_summary_job(db: Database, rules: BookingRules) -> None:
    """Each centre's day in the staff group once it opens (once a day: core keeps count)."""
    centres = await post_due_summaries(db, rules)
    if centres:
        logger.info("Morning summaries written for %s", ", ".join(centres))


def build_scheduler(settings: Settings, db: Database) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.locale.zone)
    scheduler.add_job(
        retention_job,
        CronTrigger(hour=3, minute=15, timezone=settings.locale.zone),
        kwargs={
            "db": db,
            "retention_days": settings.privacy.retention_days,
            "key": settings.pseudonym_key(),
        },
        id="retention",
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    scheduler.add_job(
        escalation_job,
        IntervalTrigger(minutes=ESCALATION_CHECK_MINUTES),
        kwargs={
            "db": db,
            "calendar": settings.staff.calendar(settings.locale.zone),
            "hours": settings.staff.escalation_hours,
        },
        id="escalation",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    zone = settings.locale.zone
    rules = settings.booking.rules(zone, settings.outbox.quiet(zone))
    scheduler.add_job(
        waiting_list_job,
        IntervalTrigger(minutes=WAITING_LIST_MINUTES),
        kwargs={"db": db, "rules": rules},
        id="waiting_lists",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    if not settings.booking.morning_summary:
        return scheduler
    scheduler.add_job(
        morning_summary_job,
        # At the start of each minute, so a centre opening at 09:00 hears at 09:00.
        CronTrigger(minute="*", timezone=zone),
        kwargs={"db": db, "rules": rules},
        id="morning_summaries",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler
