"""Running a day at the centres, for staff: the day's roster, marking who came, and closing a
day (every booking on it cancelled, each parent told).

Each staff use case runs in `as_staff`: anyone not on the staff list is refused, and the
attempt is audited. The read the outbox delivery makes to word a closure notice (no person is
acting then) is at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.booking_rules import BookingInfo, BookingStatus, audit_booking, booking_info
from core.centres import BookingRules, Localized
from core.clock import as_utc, utcnow
from core.errors import BookingRefused, InvalidInput, InvalidTransition, NotFound
from core.outbox import DROPPED, Kind, enqueue
from core.staff import as_staff
from storage.database import Database
from storage.models import Booking, DayCentre
from storage.repositories import Repositories

ON_ROSTER = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
MAX_REASON = 300  # characters of a closure's reason, as staff typed it


@dataclass(frozen=True)
class RosterLine:
    booking: BookingInfo
    user_id: int | None  # None once the family was erased
    service_name: Localized


@dataclass(frozen=True)
class CentreRoster:
    code: str
    name: Localized
    lines: list[RosterLine]  # by time, then in the order they were booked


@dataclass(frozen=True)
class ClosedDay:
    centre_code: str
    centre_name: Localized
    day: date
    cancelled: list[BookingInfo]  # each parent is told through the outbox


def _day_bounds(day: date, rules: BookingRules) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), rules.zone)
    return start, start + timedelta(days=1)


async def _centre(repos: Repositories, code: str) -> DayCentre:
    centre = await repos.reference.get(DayCentre, code)
    if centre is None or not centre.active:
        raise NotFound("centre")
    return centre


async def centre_names(db: Database) -> dict[str, Localized]:
    """The day centres by code (public reference data): what `/today` and `/close` accept."""
    async with db.transaction() as repos:
        return {c.code: dict(c.name) for c in await repos.reference.active(DayCentre)}


async def roster(
    db: Database,
    *,
    staff_id: int,
    rules: BookingRules,
    centre_code: str | None = None,
    day: date | None = None,
) -> list[CentreRoster]:
    """The day's visits (today by default) of one centre, or of every centre in their order;
    cancelled ones left out."""
    day = day or utcnow().astimezone(rules.zone).date()
    start, end = _day_bounds(day, rules)
    async with as_staff(db, staff_id, "command.today") as (repos, _member):
        if centre_code is not None:
            chosen = [await _centre(repos, centre_code)]
        else:
            chosen = await repos.reference.active(DayCentre)
        rosters = []
        for centre in chosen:
            services = {s.code: dict(s.name) for s in await repos.reference.services(centre.code)}
            lines = []
            for booking in await repos.bookings.at_centre(centre.code, start, end, ON_ROSTER):
                name = services.get(booking.service_code)
                if name is None:  # withdrawn since it was booked
                    row = await repos.reference.service(centre.code, booking.service_code)
                    name = dict(row.name) if row else {}
                lines.append(RosterLine(booking_info(booking), booking.user_id, name))
            rosters.append(CentreRoster(centre.code, dict(centre.name), lines))
        return rosters


async def mark_attendance(
    db: Database, *, staff_id: int, booking_id: int, came: bool, rules: BookingRules
) -> BookingInfo:
    """Came or did not come, from the day of the visit on; a mark may be corrected, and the
    same mark again changes nothing. Kept for the reports on attendance per family."""
    now = utcnow()
    detail = f"booking {booking_id}"
    async with as_staff(db, staff_id, "booking.attendance", detail) as (repos, _member):
        booking = await repos.bookings.get(booking_id)
        if booking is None:
            raise NotFound("booking")
        if booking.status not in ON_ROSTER:
            raise InvalidTransition("not_booked", status=booking.status)
        if (
            as_utc(booking.starts_at).astimezone(rules.zone).date()
            > now.astimezone(rules.zone).date()
        ):
            raise BookingRefused("not_yet")
        status = BookingStatus.ATTENDED if came else BookingStatus.NO_SHOW
        if booking.status != status:
            booking.status, booking.changed_at = status.value, now
            audit_booking(repos, f"booking.{status.value}", booking, actor_id=staff_id, at=now)
        return booking_info(booking)


async def close_day(
    db: Database,
    *,
    staff_id: int,
    centre_code: str,
    day: date,
    reason: str,
    language: str,
    rules: BookingRules,
) -> ClosedDay:
    """Close a centre on a day from today on, for `reason` (in the staff's `language`): the
    day becomes a closure (the calendar shows it closed, the waiting list offers nothing on
    it), every booking on it is cancelled and its parent told, with a way to choose another
    day. Closing a closed day again cancels whatever is left and tells nobody twice."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("closing_reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput("too_long", limit=MAX_REASON)
    now = utcnow()
    if day < now.astimezone(rules.zone).date():
        raise BookingRefused("in_the_past")
    start, end = _day_bounds(day, rules)
    async with as_staff(db, staff_id, "command.close", centre_code) as (repos, _member):
        centre = await _centre(repos, centre_code)
        await repos.reference.close_day(centre.code, day, {language: reason})
        repos.audit.record(
            at=now, actor_id=staff_id, action="centre.closed", object_type="centre",
            object_id=centre.code, details={"day": day.isoformat(), "reason": reason},
        )  # fmt: skip
        bookings = await repos.bookings.at_centre(centre.code, start, end, [BookingStatus.BOOKED])
        for booking in bookings:
            await _cancel_for_closure(repos, booking, staff_id, now)
        return ClosedDay(centre.code, dict(centre.name), day, [booking_info(b) for b in bookings])


async def _cancel_for_closure(
    repos: Repositories, booking: Booking, staff_id: int, now: datetime
) -> None:
    booking.status, booking.changed_at = BookingStatus.CANCELLED.value, now
    await repos.bookings.release(booking.slot_id, booking.places)
    await repos.bookings.drop_unsent_messages(booking.id, dropped=DROPPED, why="day_closed")
    audit_booking(repos, "booking.cancelled", booking, actor_id=staff_id, at=now, closed=True)
    if booking.user_id is not None:
        enqueue(
            repos, chat_id=booking.user_id, kind=Kind.DAY_CLOSED, now=now, booking_id=booking.id
        )


# ---------------------------------------------------------------------- the outbox delivery's read


@dataclass(frozen=True)
class ClosureNotice:
    """What a parent is told of a visit cancelled because its day closed."""

    booking: BookingInfo
    user_id: int
    language: str | None
    centre_name: Localized
    service_name: Localized
    reason: Localized


async def closure_notice(db: Database, booking_id: int, zone: ZoneInfo) -> ClosureNotice | None:
    """None when the family was erased meanwhile: nothing may be sent to them."""
    async with db.transaction() as repos:
        booking = await repos.bookings.get(booking_id)
        if booking is None or booking.user_id is None:
            return None
        user = await repos.users.get(booking.user_id)
        centre = await repos.reference.get(DayCentre, booking.centre_code)
        service = await repos.reference.service(booking.centre_code, booking.service_code)
        info = booking_info(booking)
        closures = await repos.reference.closures(booking.centre_code)
        day = info.starts_at.astimezone(zone).date()
        reason = next((dict(c.reason) for c in closures if c.day == day), {})
        return ClosureNotice(
            booking=info,
            user_id=booking.user_id,
            language=user.language if user else None,
            centre_name=dict(centre.name) if centre else {},
            service_name=dict(service.name) if service else {},
            reason=reason,
        )
