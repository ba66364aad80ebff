"""Benchmark: training sessions. Thousands of session reminders fall due in the same moment and
go out at Telegram's pace; a session with hundreds signed up is moved and everyone is told.

    .venv/bin/python -m bench.trainings [--reminders 10000] [--move 500]
                                        [--database-url URL] [--seed 1]

Both parts run Koldo as its own process, exactly as `koldo run`, against the local Bot API
emulator over real HTTP, enforcing Telegram's limits (30 posts a second bot-wide, one a second
per chat: more is answered with 429), on a fresh database (a new SQLite file, or a PostgreSQL
database of the URL's name created for the part and dropped after it). Name one part to run
only that one; with neither, both run at their full size.

`--reminders N`: sessions of 1,000 places each are created through core, N sign-ups made
(a tenth of the people are signed up for two sessions, so two reminders go to one chat), and
one reminder of each sign-up is made due at the same moment. Printed: messages per second, the
seconds until the last reminder arrived, the 429s answered, duplicates and missing reminders.

`--move N`: one session with N people signed up (and its trainer) is moved by staff through
core while Koldo runs. Printed: how long the move took in core, and the seconds until the last
of the N + 1 notices arrived, with the same checks.

A measurement, not a test: it asserts nothing about the figures. They are saved to
`bench/results/trainings.json` (not committed).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import update

from bench.bookings import (
    NO_QUIET_HOURS,
    RESULTS,
    closest_in_one_chat,
    database_name,
    errors_logged,
    fresh_environment,
    measure,
    most_in_a_second,
    refused_first_tries,
    running_koldo,
)
from bench.documents_flow import cpu_seconds, rss_mb
from core.clock import utcnow
from core.consent import answer_notice
from core.outbox import Kind
from core.staff import add_staff
from core.training_rules import MAX_CAPACITY, SessionDraft
from core.training_sessions import create_session, move_session
from core.training_signups import sign_up
from core.users import choose_language
from storage.database import Database
from storage.models import OutboxEntry
from tests.e2e import rows
from tests.emulator import BotApiEmulator
from tests.emulator.views import ApiCall

STAFF, TRAINER, FIRST_PERSON = 90_001, 90_002, 200_000
LOG = RESULTS / "trainings_koldo.log"


@dataclass
class Delivery:
    """What reached the chats of a part, as the emulator saw it."""

    first_after_s: float
    last_after_s: float
    messages_per_second: float
    most_accepted_in_1s: int
    most_tried_in_1s: int
    closest_in_one_chat_s: float
    answered_429: int
    first_tries_429: int
    duplicates: int
    missing: int
    errors_logged: int
    koldo_cpu_ms_per_message: float
    peak_rss_mb: float
    calls: dict[str, int] = field(default_factory=dict)


@dataclass
class ReminderFigures:
    database: str
    reminders: int
    people: int
    people_with_two: int
    setup_seconds: float
    delivery: Delivery


@dataclass
class MoveFigures:
    database: str
    signed_up: int
    move_in_core_s: float
    delivery: Delivery


def draft(starts_at: datetime, capacity: int) -> SessionDraft:
    return SessionDraft(
        programme_code="positive-parenting", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), settlement_code="ak-ordo", place_kind="school",
        place_name="School No. 5", address="12 Zhibek Zholu", audience="parents",
        capacity=capacity, trainer_ids=(TRAINER,),
    )  # fmt: skip


async def people(db: Database, user_ids: list[int], rng: random.Random) -> None:
    gate = asyncio.Semaphore(8)

    async def one(user_id: int) -> None:
        async with gate:
            await choose_language(db, user_id, rng.choice(("ru", "ky", "en")))
            await answer_notice(db, user_id, granted=True)

    await asyncio.gather(*(one(user_id) for user_id in user_ids))


async def sessions_with(db: Database, sizes: list[int]) -> list[int]:
    """Sessions two days ahead and later (no reminder falls due of itself during the run),
    each with room for its size; returns their ids."""
    await add_staff(db, STAFF, "Bench")
    await people(db, [TRAINER], random.Random(0))
    first = utcnow() + timedelta(days=2)
    made = []
    for index, size in enumerate(sizes):
        starts_at = first + timedelta(hours=3 * index)
        made.append((await create_session(db, actor_id=STAFF, draft=draft(starts_at, size))).id)
    return made


async def sign_everyone_up(db: Database, plan: list[tuple[int, int]]) -> None:
    gate = asyncio.Semaphore(8)

    async def one(user_id: int, session_id: int) -> None:
        async with gate:
            await sign_up(db, user_id=user_id, session_id=session_id)

    await asyncio.gather(*(one(user_id, session_id) for user_id, session_id in plan))


async def make_due_now(db: Database) -> int:
    """The day-before reminder of every sign-up falls due now; returns how many."""
    entries = await rows(
        db, OutboxEntry, OutboxEntry.kind == Kind.TRAINING_REMINDER.value,
        OutboxEntry.state == "pending",
    )  # fmt: skip
    ids = [e.id for e in entries if e.payload.get("which") == "day" and e.chat_id != TRAINER]
    async with db.transaction() as repos:
        for start in range(0, len(ids), 500):
            await repos.session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(ids[start : start + 500]))
                .values(not_before=utcnow())
            )
    return len(ids)


def posts_to(emulator: BotApiEmulator, chats: set[int]) -> list[ApiCall]:
    return [call for call in emulator.calls_of("sendMessage") if call.chat_id in chats]


async def wait_for_messages(
    emulator: BotApiEmulator, expected: Counter[int], within: float
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        got = Counter(call.chat_id for call in posts_to(emulator, set(expected)) if call.ok)
        if all(got[chat] >= n for chat, n in expected.items()):
            return
        await asyncio.sleep(1)


async def delivered(
    emulator: BotApiEmulator, koldo: Any, expected: Counter[int], started: float, cpu: float
) -> Delivery:
    """Wait for `expected` messages per chat, then what arrived, measured from `started`."""
    await wait_for_messages(emulator, expected, within=120 + sum(expected.values()) / 10)
    await asyncio.sleep(5)  # a late second copy would arrive by now
    peak = rss_mb(koldo.pid, "VmHWM")
    cpu = cpu_seconds(koldo.pid) - cpu
    posts = posts_to(emulator, set(expected))
    accepted = sorted((call for call in posts if call.ok), key=lambda c: c.finished or 0.0)
    got = Counter(call.chat_id for call in accepted)
    times = [call.finished or 0.0 for call in accepted]
    first, last = (times[0], times[-1]) if times else (started, started)
    return Delivery(
        first_after_s=round(first - started, 2),
        last_after_s=round(last - started, 2),
        messages_per_second=round(len(times) / (last - started), 1) if times else 0.0,
        most_accepted_in_1s=most_in_a_second(sorted(call.time for call in accepted)),
        most_tried_in_1s=most_in_a_second(sorted(call.time for call in posts)),
        closest_in_one_chat_s=round(closest_in_one_chat([(c, "") for c in accepted]), 3),
        answered_429=sum(emulator.rate_limited.values()),
        first_tries_429=refused_first_tries(posts),
        duplicates=sum(max(0, got[chat] - n) for chat, n in expected.items()),
        missing=sum(max(0, n - got[chat]) for chat, n in expected.items()),
        errors_logged=errors_logged(LOG),
        koldo_cpu_ms_per_message=round(cpu * 1000 / max(1, len(times)), 2),
        peak_rss_mb=round(peak, 1),
        calls=dict(Counter(call.method for call in emulator.calls).most_common()),
    )


async def reminder_run(database_url: str | None, reminders: int, seed: int) -> ReminderFigures:
    rng = random.Random(seed)
    twos = reminders // 20  # a tenth of the sign-ups: two to a person
    persons = list(range(FIRST_PERSON, FIRST_PERSON + reminders - twos))
    # Sign-ups go round the sessions in turn, so a person's two land in two sessions.
    count = max(2, -(-reminders // MAX_CAPACITY))
    signups = [user for user in persons for _ in range(2 if user < persons[twos] else 1)]
    async with fresh_environment(database_url, NO_QUIET_HOURS) as env:
        db = Database.from_url(env["KOLDO_DATABASE__URL"])
        try:
            setup = time.monotonic()
            sessions = await sessions_with(db, [-(-reminders // count)] * count)
            await people(db, persons, rng)
            plan = [(user, sessions[i % count]) for i, user in enumerate(signups)]
            await sign_everyone_up(db, plan)
            setup_seconds = time.monotonic() - setup
            expected = Counter(user_id for user_id, _ in plan)
            async with BotApiEmulator() as emulator:
                emulator.limit_rate(per_second=30, chat_per_second=1)
                async with running_koldo(emulator, env, LOG) as koldo:
                    cpu = cpu_seconds(koldo.pid)
                    due = await make_due_now(db)
                    started = time.monotonic()
                    delivery = await delivered(emulator, koldo, expected, started, cpu)
        finally:
            await db.dispose()
    return ReminderFigures(
        database=database_name(env), reminders=due, people=len(persons),
        people_with_two=twos, setup_seconds=round(setup_seconds, 1), delivery=delivery,
    )  # fmt: skip


async def move_run(database_url: str | None, signed_up: int, seed: int) -> MoveFigures:
    rng = random.Random(seed)
    persons = list(range(FIRST_PERSON, FIRST_PERSON + signed_up))
    async with fresh_environment(database_url, NO_QUIET_HOURS) as env:
        db = Database.from_url(env["KOLDO_DATABASE__URL"])
        try:
            [session] = await sessions_with(db, [min(MAX_CAPACITY, signed_up)])
            await people(db, persons, rng)
            await sign_everyone_up(db, [(user_id, session) for user_id in persons])
            expected = Counter({**dict.fromkeys(persons, 1), TRAINER: 1})
            async with BotApiEmulator() as emulator:
                emulator.limit_rate(per_second=30, chat_per_second=1)
                async with running_koldo(emulator, env, LOG) as koldo:
                    await asyncio.sleep(3)  # the trainer's notice of the new session goes first
                    before = Counter(call.chat_id for call in emulator.calls_of("sendMessage"))
                    expected.update(before)
                    cpu = cpu_seconds(koldo.pid)
                    started = time.monotonic()
                    later = utcnow() + timedelta(days=3)
                    await move_session(
                        db, actor_id=STAFF, session_id=session, starts_at=later,
                        ends_at=later + timedelta(hours=2),
                    )  # fmt: skip
                    in_core = time.monotonic() - started
                    delivery = await delivered(emulator, koldo, expected, started, cpu)
        finally:
            await db.dispose()
    return MoveFigures(
        database=database_name(env), signed_up=signed_up, move_in_core_s=round(in_core, 2),
        delivery=delivery,
    )  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--reminders", type=int, help="session reminders due at once (10000)")
    parser.add_argument("--move", type=int, help="people signed up for the moved session (500)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/bench_trainings: a "
        "database of that name is created for each part and dropped after it (default: SQLite)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.reminders is None and args.move is None:
        args.reminders, args.move = 10_000, 500
    reminders = partial(reminder_run, args.database_url, args.reminders, args.seed)
    move = partial(move_run, args.database_url, args.move, args.seed)
    await measure(
        "trainings.json",
        args.database_url,
        [
            ("reminders", "session reminders falling due at once:",
             reminders if args.reminders else None),
            ("move", "a session moved with everyone told:", move if args.move else None),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
