"""No overbooking, whatever arrives at once: parents pressing Confirm at the same moment, over
real connections to SQLite and PostgreSQL, never get more places than a time has."""

from __future__ import annotations

import asyncio

import pytest

from core.bookings import book, cancel, move
from core.errors import BookingRefused, InvalidTransition
from storage.models import Booking, BookingSlot
from tests.e2e import rows
from tests.test_core_bookings import (
    OSH,
    RULES,
    at,
    book_meal,
    consenting,
    day,
    frozen_clock,  # noqa: F401  (the same frozen Monday)
)

CROWD = range(20_000, 20_100)


async def _outcomes(attempts) -> tuple[int, list[str]]:
    results = await asyncio.gather(*attempts, return_exceptions=True)
    for result in results:
        if not isinstance(result, BookingRefused) and isinstance(result, BaseException):
            raise result
    refused = [result.code for result in results if isinstance(result, BookingRefused)]
    return len(results) - len(refused), refused


async def test_a_hundred_parents_for_the_last_three_places_make_three_bookings(db):
    await consenting(db, 1, 2, *CROWD)
    await book_meal(db, 1, ages=[6] * 10)
    await book_meal(db, 2, ages=[7] * 7)  # 17 of the 20 places taken
    booked, refused = await _outcomes(
        book_meal(db, user_id, ages=[8], key=f"confirm-{user_id}") for user_id in CROWD
    )
    assert booked == 3
    assert refused == ["slot_full"] * 97
    [slot] = await rows(db, BookingSlot)
    assert (slot.taken, slot.held) == (20, 0)
    assert sum(b.places for b in await rows(db, Booking)) == 20


async def test_a_hundred_families_for_one_place_make_one_booking(db):
    await consenting(db, *CROWD)
    booked, refused = await _outcomes(
        book(
            db,
            user_id=user_id,
            centre_code=OSH,
            service_code="psychologist",
            starts_at=at(day(0), 15),
            ages=[9],
            rules=RULES,
        )
        for user_id in CROWD
    )
    assert (booked, refused) == (1, ["slot_full"] * 99)


async def test_one_parents_presses_at_once_respect_the_limit_and_overlaps(db):
    await consenting(db, 1)
    await book_meal(db, 1, at(day(1), 12))
    await book_meal(db, 1, at(day(2), 12))
    # Two different times at once with room for one more: one of them.
    booked, refused = await _outcomes(
        book_meal(db, 1, at(day(offset), 12), key=f"press-{offset}") for offset in (4, 7)
    )
    assert (booked, refused) == (1, ["too_many_bookings"])
    # The same time with other children, pressed at once: one of them.
    await consenting(db, 2)
    booked, refused = await _outcomes(
        book_meal(db, 2, at(day(1), 13), ages=[age], key=f"ages-{age}") for age in (8, 9)
    )
    assert (booked, refused) == (1, ["overlapping"])


@pytest.mark.parametrize("repeats", [2, 10])
async def test_the_same_press_handled_many_times_at_once_books_once(db, repeats):
    await consenting(db, 1)
    results = await asyncio.gather(*(book_meal(db, 1, key="the-one-press") for _ in range(repeats)))
    assert len({result.id for result in results}) == 1
    [slot] = await rows(db, BookingSlot)
    assert slot.taken == 1


async def test_cancel_pressed_twice_and_a_move_at_once_leave_the_counters_right(db):
    await consenting(db, 1)
    booking = await book_meal(db, 1, ages=[7, 8])
    results = await asyncio.gather(
        cancel(db, user_id=1, booking_id=booking.id, rules=RULES),
        cancel(db, user_id=1, booking_id=booking.id, rules=RULES),
        move(db, user_id=1, booking_id=booking.id, starts_at=at(day(1), 13), rules=RULES),
        return_exceptions=True,
    )
    unexpected = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, InvalidTransition) for r in unexpected), unexpected
    # Whatever the order, the booking ends cancelled (a move first is then cancelled where it
    # went) and every place it took is free again, once.
    [final] = await rows(db, Booking)
    assert final.status == "cancelled"
    assert {s.taken for s in await rows(db, BookingSlot)} == {0}
