"""Bookings, the per-slot counters that keep them within the places, and the waiting list.

Places are taken and given back only by conditional UPDATEs of a slot's counter row
(`take`, `hold`, `release`...): the database checks the condition against the row as it is
when the update runs, after any other transaction's update of that row has committed (rows
are locked by the update on PostgreSQL; SQLite has one writer at a time). Reading the count
and inserting a booking after it would let two parents both see the last place free.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, BookingSlot, OutboxEntry, WaitingEntry
from storage.repositories.outbox import PENDING
from storage.upsert import insert_if_new

BOOKED = "booked"
WAITING = "waiting"
OFFERED = "offered"


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- slot counters -----------------------------------------------------------------------

    async def slot_id(self, centre_code: str, service_code: str, starts_at: datetime) -> int:
        """The counter row of a slot, made on first need."""
        key = {"centre_code": centre_code, "service_code": service_code, "starts_at": starts_at}
        statement = insert_if_new(self.session.bind.dialect.name, BookingSlot)
        await self.session.execute(statement, {**key, "taken": 0, "held": 0})
        slot_id = await self.session.scalar(select(BookingSlot.id).filter_by(**key))
        assert slot_id is not None
        return slot_id

    async def slot(self, slot_id: int) -> BookingSlot | None:
        return await self.session.get(BookingSlot, slot_id, populate_existing=True)

    async def slots_between(
        self, centre_code: str, service_code: str, start: datetime, end: datetime
    ) -> list[BookingSlot]:
        return list(
            await self.session.scalars(
                select(BookingSlot)
                .where(BookingSlot.centre_code == centre_code)
                .where(BookingSlot.service_code == service_code)
                .where(BookingSlot.starts_at >= start)
                .where(BookingSlot.starts_at < end)
                .execution_options(populate_existing=True)
            )
        )

    async def take(self, slot_id: int, places: int, capacity: int) -> bool:
        """Take `places` if, with those already taken or held, they fit in `capacity`."""
        return await self._count(
            slot_id,
            BookingSlot.taken + BookingSlot.held + places <= capacity,
            taken=BookingSlot.taken + places,
        )

    async def hold(self, slot_id: int, places: int, capacity: int) -> bool:
        """Hold `places` for an offer to the waiting list, if they are free."""
        return await self._count(
            slot_id,
            BookingSlot.taken + BookingSlot.held + places <= capacity,
            held=BookingSlot.held + places,
        )

    async def take_held(self, slot_id: int, places: int) -> None:
        """An accepted offer: its held places become taken."""
        await self._count(
            slot_id,
            BookingSlot.held >= places,
            held=BookingSlot.held - places,
            taken=BookingSlot.taken + places,
        )

    async def release(self, slot_id: int, places: int) -> None:
        await self._count(slot_id, BookingSlot.taken >= places, taken=BookingSlot.taken - places)

    async def release_held(self, slot_id: int, places: int) -> None:
        await self._count(slot_id, BookingSlot.held >= places, held=BookingSlot.held - places)

    async def free(self, slot_id: int, capacity: int) -> int:
        """Places neither taken nor held in the slot, as committed now."""
        slot = await self.session.get(BookingSlot, slot_id, populate_existing=True)
        return max(0, capacity - slot.taken - slot.held) if slot else capacity

    async def _count(self, slot_id: int, condition: object, **values: object) -> bool:
        result = await self.session.execute(
            update(BookingSlot)
            .where(BookingSlot.id == slot_id)
            .where(condition)  # type: ignore[arg-type]
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    # --- bookings ----------------------------------------------------------------------------

    async def add(self, booking: Booking) -> Booking:
        """Insert and flush, for the reference number."""
        self.session.add(booking)
        await self.session.flush()
        return booking

    async def get(self, booking_id: int) -> Booking | None:
        return await self.session.get(Booking, booking_id)

    async def made_by(self, confirm_key: str) -> Booking | None:
        return await self.session.scalar(select(Booking).where(Booking.confirm_key == confirm_key))

    async def of_user(self, user_id: int, *, limit: int) -> list[Booking]:
        return list(
            await self.session.scalars(
                select(Booking)
                .where(Booking.user_id == user_id)
                .order_by(Booking.starts_at.desc(), Booking.id.desc())
                .limit(limit)
            )
        )

    async def with_ages_before(self, moment: datetime) -> list[Booking]:
        """Bookings of visits that began before `moment` and still hold children's ages.
        (Ages are JSON, which PostgreSQL cannot compare, so the empty ones are left out here.)"""
        found = await self.session.scalars(select(Booking).where(Booking.starts_at < moment))
        return [booking for booking in found if booking.ages]

    async def all_of_user(self, user_id: int) -> list[Booking]:
        return list(await self.session.scalars(select(Booking).where(Booking.user_id == user_id)))

    async def count_upcoming(self, user_id: int, now: datetime, *, besides: int | None) -> int:
        statement = (
            select(func.count())
            .select_from(Booking)
            .where(Booking.user_id == user_id)
            .where(Booking.status == BOOKED)
            .where(Booking.starts_at > now)
        )
        if besides is not None:
            statement = statement.where(Booking.id != besides)
        return await self.session.scalar(statement) or 0

    async def overlapping(
        self, user_id: int, start: datetime, end: datetime, *, besides: int | None
    ) -> Booking | None:
        statement = (
            select(Booking)
            .where(Booking.user_id == user_id)
            .where(Booking.status == BOOKED)
            .where(Booking.starts_at < end)
            .where(Booking.ends_at > start)
        )
        if besides is not None:
            statement = statement.where(Booking.id != besides)
        return await self.session.scalar(statement.limit(1))

    async def booked_from(self, moment: datetime) -> list[Booking]:
        """Every booking still to come, in order (to see what a change of the data affects)."""
        return list(
            await self.session.scalars(
                select(Booking)
                .where(Booking.status == BOOKED)
                .where(Booking.starts_at >= moment)
                .order_by(Booking.starts_at, Booking.id)
            )
        )

    async def at_centre(
        self, centre_code: str, start: datetime, end: datetime, statuses: Sequence[str]
    ) -> list[Booking]:
        """A centre's bookings in `statuses` starting in [start, end), in order (a roster, a
        closed day)."""
        return list(
            await self.session.scalars(
                select(Booking)
                .where(Booking.centre_code == centre_code)
                .where(Booking.status.in_(statuses))
                .where(Booking.starts_at >= start)
                .where(Booking.starts_at < end)
                .order_by(Booking.starts_at, Booking.id)
            )
        )

    async def starting_between(self, start: datetime, end: datetime) -> list[Booking]:
        """Every booking, whatever its status, whose visit starts in [start, end), by time,
        centre and reference (an export)."""
        return list(
            await self.session.scalars(
                select(Booking)
                .where(Booking.starts_at >= start)
                .where(Booking.starts_at < end)
                .order_by(Booking.starts_at, Booking.centre_code, Booking.id)
            )
        )

    async def drop_unsent_messages(self, booking_id: int, *, dropped: str, why: str) -> None:
        """The booking's messages still waiting in the outbox (its reminders) are dropped."""
        await self.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.booking_id == booking_id)
            .where(OutboxEntry.state == PENDING)
            .values(state=dropped, error=why)
            .execution_options(synchronize_session=False)
        )

    # --- the waiting list ----------------------------------------------------------------------

    async def waiting_entry(self, slot_id: int, user_id: int) -> WaitingEntry | None:
        return await self.session.scalar(
            select(WaitingEntry).filter_by(slot_id=slot_id, user_id=user_id)
        )

    async def get_waiting(self, entry_id: int) -> WaitingEntry | None:
        return await self.session.get(WaitingEntry, entry_id, populate_existing=True)

    async def add_waiting(self, entry: WaitingEntry) -> WaitingEntry:
        """Insert and flush, for the entry's id."""
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def waiting_for(self, slot_id: int) -> list[WaitingEntry]:
        """Who waits for the slot, first come first."""
        return list(
            await self.session.scalars(
                select(WaitingEntry)
                .where(WaitingEntry.slot_id == slot_id)
                .where(WaitingEntry.state == WAITING)
                .order_by(WaitingEntry.joined_at, WaitingEntry.id)
            )
        )

    async def position(self, entry: WaitingEntry) -> int:
        """1 for the first in line."""
        ahead = await self.session.scalar(
            select(func.count())
            .select_from(WaitingEntry)
            .where(WaitingEntry.slot_id == entry.slot_id)
            .where(WaitingEntry.state.in_((WAITING, OFFERED)))
            .where(WaitingEntry.id < entry.id)
        )
        return (ahead or 0) + 1

    async def move_waiting(
        self, entry_id: int, *, from_states: Sequence[str], to_state: str, **values: object
    ) -> bool:
        """Change an entry's state only if it is still in one of `from_states`: an offer
        accepted and expiring at the same moment ends one way, never both."""
        result = await self.session.execute(
            update(WaitingEntry)
            .where(WaitingEntry.id == entry_id)
            .where(WaitingEntry.state.in_(from_states))
            .values(state=to_state, **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def in_line(self, user_id: int) -> list[WaitingEntry]:
        """The parent's places in waiting lines, offered or not."""
        return list(
            await self.session.scalars(
                select(WaitingEntry)
                .where(WaitingEntry.user_id == user_id)
                .where(WaitingEntry.state.in_((WAITING, OFFERED)))
            )
        )

    async def slots_with_waiting(self, moment: datetime) -> list[int]:
        """Slots after `moment` that someone waits for (not yet offered a place)."""
        return list(
            await self.session.scalars(
                select(BookingSlot.id)
                .join(WaitingEntry, WaitingEntry.slot_id == BookingSlot.id)
                .where(WaitingEntry.state == WAITING)
                .where(BookingSlot.starts_at > moment)
                .distinct()
                .order_by(BookingSlot.id)
            )
        )

    async def waiting_at_centre(
        self, centre_code: str, start: datetime, end: datetime
    ) -> dict[str, int]:
        """How many wait (or hold an offer) for a centre's slots starting in [start, end), per
        service."""
        rows = await self.session.execute(
            select(BookingSlot.service_code, func.count(WaitingEntry.id))
            .join(WaitingEntry, WaitingEntry.slot_id == BookingSlot.id)
            .where(BookingSlot.centre_code == centre_code)
            .where(BookingSlot.starts_at >= start)
            .where(BookingSlot.starts_at < end)
            .where(WaitingEntry.state.in_((WAITING, OFFERED)))
            .group_by(BookingSlot.service_code)
        )
        return {service: count for service, count in rows}

    async def offers_ended_by(self, moment: datetime) -> list[WaitingEntry]:
        return list(
            await self.session.scalars(
                select(WaitingEntry)
                .where(WaitingEntry.state == OFFERED)
                .where(WaitingEntry.offer_until <= moment)
                .order_by(WaitingEntry.offer_until, WaitingEntry.id)
            )
        )
