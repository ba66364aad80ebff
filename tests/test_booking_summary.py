"""The morning summary reaches the staff group at opening time, end to end through the Bot API
emulator, in the staff group's language (Russian, and Kyrgyz when KOLDO_STAFF__LANGUAGE says
so), with the day's numbers per service; the job run again sends nothing more.

"Today" is Monday 22 February 2027 in Bishkek; both centres open at 9:00. The visits are
booked in core (the booking dialog has tests of its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.i18n import format_weekday_date
from core.clock import freeze
from core.day_roster import centre_names
from core.waiting_list import join
from koldo.scheduler import build_scheduler, morning_summary_job
from storage.database import Database
from storage.models import OutboxEntry
from tests.e2e import rows, tr, trn
from tests.emulator import BotApiEmulator
from tests.harness import RunningBot, bot_running, make_settings
from tests.test_booking_staff import BISHKEK, OSH, RULES, at, group_replies, visible
from tests.test_core_day_roster import MEAL, booked
from tests.test_staff_inbox import STAFF_GROUP, outbox_reaches, staff_settings, wait_for

MONDAY = date(2027, 2, 22)
PSYCHOLOGIST = "psychologist"  # one family a time: the 10:00 is full, one family waits


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(22, 8))
    yield
    freeze(None)


@pytest.fixture(params=["ru", "ky"])
async def staff_bot(
    request: pytest.FixtureRequest, database_url: str, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(database_url, emulator, language=request.param)
    async with bot_running(settings) as running:
        yield running


def summary_entries(entries: list[OutboxEntry]) -> list[OutboxEntry]:
    return [entry for entry in entries if entry.kind == "morning_summary"]


async def test_the_summary_arrives_at_opening_with_the_days_numbers(staff_bot, emulator):
    db, language = staff_bot.db, staff_bot.settings.staff.language
    await booked(db, 13101, "ru", MEAL, at(22, 12), ages=(7, 9))
    await booked(db, 13102, "ky", MEAL, at(22, 13, 30), ages=(8,))
    await booked(db, 13103, "ru", PSYCHOLOGIST, at(22, 10), ages=(7,))
    await booked(db, 13104, "ru", MEAL, at(24, 12), ages=(10,))  # another day
    await join(
        db, user_id=13101, centre_code=OSH, service_code=PSYCHOLOGIST, starts_at=at(22, 10),
        ages=[9], rules=RULES,
    )  # fmt: skip

    freeze(at(22, 8, 59))
    await morning_summary_job(db, RULES)
    assert summary_entries(await rows(db, OutboxEntry)) == []

    freeze(at(22, 9))
    await morning_summary_job(db, RULES)
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 2)
    osh, dordoi = group_replies(emulator)
    names = await centre_names(db)
    when = format_weekday_date(MONDAY, language)

    def head(code: str) -> str:
        return tr(language, "☀️ <b>{centre}</b> today, {date}:", centre=names[code][language],
                  date=when)  # fmt: skip

    def counted(visits: int, children: int) -> dict[str, str]:
        return {
            "visits": trn(language, "{n} visit", "{n} visits", visits),
            "children": trn(language, "{n} child", "{n} children", children),
        }

    meal = {"ru": "Горячий обед", "ky": "Ысык түшкү тамак"}[language]
    expected = [
        head(OSH),
        tr(language, "• {service}: {visits}, {children}; first at {first}, last at {last}",
           service=meal, first="12:00", last="13:30", **counted(2, 3)),
        tr(language, "• {service}: {visits}, {children}; at {first}", service="Психолог",
           first="10:00", **counted(1, 1))
        + " · " + trn(language, "⏳ {n} on the waiting list", "⏳ {n} on the waiting list", 1),
    ]  # fmt: skip
    assert osh.text == visible("\n".join(expected))
    assert dordoi.text == visible(
        head("dordoi-bazaar") + "\n" + tr(language, "No visits booked for today.")
    )
    assert osh.message_thread_id is None  # in the group's general chat, not a request's topic

    await outbox_reaches(db, lambda e: [x.state for x in summary_entries(e)] == ["sent"] * 2)
    # The job runs every minute: the rest of the day it finds the summaries written.
    freeze(at(22, 9, 1))
    await morning_summary_job(db, RULES)
    assert len(summary_entries(await rows(db, OutboxEntry))) == 2
    assert len(group_replies(emulator)) == 2


def test_the_worker_looks_for_due_summaries_at_each_minute(database_url, emulator):
    settings = make_settings(database_url, emulator.base_url, booking={"morning_summary": True})
    assert (
        build_scheduler(
            staff_settings(database_url, emulator), Database.from_url(database_url)
        ).get_job("morning_summaries")
        is None
    )  # tests leave it out unless asked
    job = build_scheduler(settings, Database.from_url(database_url)).get_job("morning_summaries")
    assert job is not None and isinstance(job.trigger, CronTrigger)
    nine = at(22, 9).astimezone(BISHKEK)
    assert job.trigger.get_next_fire_time(None, nine - timedelta(seconds=30)) == nine
