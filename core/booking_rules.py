"""What every booking step checks: the centre's service, the day and time, the children, the
parent's other bookings; and the counters of places. Shared by booking (core.bookings) and the
waiting list (core.waiting_list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from core.centres import (
    BookingRules,
    CentreHours,
    CountedIn,
    ServiceInfo,
    weekdays,
    why_closed,
)
from core.clock import as_utc
from core.errors import BookingRefused, InvalidInput, NotFound
from storage.models import Booking, BookingSlot, DayCentre, Service
from storage.repositories import Repositories

REFERENCE_PREFIX = "B-"
MAX_CHILDREN = 10  # children one booking may bring


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class SlotTime:
    starts_at: datetime  # UTC
    ends_at: datetime
    places: int
    places_left: int


def format_reference(booking_id: int) -> str:
    return f"{REFERENCE_PREFIX}{booking_id:06d}"


@dataclass(frozen=True)
class BookingInfo:
    id: int
    reference: str
    centre_code: str
    service_code: str
    starts_at: datetime
    ends_at: datetime
    children: int
    ages: tuple[int, ...]
    status: BookingStatus
    created_at: datetime
    changed_at: datetime


@dataclass(frozen=True)
class Offer:
    """A place held for a parent from the waiting list until `until` (to be told to them)."""

    entry_id: int
    user_id: int
    centre_code: str
    service_code: str
    starts_at: datetime
    until: datetime


def booking_info(booking: Booking) -> BookingInfo:
    return BookingInfo(
        id=booking.id,
        reference=format_reference(booking.id),
        centre_code=booking.centre_code,
        service_code=booking.service_code,
        starts_at=as_utc(booking.starts_at),
        ends_at=as_utc(booking.ends_at),
        children=booking.children,
        ages=tuple(booking.ages),
        status=BookingStatus(booking.status),
        created_at=as_utc(booking.created_at),
        changed_at=as_utc(booking.changed_at),
    )


def audit_booking(
    repos: Repositories,
    action: str,
    booking: Booking,
    *,
    actor_id: int | None,
    at: datetime,
    **details: Any,
) -> None:
    """What happened to a booking; no ages or other family details, only where and when."""
    repos.audit.record(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type="booking",
        object_id=booking.id,
        details={
            "centre": booking.centre_code,
            "service": booking.service_code,
            "starts_at": as_utc(booking.starts_at).isoformat(),
            "places": booking.places,
            **details,
        },
    )


# --- the centre and service a booking is about ------------------------------------------------


@dataclass(frozen=True)
class Offering:
    centre: CentreHours
    service: ServiceInfo


async def load_offering(
    repos: Repositories, centre_code: str, service_code: str, *, withdrawn: bool = False
) -> Offering:
    """A centre's service as the rules need it; a withdrawn one only when `withdrawn` (what
    is already booked keeps its service)."""
    centre = await repos.reference.get(DayCentre, centre_code)
    service = await repos.reference.service(centre_code, service_code)
    if centre is None or service is None or not (withdrawn or (centre.active and service.active)):
        raise NotFound("service")
    closures = await repos.reference.closures(centre_code)
    return Offering(
        centre=CentreHours(
            code=centre.code,
            open_days=weekdays(centre.open_days),
            opens=centre.opens,
            closes=centre.closes,
            days_ahead=centre.book_days_ahead,
            closures={closure.day: dict(closure.reason) for closure in closures},
        ),
        service=service_info(service),
    )


def service_info(row: Service) -> ServiceInfo:
    return ServiceInfo(
        centre_code=row.centre_code,
        code=row.code,
        name=dict(row.name),
        description=dict(row.description),
        slot_minutes=row.slot_minutes,
        places=row.places,
        counted_in=CountedIn(row.counted_in),
        days=weekdays(row.days),
        starts=row.starts,
        ends=row.ends,
        age_min=row.age_min,
        age_max=row.age_max,
        adult_required=row.adult_required,
        active=row.active,
    )


def last_day(offering: Offering, now: datetime, rules: BookingRules) -> date:
    return now.astimezone(rules.zone).date() + timedelta(days=offering.centre.days_ahead)


def check_day(offering: Offering, day: date, now: datetime, rules: BookingRules) -> None:
    """A day one may book: within the window and open for the service."""
    if day < now.astimezone(rules.zone).date():
        raise BookingRefused("in_the_past")
    if day > last_day(offering, now, rules):
        raise BookingRefused("beyond_window", last_day=last_day(offering, now, rules))
    closed = why_closed(offering.centre, offering.service, day)
    if closed is not None:
        raise BookingRefused(
            "day_closed", why=closed.value, reason=offering.centre.closures.get(day)
        )


def check_time(
    offering: Offering, starts_at: datetime, now: datetime, rules: BookingRules
) -> datetime:
    """A time one may book: one of the service's slots, ahead, on a day one may book.
    Returns its end."""
    if starts_at <= now:
        raise BookingRefused("in_the_past")
    day = starts_at.astimezone(rules.zone).date()
    check_day(offering, day, now, rules)
    if starts_at not in offering.service.slot_starts(day, rules.zone):
        raise InvalidInput("not_a_slot")
    return starts_at + offering.service.length


def check_children(service: ServiceInfo, ages: Sequence[int]) -> int:
    """The children a visit brings, against the service; returns the places it takes. A
    service for the adults may be booked without children."""
    least = 0 if service.counted_in == CountedIn.FAMILIES else 1
    if not least <= len(ages) <= MAX_CHILDREN:
        raise InvalidInput("children", least=least, most=MAX_CHILDREN)
    for age in ages:
        if not isinstance(age, int) or not service.age_min <= age <= service.age_max:
            raise InvalidInput("age", youngest=service.age_min, oldest=service.age_max)
    places = service.places_for(len(ages))
    if places > service.places:
        raise InvalidInput("children", least=least, most=service.places)
    return places


async def check_parent(
    repos: Repositories,
    user_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    rules: BookingRules,
    *,
    besides: int | None = None,
) -> None:
    """At most `max_upcoming` upcoming bookings, none at an overlapping time (`besides` the
    booking being moved). The caller holds the parent's lock (`repos.users.lock`),
    so that two of their presses at once cannot both pass."""
    if await repos.bookings.count_upcoming(user_id, now, besides=besides) >= rules.max_upcoming:
        raise BookingRefused("too_many_bookings", most=rules.max_upcoming)
    other = await repos.bookings.overlapping(user_id, starts_at, ends_at, besides=besides)
    if other is not None:
        raise BookingRefused("overlapping", reference=format_reference(other.id))


def _used(slot: BookingSlot) -> int:
    return slot.taken + slot.held


async def counters(
    repos: Repositories, offering: Offering, first: date, last: date, rules: BookingRules
) -> dict[datetime, int]:
    """Places taken or held per slot start (UTC), for the local days first..last."""
    start = datetime.combine(first, datetime.min.time(), rules.zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), rules.zone)
    slots = await repos.bookings.slots_between(
        offering.centre.code, offering.service.code, start, end
    )
    return {as_utc(slot.starts_at): _used(slot) for slot in slots}


def times_of(
    offering: Offering, day: date, used: dict[datetime, int], now: datetime, rules: BookingRules
) -> list[SlotTime]:
    service = offering.service
    return [
        SlotTime(
            starts_at=start,
            ends_at=start + service.length,
            places=service.places,
            places_left=max(0, service.places - used.get(start, 0)),
        )
        for start in service.slot_starts(day, rules.zone)
        if start > now
    ]


async def next_free_time(
    repos: Repositories, offering: Offering, after: datetime, places: int, rules: BookingRules
) -> datetime | None:
    """The first time after `after` on the same day with `places` free: offered to a parent
    who just missed the last place."""
    day = after.astimezone(rules.zone).date()
    used = await counters(repos, offering, day, day, rules)
    for time in times_of(offering, day, used, after, rules):
        if time.places_left >= places:
            return time.starts_at
    return None


async def take_places(
    repos: Repositories,
    offering: Offering,
    slot_id: int,
    starts_at: datetime,
    places: int,
    rules: BookingRules,
) -> None:
    """Take the places in the slot's counter, or refuse naming the next time of the day that
    still has them: slot_full when none are left, too_few_places (with how many) when some
    are, but fewer than the family needs."""
    capacity = offering.service.places
    if not await repos.bookings.take(slot_id, places, capacity):
        left = await repos.bookings.free(slot_id, capacity)
        raise BookingRefused(
            "too_few_places" if left else "slot_full",
            left=left,
            next_free=await next_free_time(repos, offering, starts_at, places, rules),
        )
