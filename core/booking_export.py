"""The bookings of a span of days as plain rows, for CPC's reports (`koldo export bookings`).

One row per booking, cancelled ones included, so that what was booked, what was cancelled and
who came can all be counted from one file; attendance and no-shows per family come from the
family column (the parent's Telegram id) and the attendance column. A family that asked to be
forgotten (/forget) has no id any more, nor the children's ages (core.bookings.forget_parent):
its rows say `erased` and keep the rest, which is what the counts need.

Only staff run the command, on the server; each export is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.booking_rules import BookingStatus, format_reference
from core.clock import as_utc, utcnow
from core.errors import InvalidInput
from storage.database import Database
from storage.models import Booking


class Attendance(StrEnum):
    CAME = "came"
    DID_NOT_COME = "did not come"
    NOT_MARKED = "not marked"


ATTENDANCE = {
    BookingStatus.ATTENDED: Attendance.CAME,
    BookingStatus.NO_SHOW: Attendance.DID_NOT_COME,
    BookingStatus.BOOKED: Attendance.NOT_MARKED,
}  # a cancelled visit has none


@dataclass(frozen=True)
class ExportRow:
    """A booking as the export shows it; moments in the centres' local time."""

    reference: str
    centre: str  # the centre's code
    service: str  # the service's code
    day: date
    time: time
    status: BookingStatus
    children: int
    ages: tuple[int, ...]  # empty once the family was erased
    attendance: Attendance | None  # None for a cancelled visit
    family: int | None  # the parent's Telegram id; None once the family was erased
    booked_at: datetime


def _row(booking: Booking, zone: ZoneInfo) -> ExportRow:
    starts = as_utc(booking.starts_at).astimezone(zone)
    status = BookingStatus(booking.status)
    return ExportRow(
        reference=format_reference(booking.id),
        centre=booking.centre_code,
        service=booking.service_code,
        day=starts.date(),
        time=starts.time().replace(tzinfo=None),
        status=status,
        children=booking.children,
        ages=tuple(booking.ages),
        attendance=ATTENDANCE.get(status),
        family=booking.user_id,
        booked_at=as_utc(booking.created_at).astimezone(zone),
    )


async def bookings_between(
    db: Database, *, first: date, last: date, zone: ZoneInfo, actor: str, file_format: str
) -> list[ExportRow]:
    """Every booking whose visit falls on the local days `first`..`last` (both included), by
    time; the export is audited with who ran it (`actor`, e.g. "cli") and what it held."""
    if last < first:
        raise InvalidInput("date_range")
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    async with db.transaction() as repos:
        rows = [_row(b, zone) for b in await repos.bookings.starting_between(start, end)]
        repos.audit.record(
            at=utcnow(),
            actor_id=None,
            action="bookings.exported",
            object_type="bookings",
            object_id=f"{first.isoformat()}..{last.isoformat()}",
            details={"actor": actor, "format": file_format, "rows": len(rows)},
        )
        return rows
