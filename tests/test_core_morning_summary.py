"""The morning summary in core, on SQLite and PostgreSQL: when the job writes a centre's summary
(at opening, once a day, not on a closed day, late but never after closing), and what it counts.

Both centres open 09:00–18:00 Monday to Friday. Tuesday 5 January 2027 is an ordinary day,
Thursday 7 is Orthodox Christmas (a closure), Saturday 9 a day off.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from core.bookings import cancel
from core.clock import as_utc, freeze
from core.day_roster import close_day
from core.morning_summary import ServiceDay, post_due_summaries, summary_of
from core.outbox import STAFF_CHAT, claim_head
from core.staff import add_staff
from core.waiting_list import join
from storage.models import OutboxEntry
from tests.e2e import rows
from tests.test_core_day_roster import (
    DOCTOR,
    DORDOI,
    KY_PARENT,
    MEAL,
    OSH,
    RU_PARENT,
    RULES,
    STAFF,
    TUESDAY,
    at,
    booked,
)

WEDNESDAY, THURSDAY, SATURDAY = (TUESDAY + timedelta(days=n) for n in (1, 2, 4))
MONDAY = TUESDAY + timedelta(days=6)


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(TUESDAY, 8))
    yield
    freeze(None)


async def summaries(db) -> list[tuple[str, str, str]]:
    entries = await rows(db, OutboxEntry, OutboxEntry.kind == "morning_summary")
    return [(e.payload["centre"], e.payload["day"], e.dedupe_key) for e in entries]


async def written_at(db, moment) -> list[str]:
    freeze(moment)
    return await post_due_summaries(db, RULES)


async def test_one_summary_per_open_centre_from_opening_time_and_never_twice(db):
    assert await written_at(db, at(TUESDAY, 8, 59)) == []
    assert await summaries(db) == []

    assert await written_at(db, at(TUESDAY, 9)) == [OSH, DORDOI]
    day = TUESDAY.isoformat()
    assert await summaries(db) == [
        (OSH, day, f"morning_summary:{OSH}:{day}"),
        (DORDOI, day, f"morning_summary:{DORDOI}:{day}"),
    ]
    [entry, _] = await rows(db, OutboxEntry, OutboxEntry.kind == "morning_summary")
    assert (entry.chat_id, entry.wanted_while) == (STAFF_CHAT, "before_closing")
    assert entry.payload["until"] == at(TUESDAY, 18).isoformat()

    # The job runs every minute, after a restart too: nothing more that day.
    assert await written_at(db, at(TUESDAY, 9, 1)) == []
    assert await written_at(db, at(TUESDAY, 17, 59)) == []
    assert len(await summaries(db)) == 2


async def test_closed_days_get_none_and_a_late_worker_writes_it_before_closing_only(db):
    await add_staff(db, STAFF, "Нурлан")
    await close_day(
        db, staff_id=STAFF, centre_code=DORDOI, day=WEDNESDAY, reason="Ремонт", language="ru",
        rules=RULES,
    )  # fmt: skip
    # Closed by staff for the day: only the other centre.
    assert await written_at(db, at(WEDNESDAY, 9)) == [OSH]
    # A public holiday and a day off: neither.
    assert await written_at(db, at(THURSDAY, 9)) == []
    assert await written_at(db, at(SATURDAY, 10)) == []
    # No worker ran on Monday morning: at 15:00 the summaries still go, at 18:00 no more.
    assert await written_at(db, at(MONDAY, 18)) == []
    assert await written_at(db, at(MONDAY, 15)) == [OSH, DORDOI]
    assert [(c, d) for c, d, _key in await summaries(db)] == [
        (OSH, WEDNESDAY.isoformat()), (OSH, MONDAY.isoformat()), (DORDOI, MONDAY.isoformat()),
    ]  # fmt: skip


async def test_a_summary_still_unsent_when_the_centre_closes_is_dropped(db):
    assert await written_at(db, at(TUESDAY, 9)) == [OSH, DORDOI]
    freeze(at(TUESDAY, 18))  # the staff group was unreachable all day
    assert await claim_head(db, STAFF_CHAT, now=at(TUESDAY, 18)) is None
    entries = await rows(db, OutboxEntry, OutboxEntry.kind == "morning_summary")
    assert [(e.state, e.error) for e in entries] == [("dropped", "before_closing")] * 2


async def test_two_workers_at_the_same_moment_write_it_once(db):
    freeze(at(TUESDAY, 9))
    first, second = await asyncio.gather(
        post_due_summaries(db, RULES), post_due_summaries(db, RULES)
    )
    assert sorted(first + second) == sorted([OSH, DORDOI])
    assert len(await summaries(db)) == 2


async def test_the_summary_counts_visits_children_times_and_the_waiting(db):
    meal = await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12), ages=(7, 9))
    await booked(db, 8103, "ru", MEAL, at(TUESDAY, 13, 30), ages=(8,))
    gone = await booked(db, 8104, "ru", MEAL, at(TUESDAY, 13), ages=(10, 11, 12))
    await cancel(db, user_id=8104, booking_id=gone.id, rules=RULES)
    await booked(db, KY_PARENT, "ky", DOCTOR, at(TUESDAY, 10), ages=(3, 5))  # the 2 places
    await booked(db, 8105, "ru", MEAL, at(WEDNESDAY, 12))  # another day
    await join(
        db, user_id=8104, centre_code=OSH, service_code=DOCTOR, starts_at=at(TUESDAY, 10),
        ages=[4], rules=RULES,
    )  # fmt: skip

    osh = await summary_of(db, OSH, TUESDAY, RULES.zone)
    assert osh is not None and (osh.centre_code, osh.day) == (OSH, TUESDAY)
    assert osh.centre_name["ru"] == "Дневной центр у Ошского базара"
    assert [(s.name["en"], s) for s in osh.services] == [
        ("Hot meal", ServiceDay(osh.services[0].name, 2, 3, as_utc(meal.starts_at),
                                at(TUESDAY, 13, 30), 0)),
        ("Doctor's appointment", ServiceDay(osh.services[1].name, 1, 2, at(TUESDAY, 10),
                                            at(TUESDAY, 10), 1)),
    ]  # fmt: skip
    dordoi = await summary_of(db, DORDOI, TUESDAY, RULES.zone)
    assert dordoi is not None and dordoi.services == []
    assert await summary_of(db, "nowhere", TUESDAY, RULES.zone) is None
    assert (await summary_of(db, OSH, date(2027, 1, 6), RULES.zone)).services[0].bookings == 1
