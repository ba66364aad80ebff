"""Process roles, for real: `koldo bot` and two `koldo worker` processes on one PostgreSQL
database, and `koldo run` alone on SQLite, through the Bot API emulator.

A burst of parents file requests and staff answer each in its topic. Every message is
delivered exactly once and in order in each chat. With two workers, the active one is killed
with SIGKILL mid-burst: the other takes the work over within seconds, and nothing is lost;
the only message that may arrive twice is one the killed worker had in hand (in doubt), as
the README says."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.faults import Parent, Staff, file_request
from bench.staff_group import ADMIN, STAFF_GROUP
from koldo.worker import LEASE, RENEW_SECONDS
from storage.models import OutboxEntry, WorkerLease
from tests.e2e import rows
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import start_koldo_process, terminate
from tests.test_staff_inbox import wait_for

pytestmark = pytest.mark.slow

PARENTS = 6
BURST = 60.0  # seconds for the whole burst to be delivered, a takeover included
SETTINGS = {
    "KOLDO_STAFF__CHAT_ID": str(STAFF_GROUP),
    "KOLDO_STAFF__ADMIN_ID": str(ADMIN),
    "KOLDO_OUTBOX__GROUP_MESSAGES_PER_MINUTE": "120",
    "KOLDO_OUTBOX__CHAT_MESSAGES_PER_SECOND": "5",
    "KOLDO_OUTBOX__POLL_SECONDS": "0.2",
    "KOLDO_OUTBOX__QUIET_HOURS": "00:00-00:00",
}


@contextlib.asynccontextmanager
async def processes(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path, *commands: str
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Start each command in turn (a worker only once the one before it works or waits);
    stop what is still running at the end (each must stop cleanly when the test passed)."""
    started: list[asyncio.subprocess.Process] = []
    try:
        for number, command in enumerate(commands):
            log = tmp_path / f"{number}-{command}.log"
            started.append(
                await start_koldo_process(
                    emulator, database_url, command=command, log=log, **SETTINGS
                )
            )
            if command == "worker":
                await _until(lambda: _lease_holders(database_url), within=10)
        yield started
    except BaseException:
        for process in started:
            if process.returncode is None:
                process.kill()
                await process.wait()
        raise
    for process in started:
        if process.returncode is None:
            await terminate(process)


async def _lease_holders(database_url: str) -> list[str]:
    from storage.database import Database

    db = Database.from_url(database_url)
    try:
        return [lease.holder for lease in await rows(db, WorkerLease)]
    finally:
        await db.dispose()


async def _until(condition, *, within: float) -> float:
    """Wait until `condition()` (async) is truthy; returns how long it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await condition():
        if loop.time() - start > within:
            raise AssertionError(f"not within {within:g} s")
        await asyncio.sleep(0.1)
    return loop.time() - start


async def burst(emulator: BotApiEmulator, *, midway=None) -> tuple[list[Parent], Staff]:
    """Parents file requests as people do (bench.faults: acting on whatever screen they see);
    staff answer each request twice in its topic once its card is there; `midway` runs once
    half the cards are in the group."""
    parents = [
        Parent(SimulatedPerson(emulator, user_id=8000 + n, language_code="en"), start_after=n / 4)
        for n in range(PARENTS)
    ]
    staff = Staff(emulator, replies=2, rng=random.Random(PARENTS))
    stop = asyncio.Event()
    answering = asyncio.create_task(staff.work(stop))
    deadline = time.monotonic() + BURST
    filing = asyncio.gather(
        *(file_request(parent, 5.0, lambda: 0.1, deadline) for parent in parents)
    )
    if midway is not None:
        while len(emulator.topics(STAFF_GROUP)) < PARENTS // 2:
            assert time.monotonic() < deadline, "the cards did not reach the group"
            await asyncio.sleep(0.1)
        await midway()
    await filing
    staff.expected = {parent.reference for parent in parents}
    assert None not in staff.expected, "a parent could not file a request"
    await asyncio.wait_for(answering, BURST)
    return parents, staff


async def every_answer_delivered(emulator: BotApiEmulator, parents: list[Parent], staff: Staff):
    for parent in parents:
        answers = staff.sent[parent.reference]
        await wait_for(
            emulator,
            parent.person.chat_id,
            lambda parent=parent, answers=answers: all(
                any(answer in text for text in parent.person.texts()) for answer in answers
            ),
            within=BURST,
        )


def copies(emulator: BotApiEmulator) -> Counter[tuple[int, object, str]]:
    """How many times each message was sent, by chat, topic and text."""
    return Counter(
        (call.params["chat_id"], call.params.get("message_thread_id"), call.params["text"])
        for call in emulator.calls_of("sendMessage")
        if call.status == 200
    )


async def check_delivered_once_in_order(
    emulator: BotApiEmulator, database_url: str, parents: list[Parent], staff: Staff
) -> int:
    """Every entry sent, none lost; returns how many messages arrived twice (each must be one
    the killed worker had in hand: an entry tried more than once)."""
    from storage.database import Database

    db = Database.from_url(database_url)
    try:
        await _until(lambda: _all_sent(db), within=BURST)
        entries = await rows(db, OutboxEntry)
    finally:
        await db.dispose()
    sent = copies(emulator)
    twice = [key for key, count in sent.items() if count > 1]
    assert all(count <= 2 for count in sent.values()), twice
    assert len(twice) <= len([entry for entry in entries if entry.attempts > 1]), twice
    # In order: in each chat, entries of one request and priority went in the order they were
    # queued (an urgent alert or a card's follow-up may overtake on purpose: see Priority).
    lines: dict[tuple[int, int | None, int], list[OutboxEntry]] = {}
    for entry in entries:
        lines.setdefault((entry.chat_id, entry.request_id, entry.priority), []).append(entry)
    for line in lines.values():
        assert [e.id for e in sorted(line, key=lambda e: e.sent_at)] == [e.id for e in line]
    # Each parent read each answer, in the order staff wrote them.
    for parent in parents:
        texts = parent.person.texts()
        seen = [
            next(i for i, t in enumerate(texts) if a in t) for a in staff.sent[parent.reference]
        ]
        assert seen == sorted(seen)
    return len(twice)


async def _all_sent(db) -> bool:
    entries = await rows(db, OutboxEntry)
    return bool(entries) and all(entry.state == "sent" for entry in entries)


@pytest.mark.postgres
async def test_a_bot_and_two_workers_deliver_everything_once_when_the_active_one_is_killed(
    postgres_database_url, emulator, tmp_path
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    url = postgres_database_url
    async with processes(emulator, url, tmp_path, "bot", "worker", "worker") as started:
        _bot, first, second = started
        [active] = await _lease_holders(url)
        assert f":{first.pid}:" in active  # the first worker works, the second waits
        took_over: list[float] = []

        async def kill_the_active_worker() -> None:
            first.send_signal(signal.SIGKILL)
            await first.wait()

            async def second_holds() -> bool:
                return any(f":{second.pid}:" in h for h in await _lease_holders(url))

            took_over.append(await _until(second_holds, within=30))

        parents, staff = await burst(emulator, midway=kill_the_active_worker)
        await every_answer_delivered(emulator, parents, staff)
        twice = await check_delivered_once_in_order(emulator, url, parents, staff)
    # The lease runs out LEASE after the last renewal; the waiting worker looks every RENEW.
    assert took_over and took_over[0] <= LEASE.total_seconds() + RENEW_SECONDS + 1
    print(f"takeover after {took_over[0]:.1f} s; {twice} message(s) arrived twice")


async def test_koldo_run_alone_on_sqlite_delivers_the_burst_once_in_order(
    sqlite_database_url, emulator, tmp_path
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    url = sqlite_database_url
    async with processes(emulator, url, tmp_path, "run"):
        parents, staff = await burst(emulator)
        await every_answer_delivered(emulator, parents, staff)
        assert await check_delivered_once_in_order(emulator, url, parents, staff) == 0
