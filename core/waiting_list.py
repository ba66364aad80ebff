"""The waiting list of a full time: a parent joins it, and when a place frees the first in
line is offered it, held for them for `BookingRules.offer_minutes`; then, if they have not taken
it, the next.

An entry is waiting → offered → taken | expired, or left (the parent stepped out). While an
offer is open its places are held in the slot's counter, so nobody else books them meanwhile.
A family needing more places than have freed keeps its turn, and a smaller family behind it
may be offered what did free. Each offer is written to the outbox in the transaction that
makes it (Kind.WAITING_OFFER), sent only while it is still open; the offers are also returned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.audit import record_refusal
from core.booking_rules import (
    BookingInfo,
    BookingStatus,
    Offer,
    audit_booking,
    booking_info,
    check_children,
    check_parent,
    check_time,
    load_offering,
)
from core.centres import BookingRules, why_closed
from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import AccessDenied, BookingRefused, ConsentRequired, NotFound
from core.outbox import Kind, Wanted, enqueue
from core.reminders import schedule_reminders
from storage.database import AlreadyStored, Database
from storage.models import Booking, BookingSlot, WaitingEntry
from storage.repositories import Repositories


class WaitingState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    TAKEN = "taken"
    EXPIRED = "expired"
    LEFT = "left"


STILL_IN_LINE = (WaitingState.WAITING, WaitingState.OFFERED)


@dataclass(frozen=True)
class WaitingInfo:
    entry_id: int
    centre_code: str
    service_code: str
    starts_at: datetime
    state: WaitingState
    position: int  # 1 for the first in line
    offer_until: datetime | None


def _audit(
    repos: Repositories, action: str, entry: WaitingEntry, actor_id: int | None, at: datetime
) -> None:
    repos.audit.record(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type="waiting",
        object_id=entry.id,
        details={"slot": entry.slot_id, "places": entry.places},
    )


async def _info(repos: Repositories, entry: WaitingEntry, slot: BookingSlot) -> WaitingInfo:
    return WaitingInfo(
        entry_id=entry.id,
        centre_code=slot.centre_code,
        service_code=slot.service_code,
        starts_at=as_utc(slot.starts_at),
        state=WaitingState(entry.state),
        position=await repos.bookings.position(entry),
        offer_until=as_utc(entry.offer_until) if entry.offer_until else None,
    )


async def join(
    db: Database,
    *,
    user_id: int,
    centre_code: str,
    service_code: str,
    starts_at: datetime,
    ages: Sequence[int],
    rules: BookingRules,
) -> WaitingInfo:
    """Wait for a place at a full time. Joining again while in line changes nothing."""
    try:
        return await _join(db, user_id, centre_code, service_code, as_utc(starts_at), ages, rules)
    except AlreadyStored:
        # Two presses at once: the other one put the parent in line.
        return await _join(db, user_id, centre_code, service_code, as_utc(starts_at), ages, rules)


async def _join(
    db: Database,
    user_id: int,
    centre_code: str,
    service_code: str,
    starts_at: datetime,
    ages: Sequence[int],
    rules: BookingRules,
) -> WaitingInfo:
    now = utcnow()
    async with db.transaction() as repos:
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        await repos.users.lock(user_id)
        offering = await load_offering(repos, centre_code, service_code)
        places = check_children(offering.service, ages)
        ends_at = check_time(offering, starts_at, now, rules)
        slot_id = await repos.bookings.slot_id(centre_code, service_code, starts_at)
        slot = await repos.bookings.slot(slot_id)
        assert slot is not None
        entry = await repos.bookings.waiting_entry(slot_id, user_id)
        if entry is not None and entry.state in STILL_IN_LINE:
            return await _info(repos, entry, slot)
        if offering.service.places - slot.taken - slot.held >= places:
            raise BookingRefused("not_full")
        other = await repos.bookings.overlapping(user_id, starts_at, ends_at, besides=None)
        if other is not None:
            raise BookingRefused("overlapping", reference=booking_info(other).reference)
        line = {
            "places": places,
            "ages": list(ages),
            "state": WaitingState.WAITING.value,
            "joined_at": now,
            "offered_at": None,
            "offer_until": None,
            "booking_id": None,
        }
        if entry is None:
            entry = await repos.bookings.add_waiting(
                WaitingEntry(slot_id=slot_id, user_id=user_id, **line)
            )
        else:  # back in line, at the end, after leaving it or letting an offer pass
            for name, value in line.items():
                setattr(entry, name, value)
        _audit(repos, "waiting.joined", entry, user_id, now)
        return await _info(repos, entry, slot)


async def offer_freed_places(
    repos: Repositories, slot_id: int, now: datetime, rules: BookingRules
) -> list[Offer]:
    """Offer what is free at the slot to those waiting for it, first in line first. Called in
    the transaction that freed places (a cancel, a move, an offer ended)."""
    slot = await repos.bookings.slot(slot_id)
    if slot is None or as_utc(slot.starts_at) <= now:
        return []
    offering = await load_offering(repos, slot.centre_code, slot.service_code, withdrawn=True)
    day = as_utc(slot.starts_at).astimezone(rules.zone).date()
    if why_closed(offering.centre, offering.service, day) is not None:
        return []
    until = min(now + rules.offer_time, as_utc(slot.starts_at))
    offers = []
    for entry in await repos.bookings.waiting_for(slot_id):
        if not await repos.bookings.hold(slot_id, entry.places, offering.service.places):
            continue  # not enough for this family: it keeps its turn for the next place
        await repos.bookings.move_waiting(
            entry.id,
            from_states=(WaitingState.WAITING,),
            to_state=WaitingState.OFFERED,
            offered_at=now,
            offer_until=until,
        )
        _audit(repos, "waiting.offered", entry, None, now)
        enqueue(
            repos, chat_id=entry.user_id, kind=Kind.WAITING_OFFER, now=now,
            wanted_while=Wanted.OFFER_OPEN, entry_id=entry.id,
        )  # fmt: skip
        offers.append(
            Offer(
                entry_id=entry.id,
                user_id=entry.user_id,
                centre_code=slot.centre_code,
                service_code=slot.service_code,
                starts_at=as_utc(slot.starts_at),
                until=until,
            )
        )
    return offers


@asynccontextmanager
async def _own_entry(
    db: Database, user_id: int, entry_id: int
) -> AsyncIterator[tuple[Repositories, WaitingEntry, BookingSlot]]:
    """A transaction over the parent's own place in a line, their booking changes waiting
    until it ends; another family's is refused as not_yours, and the attempt kept."""
    try:
        async with db.transaction() as repos:
            await repos.users.lock(user_id)
            entry = await repos.bookings.get_waiting(entry_id)
            if entry is None:
                raise NotFound("waiting")
            if entry.user_id != user_id:
                raise AccessDenied("not_yours")
            slot = await repos.bookings.slot(entry.slot_id)
            assert slot is not None
            yield repos, entry, slot
    except (AccessDenied, NotFound):
        await record_refusal(
            db,
            actor_id=user_id,
            action="waiting.access_denied",
            object_type="waiting",
            object_id=entry_id,
        )
        raise


async def accept_offer(
    db: Database, *, user_id: int, entry_id: int, rules: BookingRules
) -> BookingInfo:
    """Take the place held for the parent. A repeated press gives back the booking made."""
    now = utcnow()
    async with _own_entry(db, user_id, entry_id) as (repos, entry, slot):
        if entry.state == WaitingState.TAKEN and entry.booking_id is not None:
            made = await repos.bookings.get(entry.booking_id)
            assert made is not None
            return booking_info(made)
        offer_until = as_utc(entry.offer_until) if entry.offer_until else None
        if entry.state != WaitingState.OFFERED or offer_until is None or offer_until <= now:
            raise BookingRefused("offer_ended")
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        starts_at = as_utc(slot.starts_at)
        offering = await load_offering(repos, slot.centre_code, slot.service_code, withdrawn=True)
        ends_at = starts_at + offering.service.length
        await check_parent(repos, user_id, starts_at, ends_at, now, rules)
        booking = await repos.bookings.add(
            Booking(
                user_id=user_id,
                centre_code=slot.centre_code,
                service_code=slot.service_code,
                slot_id=slot.id,
                starts_at=starts_at,
                ends_at=ends_at,
                places=entry.places,
                children=len(entry.ages),
                ages=list(entry.ages),
                status=BookingStatus.BOOKED.value,
                created_at=now,
                changed_at=now,
            )
        )
        if not await repos.bookings.move_waiting(
            entry.id,
            from_states=(WaitingState.OFFERED,),
            to_state=WaitingState.TAKEN,
            booking_id=booking.id,
        ):
            raise BookingRefused("offer_ended")  # it ran out at this very moment
        await repos.bookings.take_held(slot.id, entry.places)
        _audit(repos, "waiting.accepted", entry, user_id, now)
        audit_booking(repos, "booking.booked", booking, actor_id=user_id, at=now, waited=True)
        schedule_reminders(repos, booking, now, rules)
        return booking_info(booking)


async def leave(db: Database, *, user_id: int, entry_id: int, rules: BookingRules) -> list[Offer]:
    """Step out of the line, or turn an offer down (it goes to the next in line at once)."""
    now = utcnow()
    async with _own_entry(db, user_id, entry_id) as (repos, entry, slot):
        if entry.state not in STILL_IN_LINE:
            return []
        offered = entry.state == WaitingState.OFFERED
        if not await repos.bookings.move_waiting(
            entry.id, from_states=STILL_IN_LINE, to_state=WaitingState.LEFT
        ):
            return []
        _audit(repos, "waiting.left", entry, user_id, now)
        if not offered:
            return []
        await repos.bookings.release_held(slot.id, entry.places)
        return await offer_freed_places(repos, slot.id, now, rules)


async def tend_waiting_lists(db: Database, rules: BookingRules) -> list[Offer]:
    """For the worker, every minute or so: offers not taken in time end, and whatever is free
    at a time someone waits for is offered (places an offer gave back, and places freed
    without an offer at once: a parent erased, more places in the reference data)."""
    now = utcnow()
    async with db.transaction() as repos:
        for entry in await repos.bookings.offers_ended_by(now):
            if await repos.bookings.move_waiting(
                entry.id, from_states=(WaitingState.OFFERED,), to_state=WaitingState.EXPIRED
            ):
                await repos.bookings.release_held(entry.slot_id, entry.places)
                _audit(repos, "waiting.offer_ended", entry, None, now)
        offers = []
        for slot_id in await repos.bookings.slots_with_waiting(now):
            offers += await offer_freed_places(repos, slot_id, now, rules)
        return offers


async def forget_parent(repos: Repositories, user_id: int, now: datetime) -> None:
    """A parent being erased leaves every line; places held for them are given back (the
    next run of `tend_waiting_lists` offers them)."""
    for entry in await repos.bookings.in_line(user_id):
        await repos.bookings.move_waiting(
            entry.id, from_states=STILL_IN_LINE, to_state=WaitingState.LEFT
        )
        if entry.state == WaitingState.OFFERED:
            await repos.bookings.release_held(entry.slot_id, entry.places)
        _audit(repos, "waiting.left", entry, None, now)
