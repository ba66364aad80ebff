"""Booking a visit to a day centre: the days and times a service can be booked, booking,
cancelling and moving a visit, and a parent's own bookings.

No time is ever overbooked: places are taken by a conditional update of the slot's counter in
the database (storage.repositories.bookings), never by counting first and inserting after. A
parent holds at most `BookingRules.max_upcoming` upcoming bookings and never two at overlapping
times; their booking changes wait for one another so that two quick presses cannot both pass
those checks. A place given back is offered at once to the waiting list (core.waiting_list).

Each use case is one transaction, audited; a repeated press finds what the first one did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.audit import record_refusal
from core.booking_rules import (
    BookingInfo,
    BookingStatus,
    Offer,
    SlotTime,
    audit_booking,
    booking_info,
    check_children,
    check_day,
    check_parent,
    check_time,
    counters,
    last_day,
    load_offering,
    service_info,
    take_places,
    times_of,
)
from core.centres import BookingRules, DayClosed, Localized, ServiceInfo, why_closed
from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import (
    AccessDenied,
    BookingRefused,
    ConsentRequired,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from core.forms import parse_number
from core.outbox import DROPPED
from core.reminders import schedule_reminders
from core.waiting_list import forget_parent as leave_every_line
from core.waiting_list import offer_freed_places
from storage.database import AlreadyStored, Database
from storage.models import Booking
from storage.repositories import Repositories

MY_BOOKINGS_LIMIT = 50


class DayState(StrEnum):
    OPEN = "open"  # some time still has places
    FULL = "full"  # every time still ahead is full (the waiting list is open)
    CLOSED = "closed"  # see BookableDay.closed
    OVER = "over"  # today, after its last time


@dataclass(frozen=True)
class BookableDay:
    day: date
    state: DayState
    places_left: int
    closed: DayClosed | None = None
    reason: Localized | None = None  # why, for a closure


@dataclass(frozen=True)
class Changed:
    """A cancelled or moved booking, and the offers the places it gave back were made as."""

    booking: BookingInfo
    offers: list[Offer]


@dataclass(frozen=True)
class MyBookings:
    upcoming: list[BookingInfo]  # booked, soonest first
    past: list[BookingInfo]  # begun or over, whatever became of them, latest first


# --- what a parent sees before booking ---------------------------------------------------------


async def services_of(db: Database, centre_code: str) -> list[ServiceInfo]:
    """What a centre offers by appointment, in the reference data's order."""
    async with db.transaction() as repos:
        return [service_info(row) for row in await repos.reference.services(centre_code)]


async def bookable_days(
    db: Database, *, centre_code: str, service_code: str, rules: BookingRules
) -> list[BookableDay]:
    """Every day from today to the end of the centre's window; closed and full days are in
    the list, flagged, so that a calendar can show them greyed out."""
    now = utcnow()
    async with db.transaction() as repos:
        offering = await load_offering(repos, centre_code, service_code)
        first, last = now.astimezone(rules.zone).date(), last_day(offering, now, rules)
        used = await counters(repos, offering, first, last, rules)
    days = []
    day = first
    while day <= last:
        closed = why_closed(offering.centre, offering.service, day)
        if closed is not None:
            reason = offering.centre.closures.get(day)
            days.append(BookableDay(day, DayState.CLOSED, 0, closed=closed, reason=reason))
        else:
            times = times_of(offering, day, used, now, rules)
            left = sum(time.places_left for time in times)
            state = DayState.OVER if not times else DayState.OPEN if left else DayState.FULL
            days.append(BookableDay(day, state, left))
        day += timedelta(days=1)
    return days


def parse_age(service: ServiceInfo, text: str | None) -> int:
    """A child's age as a parent typed it, one child at a time, checked against the service's
    ages at once rather than only when the visit is booked."""
    age = parse_number(text)
    if not service.age_min <= age <= service.age_max:
        raise InvalidInput("age_out_of_range", low=service.age_min, high=service.age_max)
    return age


async def day_times(
    db: Database, *, centre_code: str, service_code: str, day: date, rules: BookingRules
) -> list[SlotTime]:
    """The times still ahead on `day`, full ones included (with no places left)."""
    now = utcnow()
    async with db.transaction() as repos:
        offering = await load_offering(repos, centre_code, service_code)
        check_day(offering, day, now, rules)
        used = await counters(repos, offering, day, day, rules)
    return times_of(offering, day, used, now, rules)


# --- booking, cancelling, moving ----------------------------------------------------------------


async def book(
    db: Database,
    *,
    user_id: int,
    centre_code: str,
    service_code: str,
    starts_at: datetime,
    ages: Sequence[int],
    rules: BookingRules,
    key: str | None = None,
) -> BookingInfo:
    """Book a visit for the children of `ages`. `key` names the Confirm press: the same press
    again (a repeated update, a double tap) gives back the booking it made."""
    try:
        return await _book(
            db, user_id=user_id, centre_code=centre_code, service_code=service_code,
            starts_at=as_utc(starts_at), ages=ages, rules=rules, key=key,
        )  # fmt: skip
    except AlreadyStored:
        # The same press handled twice at the same moment: the other one stored it.
        async with db.transaction() as repos:
            made = await repos.bookings.made_by(key or "")
            if made is None or made.user_id != user_id:
                raise
            return booking_info(made)


async def _book(
    db: Database,
    *,
    user_id: int,
    centre_code: str,
    service_code: str,
    starts_at: datetime,
    ages: Sequence[int],
    rules: BookingRules,
    key: str | None,
) -> BookingInfo:
    now = utcnow()
    async with db.transaction() as repos:
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        # From here the parent's other presses wait until this one is committed; then the
        # same press finds the booking it made.
        await repos.users.lock(user_id)
        if key:
            made = await repos.bookings.made_by(key)
            if made is not None and made.user_id == user_id:
                return booking_info(made)
        offering = await load_offering(repos, centre_code, service_code)
        places = check_children(offering.service, ages)
        ends_at = check_time(offering, starts_at, now, rules)
        await check_parent(repos, user_id, starts_at, ends_at, now, rules)
        slot_id = await repos.bookings.slot_id(centre_code, service_code, starts_at)
        await take_places(repos, offering, slot_id, starts_at, places, rules)
        booking = await repos.bookings.add(
            Booking(
                user_id=user_id,
                centre_code=centre_code,
                service_code=service_code,
                slot_id=slot_id,
                starts_at=starts_at,
                ends_at=ends_at,
                places=places,
                children=len(ages),
                ages=list(ages),
                status=BookingStatus.BOOKED.value,
                confirm_key=key,
                created_at=now,
                changed_at=now,
            )
        )
        audit_booking(repos, "booking.booked", booking, actor_id=user_id, at=now)
        schedule_reminders(repos, booking, now, rules)
        return booking_info(booking)


@asynccontextmanager
async def _own_booking(
    db: Database, user_id: int, booking_id: int
) -> AsyncIterator[tuple[Repositories, Booking]]:
    """A transaction over the parent's own booking, their other booking changes waiting until
    it ends; another family's (a forged button) is refused as not_yours and the attempt kept
    in the audit log."""
    try:
        async with db.transaction() as repos:
            await repos.users.lock(user_id)
            booking = await repos.bookings.get(booking_id)
            if booking is None:
                raise NotFound("booking")
            if booking.user_id != user_id:
                raise AccessDenied("not_yours")
            yield repos, booking
    except (AccessDenied, NotFound):
        await record_refusal(
            db,
            actor_id=user_id,
            action="booking.access_denied",
            object_type="booking",
            object_id=booking_id,
        )
        raise


async def _drop_messages(repos: Repositories, booking: Booking) -> None:
    """What the outbox still owes the booking's parent about it (its reminders) is no longer
    right once it is cancelled or moved."""
    await repos.bookings.drop_unsent_messages(booking.id, dropped=DROPPED, why="booking_changed")


async def cancel(db: Database, *, user_id: int, booking_id: int, rules: BookingRules) -> Changed:
    """Cancel an upcoming booking; its places go at once to the waiting list, if anyone waits.
    Cancelling a cancelled booking again changes nothing."""
    now = utcnow()
    async with _own_booking(db, user_id, booking_id) as (repos, booking):
        if booking.status == BookingStatus.CANCELLED:
            return Changed(booking_info(booking), [])
        if booking.status != BookingStatus.BOOKED:
            raise InvalidTransition("not_booked", status=booking.status)
        if as_utc(booking.starts_at) <= now:
            raise BookingRefused("in_the_past")
        booking.status, booking.changed_at = BookingStatus.CANCELLED.value, now
        await repos.bookings.release(booking.slot_id, booking.places)
        await _drop_messages(repos, booking)
        audit_booking(repos, "booking.cancelled", booking, actor_id=user_id, at=now)
        offers = await offer_freed_places(repos, booking.slot_id, now, rules)
        return Changed(booking_info(booking), offers)


async def move(
    db: Database, *, user_id: int, booking_id: int, starts_at: datetime, rules: BookingRules
) -> Changed:
    """Move an upcoming booking to another time of the same service (any day one may book).
    Moving it again to where it is already (a repeated press) changes nothing."""
    now, starts_at = utcnow(), as_utc(starts_at)
    async with _own_booking(db, user_id, booking_id) as (repos, booking):
        if booking.status != BookingStatus.BOOKED:
            raise InvalidTransition("not_booked", status=booking.status)
        old_start, old_slot = as_utc(booking.starts_at), booking.slot_id
        if old_start == starts_at:
            return Changed(booking_info(booking), [])
        if old_start <= now:
            raise BookingRefused("in_the_past")
        offering = await load_offering(repos, booking.centre_code, booking.service_code)
        places = check_children(offering.service, booking.ages)
        ends_at = check_time(offering, starts_at, now, rules)
        await check_parent(repos, user_id, starts_at, ends_at, now, rules, besides=booking.id)
        new_slot = await repos.bookings.slot_id(
            booking.centre_code, booking.service_code, starts_at
        )
        # Counters are updated in the order of their ids, so that two parents swapping
        # times at once wait for each other instead of deadlocking.
        if old_slot < new_slot:
            await repos.bookings.release(old_slot, booking.places)
        await take_places(repos, offering, new_slot, starts_at, places, rules)
        if old_slot > new_slot:
            await repos.bookings.release(old_slot, booking.places)
        booking.slot_id, booking.places = new_slot, places
        booking.starts_at, booking.ends_at, booking.changed_at = starts_at, ends_at, now
        await _drop_messages(repos, booking)
        schedule_reminders(repos, booking, now, rules)
        audit_booking(
            repos, "booking.moved", booking, actor_id=user_id, at=now,
            moved_from=old_start.isoformat(),
        )  # fmt: skip
        offers = await offer_freed_places(repos, old_slot, now, rules)
        return Changed(booking_info(booking), offers)


async def my_bookings(db: Database, user_id: int) -> MyBookings:
    """The parent's bookings: those to come, and those begun or over (with whether they
    came, once staff mark it). A booking cancelled before its time is not listed."""
    now = utcnow()
    async with db.transaction() as repos:
        bookings = [
            booking_info(booking)
            for booking in await repos.bookings.of_user(user_id, limit=MY_BOOKINGS_LIMIT)
        ]
    upcoming = [b for b in bookings if b.starts_at > now and b.status == BookingStatus.BOOKED]
    past = [b for b in bookings if b.starts_at <= now]
    return MyBookings(upcoming=sorted(upcoming, key=lambda b: b.starts_at), past=past)


async def get_my_booking(db: Database, *, user_id: int, booking_id: int) -> BookingInfo:
    async with _own_booking(db, user_id, booking_id) as (_, booking):
        return booking_info(booking)


async def forget_parent(repos: Repositories, user_id: int, now: datetime) -> None:
    """Erasing a parent: their upcoming visits are cancelled and their places given back
    (nobody could be reminded or told any more), they leave every waiting line, and the
    children's ages go from all their bookings; where and when they booked, and how many
    children came, stay for CPC's counts. The waiting lists are offered the places on the
    next run of core.waiting_list.tend_waiting_lists."""
    for booking in await repos.bookings.all_of_user(user_id):
        if booking.status == BookingStatus.BOOKED and as_utc(booking.starts_at) > now:
            booking.status, booking.changed_at = BookingStatus.CANCELLED.value, now
            await repos.bookings.release(booking.slot_id, booking.places)
            await _drop_messages(repos, booking)
            audit_booking(repos, "booking.cancelled", booking, actor_id=None, at=now, erased=True)
        booking.ages = []
    await leave_every_line(repos, user_id, now)


# --- what a change of the reference data left behind ---------------------------------------------


class Overbooked(StrEnum):
    """Why bookings kept through a change of the reference data no longer fit it, besides a
    day that closed (DayClosed)."""

    OVER_CAPACITY = "over_capacity"  # the slot has fewer places now than are booked
    NO_SUCH_TIME = "no_such_time"  # the service's hours or slot length changed


@dataclass(frozen=True)
class Overflow:
    """Upcoming bookings of one slot that the reference data no longer allows: they are kept
    (nobody loses a visit to a data change); staff are to be told and decide."""

    centre_code: str
    service_code: str
    starts_at: datetime
    why: DayClosed | Overbooked
    booked: int  # places the bookings take
    places: int  # places the slot has now
    references: tuple[str, ...]


async def overflowing(db: Database, rules: BookingRules) -> list[Overflow]:
    """Every upcoming slot whose bookings no longer fit the reference data, soonest first."""
    now = utcnow()
    async with db.transaction() as repos:
        by_slot: dict[int, list[Booking]] = {}
        for booking in await repos.bookings.booked_from(now):
            by_slot.setdefault(booking.slot_id, []).append(booking)
        overflows = []
        for bookings in by_slot.values():
            first = bookings[0]
            offering = await load_offering(
                repos, first.centre_code, first.service_code, withdrawn=True
            )
            starts_at = as_utc(first.starts_at)
            day = starts_at.astimezone(rules.zone).date()
            booked = sum(booking.places for booking in bookings)
            why: DayClosed | Overbooked | None = why_closed(offering.centre, offering.service, day)
            if why is None and starts_at not in offering.service.slot_starts(day, rules.zone):
                why = Overbooked.NO_SUCH_TIME
            if why is None and booked > offering.service.places:
                why = Overbooked.OVER_CAPACITY
            if why is not None:
                overflows.append(
                    Overflow(
                        centre_code=first.centre_code,
                        service_code=first.service_code,
                        starts_at=starts_at,
                        why=why,
                        booked=booked,
                        places=offering.service.places,
                        references=tuple(booking_info(b).reference for b in bookings),
                    )
                )
        return overflows
