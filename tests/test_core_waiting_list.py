"""The waiting list of a full time, on SQLite and PostgreSQL: who is offered a freed place,
how long it is held for them, and what happens when they take it, let it pass or step out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import reference
from core.bookings import book, cancel, move
from core.clock import freeze
from core.erasure import forget_user
from core.errors import AccessDenied, BookingRefused
from core.waiting_list import WaitingState, accept_offer, join, leave, tend_waiting_lists
from koldo.settings import DataSettings
from storage.models import AuditEntry, Booking, BookingSlot, WaitingEntry
from tests.e2e import rows
from tests.test_core_bookings import (
    MONDAY,
    OSH,
    OTHER,
    PARENT,
    RULES,
    THIRD,
    at,
    consenting,
    day,
    frozen_clock,  # noqa: F401  (the same frozen Monday)
)

FOURTH = 8004
LAWYER = "lawyer"  # one family a slot
DOCTOR = "doctor"  # two children a slot
WHEN = at(day(1), 14)  # Tuesday 14:00, the lawyer


async def book_lawyer(db, user_id: int, when=WHEN):
    return await book(db, user_id=user_id, centre_code=OSH, service_code=LAWYER,
                      starts_at=when, ages=[], rules=RULES)  # fmt: skip


async def wait_lawyer(db, user_id: int, when=WHEN):
    return await join(db, user_id=user_id, centre_code=OSH, service_code=LAWYER,
                      starts_at=when, ages=[], rules=RULES)  # fmt: skip


async def slot_counts(db) -> dict:
    return {(s.service_code, s.taken, s.held) for s in await rows(db, BookingSlot)}


async def test_joining_a_full_time_in_order_and_only_once(db):
    await consenting(db, PARENT, OTHER, THIRD)
    with pytest.raises(BookingRefused, match="not_full"):
        await wait_lawyer(db, OTHER)
    await book_lawyer(db, PARENT)
    first = await wait_lawyer(db, OTHER)
    second = await wait_lawyer(db, THIRD)
    assert (first.position, second.position) == (1, 2)
    assert first.state == WaitingState.WAITING and first.starts_at == WHEN
    assert await wait_lawyer(db, OTHER) == first  # a repeated press
    with pytest.raises(BookingRefused, match="overlapping"):  # their own booking
        await wait_lawyer(db, PARENT)
    assert len(await rows(db, WaitingEntry)) == 2
    assert [e.action for e in await rows(db, AuditEntry, AuditEntry.object_type == "waiting")] == [
        "waiting.joined",
        "waiting.joined",
    ]


async def test_a_freed_place_is_held_for_the_first_in_line_who_takes_it(db):
    await consenting(db, PARENT, OTHER, THIRD, FOURTH)
    booking = await book_lawyer(db, PARENT)
    first = await wait_lawyer(db, OTHER)
    second = await wait_lawyer(db, THIRD)
    cancelled = await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    [offer] = cancelled.offers
    assert (offer.user_id, offer.entry_id, offer.starts_at) == (OTHER, first.entry_id, WHEN)
    assert offer.until == at(MONDAY, 8) + timedelta(minutes=30)
    assert await slot_counts(db) == {(LAWYER, 0, 1)}
    # The place is held: nobody else books it meanwhile.
    with pytest.raises(BookingRefused, match="slot_full"):
        await book_lawyer(db, FOURTH)
    with pytest.raises(BookingRefused, match="offer_ended"):  # no offer for the second
        await accept_offer(db, user_id=THIRD, entry_id=second.entry_id, rules=RULES)
    taken = await accept_offer(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES)
    assert (taken.starts_at, taken.status) == (WHEN, "booked")
    assert await accept_offer(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES) == taken
    assert await slot_counts(db) == {(LAWYER, 1, 0)}
    states = {e.user_id: (e.state, e.booking_id) for e in await rows(db, WaitingEntry)}
    assert states == {OTHER: ("taken", taken.id), THIRD: ("waiting", None)}


async def test_an_offer_not_taken_in_time_goes_to_the_next(db):
    await consenting(db, PARENT, OTHER, THIRD)
    booking = await book_lawyer(db, PARENT)
    first = await wait_lawyer(db, OTHER)
    second = await wait_lawyer(db, THIRD)
    await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    freeze(at(MONDAY, 8, 29))
    assert await tend_waiting_lists(db, RULES) == []  # not yet
    freeze(at(MONDAY, 8, 31))
    with pytest.raises(BookingRefused, match="offer_ended"):
        await accept_offer(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES)
    [offer] = await tend_waiting_lists(db, RULES)
    assert (offer.user_id, offer.until) == (THIRD, at(MONDAY, 9, 1))
    assert await tend_waiting_lists(db, RULES) == []  # run again: nothing more
    with pytest.raises(BookingRefused, match="offer_ended"):
        await accept_offer(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES)
    await accept_offer(db, user_id=THIRD, entry_id=second.entry_id, rules=RULES)
    states = {e.user_id: e.state for e in await rows(db, WaitingEntry)}
    assert states == {OTHER: "expired", THIRD: "taken"}
    assert await slot_counts(db) == {(LAWYER, 1, 0)}
    actions = [e.action for e in await rows(db, AuditEntry, AuditEntry.object_type == "waiting")]
    assert actions.count("waiting.offer_ended") == 1 and actions.count("waiting.offered") == 2


async def test_an_offer_ends_when_the_visit_begins(db):
    await consenting(db, PARENT, OTHER)
    soon = at(day(1), 14)
    booking = await book_lawyer(db, PARENT, soon)
    await wait_lawyer(db, OTHER, soon)
    freeze(soon - timedelta(minutes=10))
    [offer] = (await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)).offers
    assert offer.until == soon


async def test_turning_an_offer_down_passes_it_on_and_leaving_the_line_is_quiet(db):
    await consenting(db, PARENT, OTHER, THIRD, FOURTH)
    booking = await book_lawyer(db, PARENT)
    first = await wait_lawyer(db, OTHER)
    await wait_lawyer(db, THIRD)
    fourth = await wait_lawyer(db, FOURTH)
    assert await leave(db, user_id=FOURTH, entry_id=fourth.entry_id, rules=RULES) == []
    await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    [offer] = await leave(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES)
    assert offer.user_id == THIRD
    assert await leave(db, user_id=OTHER, entry_id=first.entry_id, rules=RULES) == []
    assert await slot_counts(db) == {(LAWYER, 0, 1)}
    # Back in line after leaving: at the end.
    again = await wait_lawyer(db, FOURTH)
    assert (again.entry_id, again.state, again.position) == (fourth.entry_id, "waiting", 2)


async def test_a_family_needing_more_places_keeps_its_turn(db):
    await consenting(db, PARENT, OTHER, THIRD, FOURTH)
    doctor = {"centre_code": OSH, "service_code": DOCTOR, "starts_at": at(day(1), 10),
              "rules": RULES}  # fmt: skip
    mine = await book(db, user_id=PARENT, ages=[5], **doctor)
    await book(db, user_id=FOURTH, ages=[9], **doctor)
    twins = await join(db, user_id=OTHER, ages=[7, 7], **doctor)
    single = await join(db, user_id=THIRD, ages=[4], **doctor)
    [offer] = (await cancel(db, user_id=PARENT, booking_id=mine.id, rules=RULES)).offers
    assert offer.entry_id == single.entry_id
    states = {e.user_id: e.state for e in await rows(db, WaitingEntry)}
    assert states == {OTHER: "waiting", THIRD: "offered"}
    still = await join(db, user_id=OTHER, ages=[7, 7], **doctor)  # asked again: first in line
    assert (still.entry_id, still.position) == (twins.entry_id, 1)


async def test_a_move_away_offers_the_old_time(db):
    await consenting(db, PARENT, OTHER)
    booking = await book_lawyer(db, PARENT)
    await wait_lawyer(db, OTHER)
    moved = await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(1), 15),
                       rules=RULES)  # fmt: skip
    assert [(o.user_id, o.starts_at) for o in moved.offers] == [(OTHER, WHEN)]


async def test_another_familys_place_in_line_is_not_yours(db):
    await consenting(db, PARENT, OTHER, THIRD)
    booking = await book_lawyer(db, PARENT)
    first = await wait_lawyer(db, OTHER)
    await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    for attempt in (
        accept_offer(db, user_id=THIRD, entry_id=first.entry_id, rules=RULES),
        leave(db, user_id=THIRD, entry_id=first.entry_id, rules=RULES),
    ):
        with pytest.raises(AccessDenied, match="not_yours"):
            await attempt
    refusals = await rows(db, AuditEntry, AuditEntry.action == "waiting.access_denied")
    assert [(e.actor_id, e.object_id) for e in refusals] == [(THIRD, str(first.entry_id))] * 2
    assert {e.state for e in await rows(db, WaitingEntry)} == {"offered"}


async def test_an_erased_parent_gives_back_places_and_the_waiting_list_gets_them(db):
    await consenting(db, PARENT, OTHER, THIRD, FOURTH)
    meal = await book(db, user_id=PARENT, centre_code=OSH, service_code="hot-meal",
                      starts_at=at(day(1), 12), ages=[7, 9], rules=RULES)  # fmt: skip
    lawyer = await book_lawyer(db, PARENT)
    await wait_lawyer(db, OTHER)
    later = await book_lawyer(db, THIRD, at(day(1), 15))
    await wait_lawyer(db, FOURTH, at(day(1), 15))
    await cancel(db, user_id=THIRD, booking_id=later.id, rules=RULES)  # offered to FOURTH
    freeze(at(day(1), 12, 10))  # the meal has begun, the lawyer is still ahead
    await forget_user(db, PARENT, key=b"a key")
    await forget_user(db, FOURTH, key=b"a key")
    bookings = {b.id: (b.user_id, b.status, b.children, b.ages) for b in await rows(db, Booking)}
    assert bookings[meal.id] == (None, "booked", 2, [])  # it happened: counted, not told whose
    assert bookings[lawyer.id] == (None, "cancelled", 0, [])
    assert await slot_counts(db) == {("hot-meal", 2, 0), (LAWYER, 0, 0)}
    assert [e.user_id for e in await rows(db, WaitingEntry)] == [OTHER]
    [offer] = await tend_waiting_lists(db, RULES)
    assert (offer.user_id, offer.starts_at) == (OTHER, WHEN)
    assert await tend_waiting_lists(db, RULES) == []


async def test_more_places_in_the_reference_data_go_to_the_waiting_list(db, tmp_path):
    await consenting(db, PARENT, OTHER, THIRD)
    await book_lawyer(db, PARENT)
    await wait_lawyer(db, OTHER)
    await wait_lawyer(db, THIRD)
    text = DataSettings().reference_file.read_text(encoding="utf-8")
    start = text.index('centre = "osh-bazaar"\ncode = "lawyer"')
    path = tmp_path / "reference.toml"
    path.write_text(text[:start] + text[start:].replace("places = 1 ", "places = 2 ", 1))
    await reference.seed(db, path)
    offers = await tend_waiting_lists(db, RULES)
    assert [o.user_id for o in offers] == [OTHER]
