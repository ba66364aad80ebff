"""The clock: APScheduler runs the periodic jobs; what is due is always read from the database."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings
from core.erasure import purge_expired
from storage.database import Database

logger = logging.getLogger(__name__)


async def retention_job(db: Database, retention_days: int) -> None:
    count = await purge_expired(db, retention_days=retention_days)
    if count:
        logger.info("Retention: anonymised %d closed requests", count)


def build_scheduler(settings: Settings, db: Database) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.locale.zone)
    scheduler.add_job(
        retention_job,
        CronTrigger(hour=3, minute=15, timezone=settings.locale.zone),
        kwargs={"db": db, "retention_days": settings.privacy.retention_days},
        id="retention",
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    return scheduler
