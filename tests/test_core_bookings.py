"""Day centre bookings in core, against a real database (SQLite and PostgreSQL): the days and
times offered, every rule of booking, cancelling and moving, and bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from core import reference
from core.bookings import (
    BookingStatus,
    DayState,
    Overbooked,
    book,
    bookable_days,
    cancel,
    day_times,
    get_my_booking,
    move,
    my_bookings,
    overflowing,
    parse_age,
    services_of,
)
from core.centres import CENTRE_ZONE, BookingRules, DayClosed
from core.clock import as_utc, freeze, utcnow
from core.consent import answer_notice
from core.erasure import purge_expired
from core.errors import AccessDenied, BookingRefused, ConsentRequired, InvalidInput, NotFound
from core.users import choose_language
from koldo.settings import DataSettings
from storage.models import AuditEntry, Booking, BookingSlot, OutboxEntry
from tests.e2e import rows

RULES = BookingRules()
OSH = "osh-bazaar"
MEAL = "hot-meal"  # Mon–Fri 12:00–14:00, 30-minute slots, 20 children aged 6–16
LAWYER = "lawyer"  # Tue and Thu 14:00–17:00, 30-minute slots, 1 family
DOCTOR = "doctor"  # Tue and Thu 10:00–13:00, 20-minute slots, 2 children
PARENT, OTHER, THIRD = 8001, 8002, 8003
MONDAY = date(2027, 1, 4)  # the frozen "today"; Thursday 7 January is Orthodox Christmas


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Bishkek) moment, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTRE_ZONE).astimezone(UTC)


def day(offset: int) -> date:
    return MONDAY + timedelta(days=offset)


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(MONDAY, 8))
    yield
    freeze(None)


async def consenting(db, *user_ids: int) -> None:
    for user_id in user_ids:
        await choose_language(db, user_id, "ru")
        await answer_notice(db, user_id, granted=True)


async def book_meal(db, user_id: int = PARENT, when: datetime | None = None, **kw):
    kw.setdefault("ages", [7])
    return await book(
        db, user_id=user_id, centre_code=OSH, service_code=MEAL,
        starts_at=when or at(day(1), 12), rules=kw.pop("rules", RULES), **kw,
    )  # fmt: skip


async def test_days_of_the_window_flag_closed_full_and_over_days(db):
    await consenting(db, PARENT)
    days = await bookable_days(db, centre_code=OSH, service_code=MEAL, rules=RULES)
    assert [d.day for d in days] == [day(n) for n in range(15)]  # today and 14 days ahead
    by_day = {d.day: d for d in days}
    assert (by_day[day(0)].state, by_day[day(0)].places_left) == (DayState.OPEN, 80)
    christmas = by_day[date(2027, 1, 7)]
    assert (christmas.state, christmas.closed) == (DayState.CLOSED, DayClosed.CLOSURE)
    assert christmas.reason is not None and christmas.reason["en"] == "Orthodox Christmas"
    assert by_day[date(2027, 1, 9)].closed == DayClosed.DAY_OFF  # a Saturday
    doctor = await bookable_days(db, centre_code=OSH, service_code=DOCTOR, rules=RULES)
    assert {d.day: d.closed for d in doctor}[MONDAY] == DayClosed.NOT_RUNNING
    # After the last meal of the day, today has nothing left to book.
    freeze(at(MONDAY, 13, 45))
    days = await bookable_days(db, centre_code=OSH, service_code=MEAL, rules=RULES)
    assert days[0].state == DayState.OVER
    # A day whose every time is full is shown as full, not dropped.
    freeze(at(MONDAY, 8))
    for hour, minute in ((12, 0), (12, 30), (13, 0), (13, 30)):
        for user_id, ages in ((9000 + hour * 100 + minute, [6] * 10), (9500 + minute, [8] * 10)):
            await consenting(db, user_id)
            await book_meal(db, user_id, at(day(1), hour, minute), ages=ages)
    tuesday = (await bookable_days(db, centre_code=OSH, service_code=MEAL, rules=RULES))[1]
    assert (tuesday.state, tuesday.places_left) == (DayState.FULL, 0)


async def test_times_of_a_day_with_the_places_left(db):
    await consenting(db, PARENT)
    await book_meal(db, ages=[7, 9, 12])
    times = await day_times(db, centre_code=OSH, service_code=MEAL, day=day(1), rules=RULES)
    assert [(t.starts_at, t.places_left) for t in times] == [
        (at(day(1), 12), 17),
        (at(day(1), 12, 30), 20),
        (at(day(1), 13), 20),
        (at(day(1), 13, 30), 20),
    ]
    assert times[0].ends_at == at(day(1), 12, 30)
    freeze(at(MONDAY, 12, 40))  # today: only the times still ahead
    today = await day_times(db, centre_code=OSH, service_code=MEAL, day=MONDAY, rules=RULES)
    assert [t.starts_at for t in today] == [at(MONDAY, 13), at(MONDAY, 13, 30)]


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (day(-1), "in_the_past"),
        (day(15), "beyond_window"),
        (date(2027, 1, 7), "day_closed"),
        (date(2027, 1, 10), "day_closed"),
    ],
)
async def test_days_one_may_not_book(db, when, code):
    with pytest.raises(BookingRefused) as refused:
        await day_times(db, centre_code=OSH, service_code=MEAL, day=when, rules=RULES)
    assert refused.value.code == code


async def test_a_booking_has_a_reference_takes_places_and_is_audited(db):
    await consenting(db, PARENT)
    booking = await book_meal(db, ages=[7, 10], key="press-1")
    assert booking.reference == "B-000001"
    assert (booking.status, booking.children, booking.ages) == (BookingStatus.BOOKED, 2, (7, 10))
    assert (booking.starts_at, booking.ends_at) == (at(day(1), 12), at(day(1), 12, 30))
    [slot] = await rows(db, BookingSlot)
    assert (slot.taken, slot.held) == (2, 0)
    [entry] = await rows(db, AuditEntry, AuditEntry.action == "booking.booked")
    assert (entry.actor_id, entry.object_id) == (PARENT, str(booking.id))
    assert entry.details["places"] == 2 and "ages" not in entry.details
    assert await get_my_booking(db, user_id=PARENT, booking_id=booking.id) == booking


async def test_the_same_confirm_press_twice_books_once(db):
    await consenting(db, PARENT)
    first = await book_meal(db, key="press-1")
    again = await book_meal(db, key="press-1")
    assert again == first
    both = await asyncio.gather(book_meal(db, key="press-2", when=at(day(2), 12)),
                                book_meal(db, key="press-2", when=at(day(2), 12)))  # fmt: skip
    assert both[0] == both[1]
    assert len(await rows(db, Booking)) == 2
    assert sum(slot.taken for slot in await rows(db, BookingSlot)) == 2


async def test_booking_needs_consent(db):
    await choose_language(db, PARENT, "ru")
    with pytest.raises(ConsentRequired):
        await book_meal(db)
    assert await rows(db, Booking) == []


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (at(MONDAY, 7), "in_the_past"),
        (at(day(15), 12), "beyond_window"),
        (at(date(2027, 1, 7), 12), "day_closed"),  # a holiday
        (at(date(2027, 1, 9), 12), "day_closed"),  # a Saturday
    ],
)
async def test_times_one_may_not_book(db, when, code):
    await consenting(db, PARENT)
    with pytest.raises(BookingRefused) as refused:
        await book_meal(db, when=when)
    assert refused.value.code == code
    assert await rows(db, Booking) == []


async def test_a_closed_day_says_why(db):
    await consenting(db, PARENT)
    with pytest.raises(BookingRefused) as refused:
        await book_meal(db, when=at(date(2027, 1, 7), 12))
    assert refused.value.params["why"] == "closure"
    assert refused.value.params["reason"]["ru"] == "Рождество Христово"
    with pytest.raises(BookingRefused) as refused:
        await book(db, user_id=PARENT, centre_code=OSH, service_code=DOCTOR,
                   starts_at=at(MONDAY, 10), ages=[5], rules=RULES)  # fmt: skip
    assert (refused.value.code, refused.value.params["why"]) == ("day_closed", "not_running")


@pytest.mark.parametrize(
    ("service", "ages", "when", "code"),
    [
        (MEAL, [7], at(day(1), 12, 10), "not_a_slot"),  # between two slots
        (MEAL, [7], at(day(1), 14), "not_a_slot"),  # after the last one
        (MEAL, [], at(day(1), 12), "children"),  # children count: at least one
        (MEAL, [5], at(day(1), 12), "age"),  # too young for the meal
        (MEAL, [17], at(day(1), 12), "age"),
        (MEAL, [7] * 11, at(day(1), 12), "children"),
        (DOCTOR, [4, 5, 6], at(day(1), 10), "children"),  # 2 places a slot
        ("no-such-service", [7], at(day(1), 12), "not_found"),
    ],
)
async def test_bad_input_is_refused_with_a_code(db, service, ages, when, code):
    await consenting(db, PARENT)
    with pytest.raises((InvalidInput, NotFound)) as refused:
        await book(db, user_id=PARENT, centre_code=OSH, service_code=service, starts_at=when,
                   ages=ages, rules=RULES)  # fmt: skip
    assert refused.value.code == code if code != "not_found" else refused.value.code == "service"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("5", "age_out_of_range"),
        ("17", "age_out_of_range"),
        ("seven", "not_a_number"),
        ("", "empty"),
    ],
)
async def test_an_age_typed_for_a_visit_is_checked_against_the_service(db, text, code):
    meal = next(s for s in await services_of(db, OSH) if s.code == MEAL)
    assert parse_age(meal, " 16 ") == 16
    with pytest.raises(InvalidInput) as refused:
        parse_age(meal, text)
    assert refused.value.code == code
    if code == "age_out_of_range":
        assert refused.value.params == {"low": 6, "high": 16}


async def test_a_service_for_families_takes_one_place_whatever_the_children(db):
    await consenting(db, PARENT, OTHER)
    alone = await book(db, user_id=PARENT, centre_code=OSH, service_code=LAWYER,
                       starts_at=at(day(1), 14), ages=[], rules=RULES)  # fmt: skip
    assert alone.children == 0
    with pytest.raises(BookingRefused) as refused:
        await book(db, user_id=OTHER, centre_code=OSH, service_code=LAWYER,
                   starts_at=at(day(1), 14), ages=[3], rules=RULES)  # fmt: skip
    assert refused.value.code == "slot_full"
    assert refused.value.params["next_free"] == at(day(1), 14, 30)


async def test_a_family_larger_than_the_places_left_is_told_how_many_are_left(db):
    families = (OTHER, THIRD, THIRD + 1)
    await consenting(db, PARENT, *families)
    for family in families:  # 18 of the meal's 20 places
        await book_meal(db, family, ages=[7] * 6)
    with pytest.raises(BookingRefused) as refused:
        await book_meal(db, PARENT, ages=[6, 7, 8])
    assert refused.value.code == "too_few_places"
    assert (refused.value.params["left"], refused.value.params["next_free"]) == (
        2, at(day(1), 12, 30),
    )  # fmt: skip
    assert (await book_meal(db, PARENT, ages=[6, 7])).children == 2  # exactly what is left


async def test_at_most_the_configured_number_of_upcoming_bookings(db):
    await consenting(db, PARENT)
    for offset in (1, 2, 4):
        await book_meal(db, when=at(day(offset), 12))
    with pytest.raises(BookingRefused) as refused:
        await book_meal(db, when=at(day(7), 12))
    assert (refused.value.code, refused.value.params) == ("too_many_bookings", {"most": 3})
    # A past visit no longer counts.
    freeze(at(day(1), 13))
    await book_meal(db, when=at(day(7), 12))
    one = BookingRules(max_upcoming=1)
    await consenting(db, OTHER)
    await book_meal(db, OTHER, at(day(2), 12, 30), rules=one)
    with pytest.raises(BookingRefused, match="too_many_bookings"):
        await book_meal(db, OTHER, at(day(4), 12, 30), rules=one)


async def test_no_two_bookings_at_overlapping_times(db):
    await consenting(db, PARENT)
    meal = await book_meal(db, when=at(day(1), 12))  # 12:00–12:30
    with pytest.raises(BookingRefused) as refused:  # the doctor at 12:20–12:40
        await book(db, user_id=PARENT, centre_code=OSH, service_code=DOCTOR,
                   starts_at=at(day(1), 12, 20), ages=[7], rules=RULES)  # fmt: skip
    assert (refused.value.code, refused.value.params) == (
        "overlapping",
        {"reference": meal.reference},
    )
    with pytest.raises(BookingRefused, match="overlapping"):
        await book_meal(db, when=at(day(1), 12))  # the same time again, other children
    # Back to back is fine.
    await book(db, user_id=PARENT, centre_code=OSH, service_code=DOCTOR,
               starts_at=at(day(1), 12, 40), ages=[7], rules=RULES)  # fmt: skip


async def test_cancel_gives_the_places_back_once(db):
    await consenting(db, PARENT)
    booking = await book_meal(db, ages=[7, 8])
    cancelled = await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    assert cancelled.booking.status == BookingStatus.CANCELLED and cancelled.offers == []
    again = await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    assert again.booking.status == BookingStatus.CANCELLED
    [slot] = await rows(db, BookingSlot)
    assert slot.taken == 0
    actions = [e.action for e in await rows(db, AuditEntry, AuditEntry.object_type == "booking")]
    assert actions == ["booking.booked", "booking.cancelled"]


async def test_another_familys_booking_is_not_yours_and_the_attempt_is_kept(db):
    await consenting(db, PARENT, OTHER)
    booking = await book_meal(db)
    for attempt in (
        cancel(db, user_id=OTHER, booking_id=booking.id, rules=RULES),
        move(db, user_id=OTHER, booking_id=booking.id, starts_at=at(day(2), 12), rules=RULES),
        get_my_booking(db, user_id=OTHER, booking_id=booking.id),
    ):
        with pytest.raises(AccessDenied) as refused:
            await attempt
        assert refused.value.code == "not_yours"
    with pytest.raises(NotFound):
        await cancel(db, user_id=OTHER, booking_id=999, rules=RULES)
    refusals = await rows(db, AuditEntry, AuditEntry.action == "booking.access_denied")
    assert [(e.actor_id, e.object_id) for e in refusals] == [
        (OTHER, str(booking.id)),
        (OTHER, str(booking.id)),
        (OTHER, str(booking.id)),
        (OTHER, "999"),
    ]
    assert (await get_my_booking(db, user_id=PARENT, booking_id=booking.id)).status == "booked"


async def test_a_visit_that_began_can_be_neither_cancelled_nor_moved(db):
    await consenting(db, PARENT)
    booking = await book_meal(db)
    freeze(at(day(1), 12, 5))
    with pytest.raises(BookingRefused, match="in_the_past"):
        await cancel(db, user_id=PARENT, booking_id=booking.id, rules=RULES)
    with pytest.raises(BookingRefused, match="in_the_past"):
        await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(2), 12),
                   rules=RULES)  # fmt: skip


async def test_move_takes_the_new_time_and_frees_the_old(db):
    await consenting(db, PARENT)
    booking = await book_meal(db, ages=[7, 9])
    moved = await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(2), 13),
                       rules=RULES)  # fmt: skip
    assert (moved.booking.id, moved.booking.starts_at) == (booking.id, at(day(2), 13))
    assert moved.booking.ends_at == at(day(2), 13, 30)
    slots = {as_key(s.starts_at): s.taken for s in await rows(db, BookingSlot)}
    assert slots == {at(day(1), 12): 0, at(day(2), 13): 2}
    again = await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(2), 13),
                       rules=RULES)  # fmt: skip
    assert again.booking == moved.booking
    [entry] = await rows(db, AuditEntry, AuditEntry.action == "booking.moved")
    assert entry.details["moved_from"] == at(day(1), 12).isoformat()


def as_key(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def test_a_move_to_a_full_time_keeps_the_booking_where_it_was(db):
    await consenting(db, PARENT, OTHER)
    mine = await book(db, user_id=PARENT, centre_code=OSH, service_code=LAWYER,
                      starts_at=at(day(1), 14), ages=[], rules=RULES)  # fmt: skip
    await book(db, user_id=OTHER, centre_code=OSH, service_code=LAWYER,
               starts_at=at(day(1), 15), ages=[], rules=RULES)  # fmt: skip
    with pytest.raises(BookingRefused) as refused:
        await move(db, user_id=PARENT, booking_id=mine.id, starts_at=at(day(1), 15),
                   rules=RULES)  # fmt: skip
    assert refused.value.code == "slot_full"
    assert (await get_my_booking(db, user_id=PARENT, booking_id=mine.id)) == mine
    slots = {as_key(s.starts_at): s.taken for s in await rows(db, BookingSlot)}
    assert slots == {at(day(1), 14): 1, at(day(1), 15): 1}


async def test_a_move_must_follow_the_same_rules_as_a_booking(db):
    await consenting(db, PARENT)
    booking = await book_meal(db)
    for when, code in (
        (at(date(2027, 1, 7), 12), "day_closed"),
        (at(day(15), 12), "beyond_window"),
        (at(MONDAY, 7), "in_the_past"),
    ):
        with pytest.raises(BookingRefused) as refused:
            await move(db, user_id=PARENT, booking_id=booking.id, starts_at=when, rules=RULES)
        assert refused.value.code == code
    with pytest.raises(InvalidInput, match="not_a_slot"):
        await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(2), 12, 15),
                   rules=RULES)  # fmt: skip


async def test_cancel_and_move_drop_the_reminders_the_booking_owns(db):
    await consenting(db, PARENT)
    booking = await book_meal(db)
    other = await book_meal(db, when=at(day(2), 12))

    def owned(entries):
        return [(e.booking_id, e.state, e.payload["which"]) for e in entries]

    assert owned(await rows(db, OutboxEntry)) == [
        (booking.id, "pending", "evening"),
        (booking.id, "pending", "soon"),
        (other.id, "pending", "evening"),
        (other.id, "pending", "soon"),
    ]
    await move(db, user_id=PARENT, booking_id=booking.id, starts_at=at(day(1), 13), rules=RULES)
    entries = await rows(db, OutboxEntry)
    assert owned(entries) == [
        (booking.id, "dropped", "evening"),
        (booking.id, "dropped", "soon"),
        (other.id, "pending", "evening"),
        (other.id, "pending", "soon"),
        (booking.id, "pending", "evening"),  # the moved visit's own
        (booking.id, "pending", "soon"),
    ]
    assert entries[0].error == "booking_changed"
    assert clock_of(entries[-1]) == at(day(1), 11)
    await cancel(db, user_id=PARENT, booking_id=other.id, rules=RULES)
    assert [e.state for e in await rows(db, OutboxEntry)] == ["dropped"] * 4 + ["pending"] * 2


def clock_of(entry: OutboxEntry):
    return as_utc(entry.not_before)


async def test_my_bookings_upcoming_and_past(db):
    await consenting(db, PARENT)
    first = await book_meal(db, when=at(day(1), 12))
    second = await book_meal(db, when=at(day(4), 12))
    gone = await book_meal(db, when=at(day(2), 12))
    await cancel(db, user_id=PARENT, booking_id=gone.id, rules=RULES)
    mine = await my_bookings(db, PARENT)
    assert [b.id for b in mine.upcoming] == [first.id, second.id] and mine.past == []
    freeze(at(day(2), 9))
    mine = await my_bookings(db, PARENT)
    assert [b.id for b in mine.upcoming] == [second.id]
    assert [b.id for b in mine.past] == [first.id]
    assert (await my_bookings(db, OTHER)).upcoming == []


async def test_retention_forgets_the_ages_of_old_visits_and_keeps_the_counts(db):
    await consenting(db, PARENT, OTHER)
    old = await book_meal(db, PARENT, ages=[7, 9])
    recent = await book_meal(db, OTHER, at(day(2), 12), ages=[8])
    freeze(at(day(1), 12) + timedelta(days=366))  # the first visit is over a year ago
    async with db.transaction() as repos:  # the second, only 300 days ago
        await repos.session.execute(
            update(Booking).where(Booking.id == recent.id)
            .values(starts_at=utcnow() - timedelta(days=300))
        )  # fmt: skip
    await purge_expired(db, retention_days=365, key=b"k" * 32)
    await purge_expired(db, retention_days=365, key=b"k" * 32)  # nothing more the second time
    kept = {b.id: (b.ages, b.children, b.places, b.status) for b in await rows(db, Booking)}
    assert kept == {old.id: ([], 2, 2, "booked"), recent.id: ([8], 1, 1, "booked")}
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "retention.booking_ages")
    assert audit.details == {"count": 1, "retention_days": 365}


def changed_reference(tmp_path: Path) -> Path:
    """The reference file with fewer places for Osh's meal, Osh's lawyer stopping an hour
    earlier, and Osh closed on Wednesday 6 January for repairs."""
    text = DataSettings().reference_file.read_text(encoding="utf-8")

    def in_service(code: str, old: str, new: str) -> None:
        nonlocal text
        start = text.index(f'centre = "osh-bazaar"\ncode = "{code}"')
        text = text[:start] + text[start:].replace(old, new, 1)

    in_service("hot-meal", "places = 20", "places = 4")
    in_service("lawyer", "ends = 17:00:00", "ends = 16:00:00")
    text += (
        '\n[[closures]]\ndate = 2027-01-06\ncentres = ["osh-bazaar"]\n'
        'reason = { ru = "Ремонт", ky = "Оңдоо", en = "Repairs" }\n'
    )
    path = tmp_path / "reference.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_change_of_the_data_keeps_bookings_and_reports_what_overflows(db, tmp_path: Path):
    await consenting(db, PARENT, OTHER, THIRD)
    await book_meal(db, PARENT, ages=[7, 8, 9])
    await book_meal(db, OTHER, ages=[10, 11])
    wednesday = await book_meal(db, PARENT, at(day(2), 12))
    lawyer = await book(db, user_id=THIRD, centre_code=OSH, service_code=LAWYER,
                        starts_at=at(day(1), 16, 30), ages=[], rules=RULES)  # fmt: skip
    await book_meal(db, THIRD, at(day(4), 12))
    assert await overflowing(db, RULES) == []
    report = await reference.seed(db, changed_reference(tmp_path))
    assert [(o.service_code, o.starts_at, o.why, o.booked, o.places) for o in report.overflows] == [
        (MEAL, at(day(1), 12), Overbooked.OVER_CAPACITY, 5, 4),
        (LAWYER, at(day(1), 16, 30), Overbooked.NO_SUCH_TIME, 1, 1),
        (MEAL, at(day(2), 12), DayClosed.CLOSURE, 1, 4),
    ]
    assert report.overflows[1].references == (lawyer.reference,)
    assert report.overflows[2].references == (wednesday.reference,)
    assert {b.status for b in await rows(db, Booking)} == {"booked"}
    assert len(await rows(db, Booking)) == 5
    # Fewer places now: nobody new gets in, though the bookings stay.
    with pytest.raises(BookingRefused, match="slot_full"):
        await book_meal(db, THIRD, ages=[6])
    # The staff group is told in one message, which names them by plain facts only.
    [notice] = await rows(db, OutboxEntry, OutboxEntry.kind == "data_overflow")
    assert notice.chat_id == 0 and notice.state == "pending"
    assert [(o["service"], o["why"], o["references"]) for o in notice.payload["overflows"]] == [
        (MEAL, "over_capacity", list(report.overflows[0].references)),
        (LAWYER, "no_such_time", [lawyer.reference]),
        (MEAL, "closure", [wednesday.reference]),
    ]
    # Seeding the same file again changes nothing, still reports them, and tells nobody again.
    again = await reference.seed(db, tmp_path / "reference.toml")
    assert sum(again.changed.values()) == 0 and again.overflows == report.overflows
    assert len(await rows(db, OutboxEntry, OutboxEntry.kind == "data_overflow")) == 1


def broken_reference(tmp_path: Path, old: str, new: str) -> Path:
    text = DataSettings().reference_file.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "reference.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "where", "field"),
    [
        ("opens = 09:00:00", 'opens = "9am"', "day_centres[0]", "opens (a local time"),
        ('open_days = ["mon"', 'open_days = ["monday"', "day_centres[0]", "open_days (a list"),
        ("closes = 18:00:00", "closes = 08:00:00", "day_centres[0]", "closes (must be after"),
        ("book_days_ahead = 14", "book_days_ahead = 0", "day_centres[0]", "book_days_ahead ("),
        ('centre = "osh-bazaar"', 'centre = "osh"', "services[0]", "centre (not the code"),
        (
            'days = ["tue", "thu"]',
            'days = ["tue", "sat"]',
            "services[1]",
            "days (the centre is not open on sat)",
        ),
        ("starts = 12:00:00", "starts = 08:00:00", "services[0]", "starts/ends (outside"),
        ("slot_minutes = 90", "slot_minutes = 200", "services[4]", "ends (not even one slot"),
        ("places = 20", "places = 0", "services[0]", "places (a whole number"),
        ('counted_in = "children"', 'counted_in = "kids"', "services[0]", "counted_in ("),
        ("ages = [6, 16]", "ages = [16, 6]", "services[0]", "ages ("),
        ("adult_required = false", 'adult_required = "no"', "services[0]", "adult_required ("),
        ('code = "doctor"', 'code = "hot-meal"', "services[1]", "code (twice"),
        ("date = 2027-01-01", 'date = "1 Jan"', "closures[0]", "date (a date"),
        ("date = 2027-01-07", "date = 2027-01-01", "closures[1]", "date (closed twice"),
        ("confirmed = false\nreason", 'confirmed = "no"\nreason', "closures[4]", "confirmed ("),
    ],
)
def test_a_broken_booking_reference_says_where_and_what(tmp_path, old, new, where, field):
    with pytest.raises(InvalidInput) as error:
        reference.load_reference_file(broken_reference(tmp_path, old, new))
    assert error.value.params["where"] == where
    assert error.value.params["field"].startswith(field)


def test_a_closure_names_only_known_centres(tmp_path):
    path = broken_reference(
        tmp_path, "date = 2027-01-01\n", 'date = 2027-01-01\ncentres = ["nowhere"]\n'
    )
    with pytest.raises(InvalidInput) as error:
        reference.load_reference_file(path)
    assert error.value.params == {
        "where": "closures[0]",
        "field": "centres (codes of the day centres above)",
    }


async def test_the_seeded_services_and_holidays(db):
    services = await services_of(db, OSH)
    assert [s.code for s in services] == [MEAL, DOCTOR, "psychologist", LAWYER, "catch-up-classes"]
    assert all(set(s.name) == set(s.description) == {"ru", "ky", "en"} for s in services)
    lawyer = services[3]
    assert (lawyer.counted_in, lawyer.places, lawyer.adult_required) == ("families", 1, True)
    assert (lawyer.age_min, lawyer.age_max, lawyer.slot_minutes) == (0, 17, 30)
    async with db.transaction() as repos:
        closures = await repos.reference.closures("dordoi-bazaar")
    days = {c.day: c.confirmed for c in closures}
    assert len(days) == 14 and days[date(2027, 3, 21)] and not days[date(2027, 5, 16)]
