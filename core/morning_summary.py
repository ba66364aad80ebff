"""A centre's day in the staff group at opening time: per service how many visits, how many
children, the first and the last time, and how many wait for a place (the roster itself is
`/today`).

The worker asks every minute (`post_due_summaries`). A centre's summary is due from its opening
time until it closes, on each day it is open (not on a day off, not on a closure). It is written
to the outbox under a key naming the centre and the day, which the database keeps unique: a
worker that runs the job again after a restart, or a second worker running it at the same
moment, writes nothing more. A summary whose time passed while no worker ran is written when
one runs again, if the centre is still open; one still unsent when the centre closes is dropped
(`Wanted.BEFORE_CLOSING`). Its numbers are read when it is sent (`summary_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking_rules import BookingStatus
from core.centres import BookingRules, Localized, weekdays
from core.clock import as_utc, utcnow
from core.outbox import STAFF_CHAT, Kind, Wanted, enqueue_once
from storage.database import Database
from storage.models import DayCentre
from storage.repositories import Repositories

COUNTED = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)


@dataclass(frozen=True)
class ServiceDay:
    name: Localized
    bookings: int
    children: int
    first: datetime | None  # UTC start of the first visit; None when only people wait
    last: datetime | None
    waiting: int  # people in the waiting lists of the day's times


@dataclass(frozen=True)
class DaySummary:
    centre_code: str
    centre_name: Localized
    day: date
    services: list[ServiceDay]  # in the reference data's order; empty on a day nobody booked


def summary_key(centre_code: str, day: date) -> str:
    return f"morning_summary:{centre_code}:{day.isoformat()}"


async def _open_on(repos: Repositories, centre: DayCentre, day: date) -> bool:
    if day.weekday() not in weekdays(centre.open_days):
        return False
    return all(closure.day != day for closure in await repos.reference.closures(centre.code))


async def post_due_summaries(db: Database, rules: BookingRules) -> list[str]:
    """Write the summary of every centre now open whose summary of the day is not written yet
    (see the module); returns the codes of the centres written now."""
    now = utcnow()
    today = now.astimezone(rules.zone).date()
    written = []
    async with db.transaction() as repos:
        for centre in await repos.reference.active(DayCentre):
            opens = datetime.combine(today, centre.opens, rules.zone)
            closes = datetime.combine(today, centre.closes, rules.zone)
            if not opens <= now < closes or not await _open_on(repos, centre, today):
                continue
            if await enqueue_once(
                repos, summary_key(centre.code, today), chat_id=STAFF_CHAT,
                kind=Kind.MORNING_SUMMARY, now=now, wanted_while=Wanted.BEFORE_CLOSING,
                centre=centre.code, day=today.isoformat(),
                until=closes.astimezone(UTC).isoformat(),
            ):  # fmt: skip
                written.append(centre.code)
    return written


async def summary_of(
    db: Database, centre_code: str, day: date, zone: ZoneInfo
) -> DaySummary | None:
    """The centre's day as it is now (the outbox delivery's read); None for a centre gone from
    the reference data."""
    start = datetime.combine(day, time.min, zone)
    end = start + timedelta(days=1)
    async with db.transaction() as repos:
        centre = await repos.reference.get(DayCentre, centre_code)
        if centre is None:
            return None
        bookings = await repos.bookings.at_centre(centre_code, start, end, COUNTED)
        waiting = await repos.bookings.waiting_at_centre(centre_code, start, end)
        order = [s.code for s in await repos.reference.services(centre_code)]
        codes = sorted(
            {b.service_code for b in bookings} | set(waiting),
            key=lambda code: (order.index(code) if code in order else len(order), code),
        )
        services = []
        for code in codes:
            row = await repos.reference.service(centre_code, code)
            starts = [as_utc(b.starts_at) for b in bookings if b.service_code == code]
            services.append(
                ServiceDay(
                    name=dict(row.name) if row else {"ru": code},
                    bookings=len(starts),
                    children=sum(b.children for b in bookings if b.service_code == code),
                    first=min(starts, default=None),
                    last=max(starts, default=None),
                    waiting=waiting.get(code, 0),
                )
            )
        return DaySummary(centre.code, dict(centre.name), day, services)
