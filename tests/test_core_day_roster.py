"""Running a day at the centres in core, on SQLite and PostgreSQL: the roster, marking who came,
closing a day, and who may do it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.bookings import BookingStatus, DayState, book, bookable_days
from core.centres import CENTRE_ZONE, BookingRules
from core.clock import freeze
from core.consent import answer_notice
from core.day_roster import close_day, closure_notice, mark_attendance, roster
from core.errors import AccessDenied, BookingRefused, InvalidInput, NotFound
from core.reference import seed
from core.staff import add_staff
from core.users import choose_language
from storage.models import AuditEntry, Booking, BookingSlot, OutboxEntry
from tests.e2e import rows
from tests.harness import REFERENCE_FILE

RULES = BookingRules()
OSH, DORDOI = "osh-bazaar", "dordoi-bazaar"
MEAL, DOCTOR = "hot-meal", "doctor"
STAFF, STRANGER = 600, 601
RU_PARENT, KY_PARENT = 8101, 8102
TUESDAY = date(2027, 1, 5)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTRE_ZONE).astimezone(UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(TUESDAY, 8))
    yield
    freeze(None)


async def booked(db, user_id: int, language: str, service: str, when: datetime, ages=(7,)):
    await choose_language(db, user_id, language)
    await answer_notice(db, user_id, granted=True)
    return await book(
        db, user_id=user_id, centre_code=OSH, service_code=service, starts_at=when,
        ages=list(ages), rules=RULES,
    )  # fmt: skip


async def test_roster_lists_the_days_visits_in_order_without_cancelled_ones(db):
    await add_staff(db, STAFF, "Нурлан")
    meal = await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12, 30), ages=(7, 9))
    doctor = await booked(db, KY_PARENT, "ky", DOCTOR, at(TUESDAY, 10))
    await booked(db, 8103, "ru", MEAL, at(TUESDAY + timedelta(days=1), 12))  # another day

    [osh] = await roster(db, staff_id=STAFF, rules=RULES, centre_code=OSH)
    assert osh.code == OSH and osh.name["ru"] == "Дневной центр у Ошского базара"
    assert [line.booking.reference for line in osh.lines] == [doctor.reference, meal.reference]
    first = osh.lines[0]
    assert (first.user_id, first.service_name["ky"]) == (KY_PARENT, "Дарыгердин кабыл алуусу")
    assert osh.lines[1].booking.ages == (7, 9)

    both = await roster(db, staff_id=STAFF, rules=RULES)
    assert [r.code for r in both] == [OSH, DORDOI] and both[1].lines == []
    tomorrow = await roster(db, staff_id=STAFF, rules=RULES, day=TUESDAY + timedelta(days=1))
    assert len(tomorrow[0].lines) == 1
    with pytest.raises(NotFound):
        await roster(db, staff_id=STAFF, rules=RULES, centre_code="nowhere")


async def test_only_staff_read_the_roster_or_mark_and_the_attempt_is_audited(db):
    meal = await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12))
    with pytest.raises(AccessDenied):
        await roster(db, staff_id=STRANGER, rules=RULES)
    with pytest.raises(AccessDenied):
        await mark_attendance(db, staff_id=STRANGER, booking_id=meal.id, came=True, rules=RULES)
    with pytest.raises(AccessDenied):
        await close_day(
            db, staff_id=STRANGER, centre_code=OSH, day=TUESDAY, reason="x", language="ru",
            rules=RULES,
        )  # fmt: skip
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "command.today"), (STRANGER, "booking.attendance"), (STRANGER, "command.close"),
    ]  # fmt: skip
    [booking] = await rows(db, Booking)
    assert booking.status == BookingStatus.BOOKED


async def test_marking_came_or_not_is_stored_corrected_and_audited(db):
    await add_staff(db, STAFF, "Нурлан")
    meal = await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12))
    later = await booked(db, KY_PARENT, "ky", MEAL, at(TUESDAY + timedelta(days=1), 12))

    marked = await mark_attendance(db, staff_id=STAFF, booking_id=meal.id, came=False, rules=RULES)
    assert marked.status == BookingStatus.NO_SHOW
    await mark_attendance(db, staff_id=STAFF, booking_id=meal.id, came=True, rules=RULES)
    await mark_attendance(db, staff_id=STAFF, booking_id=meal.id, came=True, rules=RULES)
    [stored] = await rows(db, Booking, Booking.id == meal.id)
    assert stored.status == "attended"
    marks = await rows(db, AuditEntry, AuditEntry.action.in_(("booking.attended",
                                                             "booking.no_show")))  # fmt: skip
    assert [(m.action, m.actor_id, m.object_id) for m in marks] == [
        ("booking.no_show", STAFF, str(meal.id)), ("booking.attended", STAFF, str(meal.id)),
    ]  # fmt: skip

    with pytest.raises(BookingRefused) as refused:  # tomorrow's visit has not happened yet
        await mark_attendance(db, staff_id=STAFF, booking_id=later.id, came=True, rules=RULES)
    assert refused.value.code == "not_yet"
    with pytest.raises(NotFound):
        await mark_attendance(db, staff_id=STAFF, booking_id=9999, came=True, rules=RULES)


async def test_closing_a_day_cancels_its_bookings_and_tells_each_parent(db):
    await add_staff(db, STAFF, "Нурлан")
    wednesday = TUESDAY + timedelta(days=1)
    ru = await booked(db, RU_PARENT, "ru", MEAL, at(wednesday, 12), ages=(7, 9))
    ky = await booked(db, KY_PARENT, "ky", MEAL, at(wednesday, 13))
    kept = await booked(db, 8103, "ru", MEAL, at(TUESDAY, 12))  # another day

    closed = await close_day(
        db, staff_id=STAFF, centre_code=OSH, day=wednesday, reason="  Ремонт   труб ",
        language="ru", rules=RULES,
    )  # fmt: skip
    assert [b.reference for b in closed.cancelled] == [ru.reference, ky.reference]
    statuses = {b.id: b.status for b in await rows(db, Booking)}
    assert statuses == {ru.id: "cancelled", ky.id: "cancelled", kept.id: "booked"}
    slots = {s.starts_at.replace(tzinfo=UTC): s.taken for s in await rows(db, BookingSlot)}
    assert slots[at(wednesday, 12)] == 0 and slots[at(wednesday, 13)] == 0
    notices = await rows(db, OutboxEntry, OutboxEntry.kind == "day_closed")
    assert sorted((n.chat_id, n.booking_id) for n in notices) == [
        (RU_PARENT, ru.id), (KY_PARENT, ky.id),
    ]  # fmt: skip
    days = await bookable_days(db, centre_code=OSH, service_code=MEAL, rules=RULES)
    shut = {d.day: d for d in days}[wednesday]
    assert shut.state == DayState.CLOSED and shut.reason == {"ru": "Ремонт труб"}
    notice = await closure_notice(db, ky.id, RULES.zone)
    assert notice is not None
    assert (notice.user_id, notice.language, notice.reason) == (KY_PARENT, "ky",
                                                                {"ru": "Ремонт труб"})  # fmt: skip
    audit = await rows(db, AuditEntry, AuditEntry.action.in_(("centre.closed",
                                                              "booking.cancelled")))  # fmt: skip
    assert [a.action for a in audit] == ["centre.closed", "booking.cancelled", "booking.cancelled"]
    assert all(a.actor_id == STAFF for a in audit)

    again = await close_day(
        db, staff_id=STAFF, centre_code=OSH, day=wednesday, reason="Ремонт", language="ru",
        rules=RULES,
    )  # fmt: skip
    assert again.cancelled == []
    assert len(await rows(db, OutboxEntry, OutboxEntry.kind == "day_closed")) == 2


async def test_a_day_closed_by_staff_stays_closed_when_the_reference_file_is_loaded_again(db):
    await add_staff(db, STAFF, "Нурлан")
    wednesday = TUESDAY + timedelta(days=1)
    await close_day(
        db, staff_id=STAFF, centre_code=OSH, day=wednesday, reason="Ремонт", language="ru",
        rules=RULES,
    )  # fmt: skip
    report = await seed(db, REFERENCE_FILE)
    assert report.deactivated["closures"] == 0
    days = {d.day: d for d in await bookable_days(db, centre_code=OSH, service_code=MEAL,
                                                  rules=RULES)}  # fmt: skip
    assert days[wednesday].state == DayState.CLOSED


@pytest.mark.parametrize(
    ("centre", "day", "reason", "error", "code"),
    [
        ("nowhere", TUESDAY, "Ремонт", NotFound, "centre"),
        (OSH, TUESDAY - timedelta(days=1), "Ремонт", BookingRefused, "in_the_past"),
        (OSH, TUESDAY, "   ", InvalidInput, "closing_reason"),
        (OSH, TUESDAY, "x" * 301, InvalidInput, "too_long"),
    ],
)
async def test_a_bad_closure_changes_nothing(db, centre, day, reason, error, code):
    await add_staff(db, STAFF, "Нурлан")
    await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12))
    with pytest.raises(error) as refused:
        await close_day(
            db, staff_id=STAFF, centre_code=centre, day=day, reason=reason, language="ru",
            rules=RULES,
        )  # fmt: skip
    assert refused.value.code == code
    [booking] = await rows(db, Booking)
    assert booking.status == "booked"
    assert await rows(db, OutboxEntry, OutboxEntry.kind == "day_closed") == []
