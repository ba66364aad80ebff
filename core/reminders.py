"""Reminders of a booked visit and the words a parent answers them with.

A booking owns two reminders in the outbox, written in the transaction that books or moves it:
the evening before at `EVENING` (local time) and `BEFORE` the visit. Each is sent only while
the booking is still booked and still ahead (`Wanted.BOOKING_UPCOMING`), so a reminder of a
visit cancelled or past is dropped, and the drop recorded; cancelling or moving a booking drops
its unsent reminders at once (core.bookings), and a move writes new ones.

Which reminders a booking gets (`reminder_times`):
- none whose time has already passed when the booking is made (booked an hour before the
  visit: neither);
- reminders keep quiet hours. The one two hours before a visit early in the morning (09:00)
  would fall in them (07:00) and, held until they end, would arrive an hour before the visit,
  when the family is already on its way: it is left out whenever the evening reminder is sent,
  which told them the evening before. Only when there is no evening reminder (booked late the
  evening before) is it kept, to be sent when the quiet hours end, provided that is still
  before the visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from core.audit import record_refusal
from core.booking_rules import BookingInfo, BookingStatus, audit_booking, booking_info
from core.centres import BookingRules, Localized
from core.clock import as_utc, utcnow
from core.errors import AccessDenied, InvalidTransition, NotFound
from core.outbox import Kind, Wanted, enqueue
from storage.database import Database
from storage.models import Booking, DayCentre
from storage.repositories import Repositories

EVENING = time(18, 0)
BEFORE = timedelta(hours=2)


class Which(StrEnum):
    EVENING = "evening"  # the evening before
    SOON = "soon"  # two hours before


def reminder_times(
    starts_at: datetime, now: datetime, rules: BookingRules
) -> dict[Which, datetime]:
    """When a visit starting at `starts_at`, booked at `now`, is reminded of (see the module)."""
    local_day = as_utc(starts_at).astimezone(rules.zone).date()
    evening = datetime.combine(local_day - timedelta(days=1), EVENING, rules.zone)
    times = {Which.EVENING: evening, Which.SOON: as_utc(starts_at) - BEFORE}
    kept = {which: due for which, due in times.items() if due > now}
    soon, quiet = kept.get(Which.SOON), rules.quiet
    if (
        soon is not None
        and quiet is not None
        and quiet.contains(soon)
        and (Which.EVENING in kept or quiet.ends_after(soon) >= as_utc(starts_at))
    ):
        del kept[Which.SOON]
    return kept


def schedule_reminders(
    repos: Repositories, booking: Booking, now: datetime, rules: BookingRules
) -> None:
    """Write the booking's reminders to the outbox (in the transaction that booked it)."""
    for which, due in reminder_times(booking.starts_at, now, rules).items():
        enqueue(
            repos, chat_id=booking.user_id, kind=Kind.BOOKING_REMINDER, now=now,
            booking_id=booking.id, due=due, wanted_while=Wanted.BOOKING_UPCOMING,
            which=which.value,
        )  # fmt: skip


@dataclass(frozen=True)
class Reminded:
    """A visit as a reminder tells of it, in the parent's language as it is now."""

    booking: BookingInfo
    language: str
    centre: Localized
    service: Localized


@dataclass(frozen=True)
class Offered:
    """A place held for a parent from a waiting list, as the offer tells of it."""

    entry_id: int
    language: str
    centre: Localized
    service: Localized
    starts_at: datetime
    until: datetime


async def _names(
    repos: Repositories, user_id: int, centre_code: str, service_code: str
) -> tuple[str, Localized, Localized]:
    """The parent's language as it is now, and the centre's and the service's names."""
    user = await repos.users.get(user_id)
    centre = await repos.reference.get(DayCentre, centre_code)
    services = await repos.reference.services(centre_code)
    service = next((s for s in services if s.code == service_code), None)
    return (
        (user.language if user else None) or "ru",
        dict(centre.name) if centre else {},
        dict(service.name) if service else {},
    )


async def to_remind(db: Database, booking_id: int) -> Reminded | None:
    """None when there is nothing to say any more (the booking is gone or not booked)."""
    async with db.transaction() as repos:
        booking = await repos.bookings.get(booking_id)
        if booking is None or booking.status != BookingStatus.BOOKED:
            return None
        names = await _names(repos, booking.user_id, booking.centre_code, booking.service_code)
        return Reminded(booking_info(booking), *names)


async def to_offer(db: Database, entry_id: int) -> Offered | None:
    """None when the offer is no longer open (taken, turned down, ended)."""
    from core.waiting_list import WaitingState  # core.waiting_list writes reminders

    async with db.transaction() as repos:
        entry = await repos.bookings.get_waiting(entry_id)
        if entry is None or entry.state != WaitingState.OFFERED or entry.offer_until is None:
            return None
        slot = await repos.bookings.slot(entry.slot_id)
        if slot is None:
            return None
        language, centre, service = await _names(
            repos, entry.user_id, slot.centre_code, slot.service_code
        )
        return Offered(
            entry_id=entry.id, language=language, centre=centre, service=service,
            starts_at=as_utc(slot.starts_at), until=as_utc(entry.offer_until),
        )  # fmt: skip


async def confirm_coming(db: Database, *, user_id: int, booking_id: int) -> BookingInfo:
    """The parent answered a reminder "I'm coming": kept in the audit log (staff see who
    confirmed). Only for the parent's own booked visit still ahead."""
    now = utcnow()
    try:
        async with db.transaction() as repos:
            booking = await repos.bookings.get(booking_id)
            if booking is None:
                raise NotFound("booking")
            if booking.user_id != user_id:
                raise AccessDenied("not_yours")
            if booking.status != BookingStatus.BOOKED or as_utc(booking.starts_at) <= now:
                raise InvalidTransition("not_booked", status=booking.status)
            audit_booking(repos, "booking.coming", booking, actor_id=user_id, at=now)
            return booking_info(booking)
    except (AccessDenied, NotFound):
        await record_refusal(
            db, actor_id=user_id, action="booking.access_denied", object_type="booking",
            object_id=booking_id,
        )  # fmt: skip
        raise
