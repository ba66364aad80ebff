"""Benchmark: day-centre bookings. Many parents press Confirm at once; thousands of reminders
fall due in the same moment and go out at Telegram's pace.

    .venv/bin/python -m bench.bookings [--parents 1000] [--reminders 5000]
                                       [--database-url URL] [--seed 1]

Both parts run Koldo as its own process, exactly as `koldo run`, against the local Bot API
emulator over real HTTP, on a fresh database (a new SQLite file, or a PostgreSQL database of
the URL's name created for the part and dropped after it). Name one part to run only that one;
with neither, both run at their full size.

`--parents N`: N simulated parents go through the booking flow at once (start, language,
consent, Day centre, centre, service, a day on the calendar, a time, children and ages) to the
summary, spread over the bookable times of the coming days so that most times have room and
every fourth is wanted about twice as much (so some fill up). When every parent sees the
summary, all press Confirm at the same moment. Printed: bookings per second over that burst,
p50/p99 from pressing Confirm to the answer (the booking reference, or "this time has just been
taken"), how many were refused, and what the database holds afterwards (bookings against
confirmations seen, places taken against each time's places).

`--reminders N`: N bookings are made directly through core (many families; a fifth of the
visits are held two to a family, so two reminders go to one chat); Koldo is started, one
reminder of each booking is made due at the same moment, and the outbox sends them through an
emulator that enforces Telegram's limits (30 posts a second bot-wide, one a second per chat:
more is answered with 429). Printed: messages per second, seconds until the last reminder
arrived, the 429s answered, duplicates and missing reminders.

A measurement, not a test: it asserts nothing about the figures. They are saved to
`bench/results/bookings.json` (not committed).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.documents_flow import cpu_seconds, koldo_environment, percentile_ms, rss_mb, wait_polling
from bench.faults import shared_postgres_database
from core.bookings import DayState, book, bookable_days, day_times
from core.centres import BookingRules
from core.clock import as_utc, utcnow
from core.consent import answer_notice
from core.outbox import Kind
from core.users import choose_language
from storage.database import Database
from storage.models import Booking, BookingSlot, OutboxEntry
from tests.e2e import rows
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.emulator.views import ApiCall

RESULTS = Path(__file__).with_name("results")
REFERENCE = re.compile(r"B-\d{6}")
TAKEN = "just been taken"
CONFIRM = "✅ Confirm"
NO_QUIET_HOURS = {"KOLDO_OUTBOX__QUIET_HOURS": "00:00-00:00"}
FIRST_USER = 100_000
WAIT = 600.0  # seconds a simulated person waits for a screen before the run is given up
POPULAR_EVERY = 4  # every fourth time is wanted POPULAR_WEIGHT times as much as the others
POPULAR_WEIGHT = 2.0
CAPACITY_MARGIN = 1.15  # the times used have this many places per child expected
REMINDER_PLACES_FACTOR = 10  # the reminders part books far more visits than CPC has places


@dataclass(frozen=True)
class Offering:
    """A service as a parent finds it: the buttons to press (English) and its codes."""

    centre_code: str
    service_code: str
    centre_button: str
    service_button: str


OFFERINGS = (
    Offering("osh-bazaar", "hot-meal", "🏠 Day centre at Osh market", "Hot meal"),
    Offering("dordoi-bazaar", "hot-meal", "🏠 Day centre at Dordoi market", "Hot meal"),
    Offering("osh-bazaar", "catch-up-classes", "🏠 Day centre at Osh market", "Catch-up classes"),
    Offering(
        "dordoi-bazaar", "catch-up-classes", "🏠 Day centre at Dordoi market", "Catch-up classes"
    ),
)


@dataclass(frozen=True)
class Slot:
    offering: Offering
    day: date
    clock: str  # local "12:00", as the time's button starts
    starts_at: datetime
    places: int


@dataclass
class BurstFigures:
    database: str
    parents: int
    times_used: int
    places_offered: int
    children_asked: int
    to_summary_seconds: float
    burst_seconds: float
    bookings_per_second: float
    confirm_p50_ms: float
    confirm_p99_ms: float
    koldo_cpu_ms_per_confirm: float
    bench_cpu_ms_per_confirm: float
    booked: int
    refused_filled_up: int
    other_answers: int
    bookings_in_database: int
    bookings_match_confirmations: bool
    times_over_places: int
    counters_off: int
    full_times: int
    errors_logged: int
    peak_rss_mb: float


@dataclass
class ReminderFigures:
    database: str
    reminders: int
    families: int
    families_with_two: int
    setup_seconds: float
    first_after_due_s: float
    last_after_due_s: float
    messages_per_second: float
    most_accepted_in_1s: int
    most_tried_in_1s: int
    closest_in_one_chat_s: float
    answered_429: int
    answered_429_by_limit: dict[str, int]
    first_tries_429: int
    client_retries_logged: int
    outbox_retries_logged: int
    errors_logged: int
    duplicates: int
    missing: int
    sent_in_database: int
    koldo_cpu_ms_per_reminder: float
    peak_rss_mb: float
    calls: dict[str, int] = field(default_factory=dict)


# --- common --------------------------------------------------------------------------------------


@asynccontextmanager
async def fresh_environment(
    database_url: str | None, settings: dict[str, str]
) -> AsyncIterator[dict[str, str]]:
    """Koldo's environment on a fresh, seeded database: a PostgreSQL one is created for the
    part and dropped after it."""
    if database_url is None:
        async with koldo_environment(None, settings) as env:
            yield env
        return
    async with (
        shared_postgres_database(database_url) as url,
        koldo_environment(url, settings) as env,
    ):
        yield env


@asynccontextmanager
async def running_koldo(
    emulator: BotApiEmulator, env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Koldo exactly as `koldo run`, polling the emulator; its warnings go to `log`."""
    koldo = Path(sys.executable).with_name("koldo")
    with log.open("w") as output:
        process = await asyncio.create_subprocess_exec(
            str(koldo), "--log-level", "WARNING", "run",
            env={**env, "KOLDO_TELEGRAM__API_BASE_URL": emulator.base_url},
            stdout=subprocess.DEVNULL, stderr=output,
        )  # fmt: skip
        try:
            await wait_polling(emulator, process)
            yield process
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


def database_name(env: dict[str, str]) -> str:
    return env["KOLDO_DATABASE__URL"].split(":", 1)[0]


# --- part 1: many parents press Confirm at once --------------------------------------------------


async def plan_slots(db: Database, parents: int) -> list[Slot]:
    """The times parents will book: every time of the offerings from tomorrow on, soonest
    first, as many as give CAPACITY_MARGIN places per child expected (1.5 per parent)."""
    rules = BookingRules()
    today = utcnow().astimezone(rules.zone).date()
    slots = []
    for offering in OFFERINGS:
        codes = {"centre_code": offering.centre_code, "service_code": offering.service_code}
        for day in await bookable_days(db, **codes, rules=rules):
            if day.state != DayState.OPEN or day.day <= today:
                continue
            for time_ in await day_times(db, **codes, day=day.day, rules=rules):
                local = time_.starts_at.astimezone(rules.zone)
                slots.append(
                    Slot(offering, day.day, f"{local:%H:%M}", time_.starts_at, time_.places)
                )
    slots.sort(key=lambda slot: (slot.starts_at, slot.offering.centre_code))
    chosen, places = [], 0
    for slot in slots:
        if places >= CAPACITY_MARGIN * 1.5 * parents:
            break
        chosen.append(slot)
        places += slot.places
    return chosen


def _last(person: SimulatedPerson) -> tuple[str, list[str]]:
    messages = person.messages()
    if not messages:
        return "", []
    return messages[-1].text, messages[-1].flat_buttons()


def _sees(person: SimulatedPerson, test: Callable[[str, list[str]], bool]) -> Callable[[], bool]:
    return lambda: test(*_last(person))


def _button(person: SimulatedPerson, starts: str) -> str | None:
    return next((b for b in _last(person)[1] if b.startswith(starts)), None)


@dataclass
class Parent:
    """One simulated parent, the time they will book, and what became of their Confirm."""

    person: SimulatedPerson
    slot: Slot
    ages: list[int]
    pressed: float = 0.0
    answered: float = 0.0
    answer: str = ""


async def _act(
    parent: Parent, act: Awaitable[int], ready: Callable[[str, list[str]], bool]
) -> None:
    """Do `act` (push an update), then wait until the newest message is `ready`."""
    await act
    await parent.person.emulator.wait_until(
        parent.person.chat_id, _sees(parent.person, ready), timeout=WAIT
    )


async def to_summary(parent: Parent) -> None:
    """From /start to the booking's summary, each step waiting for the screen it needs."""
    person, slot = parent.person, parent.slot
    offering = slot.offering
    day = str(slot.day.day)
    await _act(parent, person.send_command("/start", wait=False), lambda t, b: "✅ English" in b)
    await _act(parent, person.press("✅ English", wait=False), lambda t, b: "✅ I agree" in b)
    await _act(parent, person.press("✅ I agree", wait=False), lambda t, b: "🏠 Day centre" in b)
    await _act(
        parent,
        person.press("🏠 Day centre", wait=False),
        lambda t, b: offering.centre_button in b,
    )
    await _act(
        parent,
        person.press(offering.centre_button, wait=False),
        lambda t, b: offering.service_button in b,
    )
    await _act(
        parent,
        person.press(offering.service_button, wait=False),
        lambda t, b: any(button.endswith("➡️") or button == day for button in b),
    )
    if day not in _last(person)[1]:  # the day is in the next month: turn the page
        pager = next(b for b in _last(person)[1] if b.endswith("➡️"))
        await _act(parent, person.press(pager, wait=False), lambda t, b: day in b)
    await _act(
        parent,
        person.press(day, wait=False),
        lambda t, b: any(button.startswith(f"{slot.clock} ·") for button in b),
    )
    count = len(parent.ages)
    await _act(
        parent,
        person.press(_button(person, f"{slot.clock} ·") or slot.clock, wait=False),
        lambda t, b: str(count) in b and "How many children" in t,
    )
    # "How old is the child?" for one, "How old is child 1 of 2?" for more.
    await _act(parent, person.press(str(count), wait=False), lambda t, b: "How old is" in t)
    for number, age in enumerate(parent.ages, start=1):
        next_child = f"child {number + 1} of {count}"
        await _act(
            parent,
            person.send_text(str(age), wait=False),
            lambda t, b, words=next_child, last=number == count: (
                CONFIRM in b if last else words in t
            ),
        )


async def confirm(parent: Parent) -> None:
    """Press Confirm; the answer is the reference or the "just taken" explanation."""
    parent.pressed = time.monotonic()
    await _act(
        parent,
        parent.person.press(CONFIRM, wait=False),
        lambda t, b: bool(REFERENCE.search(t)) or TAKEN in t or CONFIRM not in b,
    )
    parent.answered = time.monotonic()
    parent.answer = _last(parent.person)[0]


def answer_times(emulator: BotApiEmulator, parents: list[Parent]) -> dict[int, float]:
    """When the bot's call that carried each parent's answer finished (the moment Telegram
    would have shown it), read from the emulator's log rather than the waiting person."""
    pressed = {parent.person.chat_id: parent.pressed for parent in parents}
    found: dict[int, float] = {}
    for call in emulator.calls:
        chat = call.chat_id
        if chat not in pressed or chat in found or call.time < pressed[chat]:
            continue
        text = str(call.params.get("text", ""))
        if call.finished is not None and (REFERENCE.search(text) or TAKEN in text):
            found[chat] = call.finished
    return found


async def check_database(db: Database, slots: list[Slot]) -> tuple[list[Booking], int, int, int]:
    """The booked visits; times holding more places than they have; counters that disagree
    with the bookings; times now full."""
    places = {
        (s.offering.centre_code, s.offering.service_code, s.starts_at): s.places for s in slots
    }
    booked = await rows(db, Booking, Booking.status == "booked")
    taken: Counter[int] = Counter()
    for booking in booked:
        taken[booking.slot_id] += booking.places
    over = off = full = 0
    for counter in await rows(db, BookingSlot):
        limit = places[(counter.centre_code, counter.service_code, as_utc(counter.starts_at))]
        over += taken[counter.id] > limit or counter.taken > limit
        off += counter.taken != taken[counter.id]
        full += counter.taken >= limit
    return booked, over, off, full


async def burst(database_url: str | None, parents_count: int, seed: int) -> BurstFigures:
    rng = random.Random(seed)
    async with fresh_environment(database_url, NO_QUIET_HOURS) as env:
        db = Database.from_url(env["KOLDO_DATABASE__URL"])
        try:
            slots = await plan_slots(db, parents_count)
            weights = [POPULAR_WEIGHT if n % POPULAR_EVERY == 0 else 1.0 for n in range(len(slots))]
            async with BotApiEmulator() as emulator:
                parents = [
                    Parent(
                        SimulatedPerson(emulator, user_id=FIRST_USER + n, language_code="en"),
                        rng.choices(slots, weights)[0],
                        [rng.randint(7, 12) for _ in range(rng.choice((1, 2)))],
                    )
                    for n in range(parents_count)
                ]
                async with running_koldo(emulator, env, RESULTS / "bookings_koldo.log") as koldo:
                    await asyncio.sleep(1)
                    started = time.monotonic()
                    await asyncio.gather(*(to_summary(parent) for parent in parents))
                    to_summaries = time.monotonic() - started
                    cpu, own_cpu = cpu_seconds(koldo.pid), time.process_time()
                    await asyncio.gather(*(confirm(parent) for parent in parents))
                    cpu = cpu_seconds(koldo.pid) - cpu
                    own_cpu = time.process_time() - own_cpu
                    peak = rss_mb(koldo.pid, "VmHWM")
                answered = answer_times(emulator, parents)
            booked, over, off, full = await check_database(db, slots)
        finally:
            await db.dispose()
    for parent in parents:
        parent.answered = answered.get(parent.person.chat_id, parent.answered)
    first = min(parent.pressed for parent in parents)
    last = max(parent.answered for parent in parents)
    latencies = [parent.answered - parent.pressed for parent in parents]
    references = {m.group() for p in parents if (m := REFERENCE.search(p.answer))}
    refused = sum(TAKEN in parent.answer for parent in parents)
    others = [p.answer for p in parents if TAKEN not in p.answer and not REFERENCE.search(p.answer)]
    for answer in others[:3]:
        print(f"an unexpected answer: {answer!r}", file=sys.stderr)
    return BurstFigures(
        database=database_name(env),
        parents=parents_count,
        times_used=len(slots),
        places_offered=sum(slot.places for slot in slots),
        children_asked=sum(len(parent.ages) for parent in parents),
        to_summary_seconds=round(to_summaries, 2),
        burst_seconds=round(last - first, 2),
        bookings_per_second=round(len(references) / (last - first), 1),
        confirm_p50_ms=round(statistics.median(latencies) * 1000, 1),
        confirm_p99_ms=round(percentile_ms(latencies, 0.99), 1),
        koldo_cpu_ms_per_confirm=round(cpu * 1000 / parents_count, 2),
        bench_cpu_ms_per_confirm=round(own_cpu * 1000 / parents_count, 2),
        booked=len(references),
        refused_filled_up=refused,
        other_answers=len(others),
        bookings_in_database=len(booked),
        bookings_match_confirmations=references == {f"B-{b.id:06d}" for b in booked},
        times_over_places=over,
        counters_off=off,
        full_times=full,
        errors_logged=errors_logged(RESULTS / "bookings_koldo.log"),
        peak_rss_mb=round(peak, 1),
    )


# --- part 2: reminders falling due at once -------------------------------------------------------


def roomy_reference(folder: str) -> Path:
    """The project's reference data with REMINDER_PLACES_FACTOR times the places, so that
    thousands of visits fit in the booking window."""
    source = Path(__file__).parents[1] / "data" / "reference.toml"
    text = re.sub(
        r"^places = (\d+)",
        lambda m: f"places = {int(m.group(1)) * REMINDER_PLACES_FACTOR}",
        source.read_text(),
        flags=re.MULTILINE,
    )
    target = Path(folder) / "reference.toml"
    target.write_text(text)
    return target


async def book_families(db: Database, reminders: int, rng: random.Random) -> dict[int, int]:
    """`reminders` bookings through core, one child each, on days from the day after tomorrow
    (so that no reminder of theirs is due of itself during the run); a fifth of the visits
    are held two to a family, on different days. Returns the family of each booking."""
    rules = BookingRules()
    today = utcnow().astimezone(rules.zone).date()
    slots: list[tuple[Offering, datetime, date]] = []
    for offering in OFFERINGS:
        codes = {"centre_code": offering.centre_code, "service_code": offering.service_code}
        for day in await bookable_days(db, **codes, rules=rules):
            if day.state == DayState.OPEN and day.day > today + timedelta(days=1):
                for time_ in await day_times(db, **codes, day=day.day, rules=rules):
                    slots.extend([(offering, time_.starts_at, day.day)] * time_.places_left)
    rng.shuffle(slots)
    if len(slots) < reminders:
        raise SystemExit(f"only {len(slots)} places in the window for {reminders} bookings")
    twos = reminders // 10  # families with two: 2 × reminders / 10 = a fifth of the visits
    plan: list[tuple[int, list[tuple[Offering, datetime, date]]]] = []
    free = iter(slots)
    user = FIRST_USER
    while sum(len(visits) for _, visits in plan) < reminders:
        first = next(free)
        visits = [first]
        if len(plan) < twos:
            visits.append(next(s for s in free if s[2] != first[2]))
        plan.append((user, visits))
        user += 1
    gate = asyncio.Semaphore(8)
    family_of: dict[int, int] = {}

    async def one(user_id: int, visits: list[tuple[Offering, datetime, date]]) -> None:
        async with gate:
            await choose_language(db, user_id, rng.choice(("ru", "ky", "en")))
            await answer_notice(db, user_id, granted=True)
            for offering, starts_at, _day in visits:
                made = await book(
                    db, user_id=user_id, centre_code=offering.centre_code,
                    service_code=offering.service_code, starts_at=starts_at, ages=[9],
                    rules=rules,
                )  # fmt: skip
                family_of[made.id] = user_id

    await asyncio.gather(*(one(user_id, visits) for user_id, visits in plan))
    return family_of


async def make_due_now(db: Database, booking_ids: list[int]) -> list[int]:
    """One reminder of each booking (its first) falls due now; returns their entry ids."""
    reminder = OutboxEntry.kind == Kind.BOOKING_REMINDER.value
    entries = await rows(db, OutboxEntry, reminder, OutboxEntry.state == "pending")
    first: dict[int, int] = {}
    for entry in entries:
        if entry.booking_id is not None:
            first.setdefault(entry.booking_id, entry.id)
    ids = [first[booking_id] for booking_id in booking_ids]
    async with db.transaction() as repos:
        for start in range(0, len(ids), 500):
            await repos.session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(ids[start : start + 500]))
                .values(not_before=utcnow())
            )
    return ids


async def reminders_sent(db: Database, ids: list[int]) -> int:
    chosen = set(ids)
    sent = await rows(db, OutboxEntry, OutboxEntry.state == "sent")
    return sum(entry.id in chosen for entry in sent)


def reminder_calls(emulator: BotApiEmulator) -> list[tuple[ApiCall, str]]:
    """Every reminder Telegram took, with its booking reference, in the order they finished."""
    found = []
    for call in emulator.calls_of("sendMessage"):
        match = REFERENCE.search(str(call.params.get("text", "")))
        if call.status == 200 and match and call.finished is not None:
            found.append((call, match.group()))
    return sorted(found, key=lambda pair: pair[0].finished or 0.0)


async def wait_delivered(emulator: BotApiEmulator, references: set[str], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if references <= {reference for _, reference in reminder_calls(emulator)}:
            return
        await asyncio.sleep(1)


async def reminder_run(database_url: str | None, reminders: int, seed: int) -> ReminderFigures:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        settings = {**NO_QUIET_HOURS, "KOLDO_DATA__REFERENCE_FILE": str(roomy_reference(folder))}
        async with fresh_environment(database_url, settings) as env:
            db = Database.from_url(env["KOLDO_DATABASE__URL"])
            try:
                setup = time.monotonic()
                family_of = await book_families(db, reminders, rng)
                setup_seconds = time.monotonic() - setup
                async with BotApiEmulator() as emulator:
                    emulator.limit_rate(per_second=30, chat_per_second=1)
                    log = RESULTS / "bookings_koldo.log"
                    async with running_koldo(emulator, env, log) as koldo:
                        cpu = cpu_seconds(koldo.pid)
                        ids = await make_due_now(db, sorted(family_of))
                        due = time.monotonic()
                        expected = {f"B-{booking_id:06d}" for booking_id in family_of}
                        await wait_delivered(emulator, expected, within=120 + reminders / 10)
                        await asyncio.sleep(5)  # a late second copy would arrive by now
                        peak = rss_mb(koldo.pid, "VmHWM")
                        cpu = cpu_seconds(koldo.pid) - cpu
                    delivered = reminder_calls(emulator)
                    calls = Counter(call.method for call in emulator.calls)
                    refused = dict(emulator.rate_limited)
                    posts = emulator.calls_of("sendMessage")
                    tried = [call.time for call in posts]
                sent = await reminders_sent(db, ids)
            finally:
                await db.dispose()
    counts = Counter(reference for _, reference in delivered)
    times = [call.finished or 0.0 for call, _ in delivered]
    first, last = (times[0], times[-1]) if times else (due, due)
    closest = closest_in_one_chat(delivered)
    logged = (RESULTS / "bookings_koldo.log").read_text()
    return ReminderFigures(
        database=database_name(env),
        reminders=len(family_of),
        families=len(set(family_of.values())),
        families_with_two=sum(n == 2 for n in Counter(family_of.values()).values()),
        setup_seconds=round(setup_seconds, 1),
        first_after_due_s=round(first - due, 2),
        last_after_due_s=round(last - due, 2),
        messages_per_second=round(len(times) / (last - due), 1) if times else 0.0,
        most_accepted_in_1s=most_in_a_second(sorted(call.time for call, _ in delivered)),
        most_tried_in_1s=most_in_a_second(sorted(tried)),
        closest_in_one_chat_s=round(closest, 3),
        answered_429=sum(refused.values()),
        answered_429_by_limit=refused,
        first_tries_429=refused_first_tries(posts),
        client_retries_logged=logged.count("); retrying in"),
        outbox_retries_logged=logged.count("; next try in"),
        errors_logged=errors_logged(RESULTS / "bookings_koldo.log"),
        duplicates=sum(n - 1 for n in counts.values()),
        missing=len(expected - counts.keys()),
        sent_in_database=sent,
        koldo_cpu_ms_per_reminder=round(cpu * 1000 / len(family_of), 2),
        peak_rss_mb=round(peak, 1),
        calls=dict(calls.most_common()),
    )


def errors_logged(log: Path) -> int:
    """ERROR lines in Koldo's log (e.g. the outbox's database pool running dry)."""
    return log.read_text().count(" ERROR ")


def refused_first_tries(posts: list[ApiCall]) -> int:
    """Messages whose first try was refused with 429: the sender's own pace broke a limit
    (the retries of a refused message come after it, each another try of the same text)."""
    first: dict[tuple[int | None, str], int] = {}
    for call in posts:
        first.setdefault((call.chat_id, str(call.params.get("text"))), call.status)
    return sum(status == 429 for status in first.values())


def most_in_a_second(moments: list[float]) -> int:
    """The most of these (sorted) moments that fall within any one second."""
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def closest_in_one_chat(delivered: list[tuple[ApiCall, str]]) -> float:
    """The shortest time between two reminders arriving in one chat (Telegram: ≥ 1 s)."""
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call, _ in delivered:
        if call.chat_id is not None:
            by_chat[call.chat_id].append(call.time)
    gaps = [b - a for moments in by_chat.values() for a, b in itertools.pairwise(moments)]
    return min(gaps, default=float("nan"))


# --- the command ---------------------------------------------------------------------------------


def print_figures(title: str, figures: object) -> None:
    print(title)
    for name, value in asdict(figures).items():  # type: ignore[call-overload]
        print(f"  {name:<30} {value}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--parents", type=int, help="parents pressing Confirm at once (1000)")
    parser.add_argument("--reminders", type=int, help="reminders falling due at once (5000)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/bench_bookings: a "
        "database of that name is created for each part and dropped after it (default: SQLite)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.parents is None and args.reminders is None:
        args.parents, args.reminders = 1000, 5000
    parents = partial(burst, args.database_url, args.parents, args.seed)
    reminders = partial(reminder_run, args.database_url, args.reminders, args.seed)
    await measure(
        "bookings.json",
        args.database_url,
        [
            ("parents", "parents pressing Confirm at once:", parents if args.parents else None),
            ("reminders", "reminders falling due at once:", reminders if args.reminders else None),
        ],
    )


Part = tuple[str, str, Callable[[], Awaitable[object]] | None]


async def measure(results_name: str, database_url: str | None, parts: list[Part]) -> None:
    """Run each part asked for (those without a run are skipped), print its figures, and keep
    them in bench/results/`results_name` by part and database, with the machine's load."""
    RESULTS.mkdir(exist_ok=True)
    saved = RESULTS / results_name
    results: dict[str, Any] = json.loads(saved.read_text()) if saved.exists() else {}
    database = "postgresql" if database_url else "sqlite"
    for key, title, run in parts:
        if run is None:
            continue
        load = os.getloadavg()
        figures = await run()
        print_figures(title, figures)
        measured = asdict(figures)  # type: ignore[call-overload]
        results[f"{key}_{database}"] = with_load(measured, load)
    saved.write_text(json.dumps(results, indent=2))


def with_load(figures: dict[str, Any], before: tuple[float, float, float]) -> dict[str, Any]:
    """The figures of a part with the machine's load average before and after it (the machine
    is often shared: a busy one slows every figure down)."""
    return {**figures, "load_before": before, "load_after": os.getloadavg()}


if __name__ == "__main__":
    asyncio.run(main())
