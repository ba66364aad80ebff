"""Fault script: parents file and staff reply while Koldo is killed, or its database goes away.

    .venv/bin/python -m bench.faults --scenario kill --database sqlite|postgres
                                     [--parents 30] [--kills 5] [--seed 1]
    .venv/bin/python -m bench.faults --scenario postgres-outage   # a PostgreSQL server of its own
    .venv/bin/python -m bench.faults --scenario sqlite-lock       # another process locks the file

Koldo runs exactly as `koldo run`, with a forum staff group, against the Bot API emulator. N
simulated parents go through the Documents flow, starting at random moments, and press Send;
one staff member answers in each request's topic as soon as its card is there. Meanwhile the
fault strikes: `kill` SIGKILLs Koldo at K random moments and starts it again at once;
`postgres-outage` stops the PostgreSQL server for 10 s (`pg_ctl stop -m immediate`, like a
crash) and starts it again; `sqlite-lock` has another process hold `BEGIN EXCLUSIVE` on the
SQLite file for 10 s. A parent who sees no answer within `--patience` seconds does what a
person does: presses the same button or sends the same thing again.

When Koldo is quiet again (outbox delivered, every update handled) it counts: requests per
parent (exactly one each), staff replies sent vs stored vs delivered, cards and topics per
request, and every message that reached a chat twice. A duplicate is "in doubt" when Koldo
was killed between the call that sent its first copy and the moment it could note it sent (the
Bot API gives no way to ask whether a message arrived); the entries Koldo itself reports in
doubt at start-up are counted too. Also counted: Koldo's log records during an outage.

A measurement, not a test: it prints the figures, saves them to bench/results/, and exits
non-zero only when a target is missed: anything lost, a second request, a duplicate not sent
across a kill, more than one duplicate in one chat at one kill (the sender has one lane per
chat, so each chat can have one message in doubt when the process dies; several chats can, at
the same kill), or more duplicates than entries Koldo logged in doubt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiogram_dialog.utils import CB_SEP
from sqlalchemy import make_url

from bench.documents_flow import STORY, koldo_environment
from bench.staff_group import ADMIN, REFERENCE, STAFF_GROUP, open_staff_group
from storage.database import Database
from storage.models import OutboxEntry, ReceivedUpdate, Request, RequestMessage
from tests.e2e import rows, tr
from tests.emulator import BotApiEmulator, SimulatedGroupMember, SimulatedPerson
from tests.emulator.views import ApiCall, BotMessage
from tests.harness import start_koldo_process

SHARED_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/faults"
# Koldo's lines about outbox entries in doubt: at start-up, those a killed process left
# `sending`; while running, one found `sending` that this process claimed before.
IN_DOUBT = re.compile(r"(\d+) outbox entries were being sent when Koldo last stopped")
IN_DOUBT_ENTRY = re.compile(r"Outbox entry \d+ may already have been sent once")
IN_DOUBT_GRACE = 2.0  # seconds from Telegram's answer until the sender has noted it sent
REPLAYED = re.compile(r"Handling (\d+) updates left unhandled")
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
CARD_BUTTON = tr("ru", "✅ Resolve")  # on every open card, in the staff group's language
SHARE = "📱 Share my number"
QUIET_SECONDS = 2.0
AFTER_FAULT = 10.0  # seconds after a database fault whose log records still count as its own
RESULTS = Path(__file__).with_name("results")


# ---------------------------------------------------------------------------- a parent


@dataclass
class Screen:
    """What a parent recognises on the newest message, and what they do about it."""

    name: str
    seen: Callable[[SimulatedPerson], bool]
    act: Callable[[SimulatedPerson], Awaitable[int]] | None


def _newest(person: SimulatedPerson) -> BotMessage | None:
    return next(person.emulator.bot_messages_newest_first(person.chat_id), None)


def _button(text: str) -> Callable[[SimulatedPerson], bool]:
    return lambda person: (m := _newest(person)) is not None and text in m.flat_buttons()


def _words(text: str) -> Callable[[SimulatedPerson], bool]:
    return lambda person: (m := _newest(person)) is not None and text in m.text


def _press(text: str) -> Callable[[SimulatedPerson], Awaitable[int]]:
    return lambda person: person.press(text, wait=False)


def _sharing(person: SimulatedPerson) -> bool:
    keyboard = person.reply_keyboard()
    return keyboard is not None and any(SHARE in row for row in keyboard)


# The Documents flow as a parent reads it, furthest first (so a stale earlier screen never
# hides a later one); anything else is a lost parent, who sends /start.
SCREENS = [
    Screen("filed", lambda person: bool((m := _newest(person)) and REFERENCE.search(m.text)), None),
    Screen("summary", _button("✅ Send"), _press("✅ Send")),
    Screen("danger", _button("🆘 Yes, a child is in danger"), _press("✅ No")),
    Screen("phone", _sharing, _press(SHARE)),
    Screen("story told", _button("➡️ Next"), _press("➡️ Next")),
    Screen("story", _words("in your own words"), lambda p: p.send_text(STORY, wait=False)),
    Screen("settlement", _button("Ak-Ordo"), _press("Ak-Ordo")),
    Screen("age", _words("How old"), lambda p: p.send_text("9", wait=False)),
    Screen("for whom", _button("🧒 For a child"), _press("🧒 For a child")),
    Screen("document", _button("👶 Birth certificate"), _press("👶 Birth certificate")),
    Screen("menu", _button("📄 Documents"), _press("📄 Documents")),
    Screen("consent", _button("✅ I agree"), _press("✅ I agree")),
    Screen("language", _button("✅ English"), _press("✅ English")),
    LOST := Screen("lost", lambda person: True, lambda p: p.send_command("/start", wait=False)),
]


def screen_of(person: SimulatedPerson) -> Screen:
    return next(screen for screen in SCREENS if screen.seen(person))


@dataclass
class Parent:
    person: SimulatedPerson
    start_after: float
    reference: str | None = None
    send_presses: int = 0
    retries: int = 0
    acted: list[float] = field(default_factory=list)  # when they pressed or sent something


async def file_request(
    parent: Parent, patience: float, think: Callable[[], float], deadline: float
) -> None:
    """Act on whatever is on the screen until a reference shows; when it does not move on to
    another known screen within `patience`, act again, as a person does who thinks the press
    did not work (a screen between two known ones, like a window being redrawn, is waited
    out, and only a parent lost that long sends /start). Reading a screen takes `think()`
    seconds, so many parents are in the middle of the flow at any moment."""
    await asyncio.sleep(parent.start_after)
    person = parent.person
    while time.monotonic() < deadline:
        screen = screen_of(person)
        if screen.act is None:
            found = REFERENCE.search(_newest(person).text)  # type: ignore[union-attr]
            parent.reference = found.group() if found else None
            return
        await asyncio.sleep(think())
        parent.send_presses += screen.name == "summary"
        parent.acted.append(time.monotonic())
        with contextlib.suppress(AssertionError):  # the button went away meanwhile
            await screen.act(person)
        try:
            await person.emulator.wait_until(
                person.chat_id,
                lambda screen=screen: screen_of(person) not in (screen, LOST),
                patience,
            )
        except AssertionError:
            parent.retries += 1


# ---------------------------------------------------------------------------- staff


@dataclass
class Staff:
    """One staff member who answers each request in its topic once its card is there."""

    emulator: BotApiEmulator
    replies: int
    rng: random.Random
    sent: dict[str, list[str]] = field(default_factory=dict)
    expected: set[str] | None = None  # once known: the references to answer, then stop
    _answering: list[asyncio.Task[None]] = field(default_factory=list)

    async def work(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and not (self.expected and self.expected <= self.sent.keys()):
            for topic in self.emulator.topics(STAFF_GROUP):
                found = REFERENCE.match(topic.name)
                if found is None or found.group() in self.sent:
                    continue
                in_topic = self.emulator.chat_messages(
                    STAFF_GROUP, message_thread_id=topic.message_thread_id
                )
                if any(found.group() in message.text for message in in_topic):
                    self.sent[found.group()] = []
                    task = asyncio.create_task(self._answer(found.group(), topic.message_thread_id))
                    self._answering.append(task)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
        await asyncio.gather(*self._answering)

    async def _answer(self, reference: str, thread_id: int) -> None:
        member = SimulatedGroupMember(self.emulator, STAFF_GROUP, ADMIN, "Nurlan")
        member.in_topic(thread_id)
        for number in range(1, self.replies + 1):
            await asyncio.sleep(self.rng.uniform(0.2, 1.5))
            text = f"Answer {number} on {reference}: bring a copy of your passport on Wednesday"
            self.sent[reference].append(text)
            await member.send_text(text, wait=False)


# ---------------------------------------------------------------------------- Koldo and faults


@dataclass
class Koldo:
    """The `koldo run` process under test, started again after each kill."""

    emulator: BotApiEmulator
    database_url: str
    log: Path
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await start_koldo_process(
            self.emulator, self.database_url, log=self.log, **self.env
        )

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM, as systemd would; a hung process is killed after 30 s."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            await self.kill()

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@dataclass
class Kill:
    at_s: float
    calls_in_flight: list[str]


async def kill_at_random(
    koldo: Koldo, kills: int, rng: random.Random, started: float
) -> list[Kill]:
    """SIGKILL at `kills` random moments 0.5–4 s apart, starting Koldo again at once each time."""
    done: list[Kill] = []
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(0.5, 4.0))
        in_flight = [
            call.method
            for call in koldo.emulator.calls
            if call.status == 0 and call.method != "getUpdates"
        ]
        await koldo.kill()
        done.append(Kill(round(time.monotonic() - started, 2), in_flight))
        await koldo.start()
    return done


@dataclass
class Window:
    """When a database fault began and ended, and the log lines from its start up to
    `AFTER_FAULT` after its end (when Koldo reports the database back)."""

    began_s: float = 0.0
    ended_s: float = 0.0
    parent_actions: int = 0  # presses and messages of parents while it lasted
    log_records: int = 0
    log_lines: int = 0
    messages: dict[str, int] = field(default_factory=dict)


class ThrowawayPostgres:
    """A PostgreSQL server of the bench's own (never the shared one): initdb into a temporary
    folder with the machine's binaries, trust authentication, a free port, no fsync."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise SystemExit("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = found[-1].parent

    async def create(self) -> None:
        if os.geteuid() == 0:  # initdb refuses root: the folder becomes the postgres user's
            shutil.chown(self.folder, "postgres", "postgres")
        await self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync")  # fmt: skip
        await self.start()

    async def start(self) -> None:
        options = f"-c fsync=off -c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        await self._run("pg_ctl", "-D", str(self.data), "-o", options,
                        "-l", str(self.folder / "server.log"), "-w", "start")  # fmt: skip

    async def stop(self) -> None:
        """An immediate stop: connections drop at once, as when the server crashes."""
        await self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    async def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        if process.returncode:
            raise SystemExit(f"{program} failed:\n{output.decode(errors='replace')}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOCK_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


async def lock_sqlite(path: str, seconds: float) -> None:
    """Another process holds an exclusive lock on the database file for `seconds`."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCK_HOLDER, path, str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    if (await holder.stdout.readline()).strip() != b"locked":
        raise SystemExit("the lock holder could not lock the SQLite file")
    if await holder.wait():
        raise SystemExit("the lock holder failed")


async def database_fault(
    koldo: Koldo, fault: Callable[[], Awaitable[None]], delay: float, started: float
) -> Window:
    """After `delay` s, run `fault` (which lasts until the database is back) and count the log
    records Koldo writes from its start until `AFTER_FAULT` after its end."""
    await asyncio.sleep(delay)
    before = len(koldo.log_lines())
    window = Window(began_s=round(time.monotonic() - started, 2))
    await fault()
    window.ended_s = round(time.monotonic() - started, 2)
    await asyncio.sleep(AFTER_FAULT)
    lines = koldo.log_lines()[before:]
    records = [line for line in lines if LOG_RECORD.match(line)]
    window.log_lines = len(lines)
    window.log_records = len(records)
    window.messages = dict(
        Counter(re.sub(r"\d+", "N", LOG_RECORD.sub("", r))[:100] for r in records)
    )
    return window


# ---------------------------------------------------------------------------- counting


@dataclass
class Figures:
    scenario: str
    database: str
    parents: int
    seed: int
    kills: int
    parents_filed: int
    parents_stuck: int
    send_presses: int
    retries: int
    requests_stored: int
    duplicate_requests: int
    lost_filings: int
    requests_without_card: int
    replies_sent: int
    replies_stored: int
    replies_delivered: int
    replies_lost: int
    duplicates_delivered: int
    in_doubt_entries: int
    unexplained_duplicates: int
    duplicates_per_kill: list[int]
    most_per_kill_in_one_chat: int
    updates_replayed: int
    seconds: float
    quiet: bool
    duplicates: list[str] = field(default_factory=list)
    screens_repeated: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    kill_log: list[dict[str, Any]] = field(default_factory=list)
    fault: dict[str, Any] | None = None

    def missed(self) -> list[str]:
        """The targets this run missed, in words."""
        missed = []
        lost = self.lost_filings + self.parents_stuck + self.requests_without_card
        if lost + self.replies_lost:
            missed.append(f"{lost + self.replies_lost} lost")
        if self.duplicate_requests:
            missed.append(f"{self.duplicate_requests} duplicate requests")
        if self.unexplained_duplicates:
            missed.append(f"{self.unexplained_duplicates} duplicates not sent across a kill")
        if self.most_per_kill_in_one_chat > 1:
            missed.append(f"{self.most_per_kill_in_one_chat} duplicates in one chat at one kill")
        if self.duplicates_delivered > self.in_doubt_entries:
            missed.append(
                f"{self.duplicates_delivered} duplicates, {self.in_doubt_entries} in doubt logged"
            )
        if not self.quiet:
            missed.append("Koldo did not become quiet")
        return missed


async def wait_quiet(emulator: BotApiEmulator, database_url: str, within: float) -> list[str]:
    """Until every update is handled and the outbox is empty, then `QUIET_SECONDS` more;
    what is still unfinished when `within` runs out (nothing when Koldo became quiet)."""
    db = Database.from_url(database_url)
    deadline = time.monotonic() + within
    try:
        while True:
            entries = await rows(db, OutboxEntry, OutboxEntry.state.not_in(("sent", "failed")))
            unhandled = await rows(db, ReceivedUpdate, ReceivedUpdate.handled_at.is_(None))
            left = [f"outbox entry {e.id} ({e.kind} to {e.chat_id}) {e.state}" for e in entries]
            left += [f"update {update.update_id} unhandled" for update in unhandled]
            if emulator.pending_updates:
                left.append(f"{emulator.pending_updates} updates not confirmed to Telegram")
            if not left:
                await asyncio.sleep(QUIET_SECONDS)
                return []
            if time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.5)
    finally:
        await db.dispose()


class Sends:
    """Which Bot API call put each message (and topic) into a chat: the first copy of a
    duplicate was in doubt if Koldo was killed between that call and the moment it could
    note it done (`IN_DOUBT_GRACE` after the answer)."""

    def __init__(self, emulator: BotApiEmulator, kill_moments: list[float]) -> None:
        self.kills = kill_moments
        self.messages: dict[tuple[int, int], ApiCall] = {}
        self.topics: dict[int, ApiCall] = {}
        for call in emulator.calls:
            if not call.ok or not isinstance(call.result, dict):
                continue
            if call.method == "createForumTopic":
                self.topics[call.result["message_thread_id"]] = call
            elif "message_id" in call.result:
                self.messages[(call.result["chat"]["id"], call.result["message_id"])] = call

    def killed_during(self, call: ApiCall | None) -> int | None:
        """The number of the kill (from 0) that struck while `call` was in doubt, if any."""
        if call is None or call.finished is None:
            return None
        return next(
            (n for n, kill in enumerate(self.kills)
             if call.time <= kill <= call.finished + IN_DOUBT_GRACE),
            None,
        )  # fmt: skip


@dataclass
class Duplicates:
    """Messages that reached a chat more than once, each group set against the kills."""

    sends: Sends
    lines: list[str] = field(default_factory=list)
    extra: int = 0
    unexplained: int = 0
    per_kill: Counter[int] = field(default_factory=Counter)
    per_kill_and_chat: Counter[tuple[int, str]] = field(default_factory=Counter)

    def add(self, where: str, what: str, first_sends: list[ApiCall | None]) -> None:
        """One thing that arrived len(first_sends) times; the calls oldest first."""
        if len(first_sends) < 2:
            return
        self.extra += len(first_sends) - 1
        kill = self.sends.killed_during(first_sends[0])
        if kill is None:
            self.unexplained += len(first_sends) - 1
            verdict = "NO KILL while sending it"
        else:
            self.per_kill[kill] += len(first_sends) - 1
            self.per_kill_and_chat[(kill, where)] += len(first_sends) - 1
            verdict = f"in doubt: kill {kill + 1} struck while sending it"
        self.lines.append(f"{where} got {len(first_sends)}x {what[:60]!r} ({verdict})")

    def messages(self, where: str, chat_id: int, groups: dict[str, list[BotMessage]]) -> None:
        for what, messages in groups.items():
            ordered = sorted(messages, key=lambda message: message.message_id)
            self.add(
                where, what, [self.sends.messages.get((chat_id, m.message_id)) for m in ordered]
            )


def _by(messages: list[BotMessage], key: Callable[[BotMessage], str | None]) -> dict[str, list]:
    groups: dict[str, list[BotMessage]] = {}
    for message in messages:
        if (name := key(message)) is not None:
            groups.setdefault(name, []).append(message)
    return groups


def _is_screen(message: BotMessage) -> bool:
    """A dialog window (its buttons carry aiogram-dialog's intent): the answer to something
    the parent did, which a parent who pressed twice may rightly see twice."""
    return any(CB_SEP in (data or "") for row in message.button_data for data in row)


def _reference(text: str) -> str | None:
    found = REFERENCE.search(text)
    return found.group() if found else None


async def count(
    emulator: BotApiEmulator,
    database_url: str,
    parents: list[Parent],
    staff: Staff,
    log: list[str],
    kill_moments: list[float],
) -> dict[str, Any]:
    """What was sent vs stored vs delivered, and what arrived twice, set against the kills."""
    db = Database.from_url(database_url)
    try:
        requests = await rows(db, Request)
        staff_messages = await rows(db, RequestMessage, RequestMessage.author == "staff")
    finally:
        await db.dispose()
    per_parent = Counter(request.user_id for request in requests)
    owner = {f"K-{request.id:06d}": request.user_id for request in requests}
    losses: list[str] = []
    duplicates = Duplicates(Sends(emulator, kill_moments))

    lost_filings = replies_stored = replies_delivered = 0
    repeated: list[str] = []
    for parent in parents:
        chat = parent.person.chat_id
        if parent.send_presses and not per_parent[chat]:
            lost_filings += 1
            losses.append(f"parent {chat} pressed Send {parent.send_presses}x: no request")
        about = [m for m in parent.person.messages() if REFERENCE.search(m.text)]
        screens = _by([m for m in about if _is_screen(m)], lambda m: m.text)
        repeated += [
            f"parent {chat} saw {len(c)}x {t[:60]!r}" for t, c in screens.items() if len(c) > 1
        ]
        about = [m for m in about if not _is_screen(m)]  # what the outbox owed the parent
        for reply in (
            r for ref, who in owner.items() if who == chat for r in staff.sent.get(ref, [])
        ):
            stored = sum(reply in (m.text or "") for m in staff_messages)
            delivered = sum(reply in m.text for m in about)
            replies_stored += min(stored, 1)
            replies_delivered += min(delivered, 1)
            if not delivered:
                losses.append(f"{reply[:15]}: stored {stored}x, never delivered")
        duplicates.messages(f"parent {chat}", chat, _by(about, lambda m: m.text))

    group = emulator.chat_messages(STAFF_GROUP)
    cards = _by(group, lambda m: _reference(m.text) if CARD_BUTTON in m.flat_buttons() else None)
    losses += [
        f"{reference}: no card in the group" for reference in owner if reference not in cards
    ]
    duplicates.messages("group", STAFF_GROUP, {f"card {r}": c for r, c in cards.items()})
    others = _by(
        [m for m in group if CARD_BUTTON not in m.flat_buttons()],
        lambda m: f"topic {m.message_thread_id}: {m.text}",
    )
    duplicates.messages("group", STAFF_GROUP, others)
    topics: dict[str, list[int]] = {}
    for topic in emulator.topics(STAFF_GROUP):
        if (reference := _reference(topic.name)) is not None:
            topics.setdefault(reference, []).append(topic.message_thread_id)
    for reference, threads in topics.items():
        calls = [duplicates.sends.topics.get(thread) for thread in sorted(threads)]
        duplicates.add("group", f"topic {reference}", calls)

    replies_sent = sum(len(texts) for texts in staff.sent.values())
    return {
        "requests_stored": len(requests),
        "duplicate_requests": sum(n - 1 for n in per_parent.values() if n > 1),
        "lost_filings": lost_filings,
        "requests_without_card": sum(reference not in cards for reference in owner),
        "replies_sent": replies_sent,
        "replies_stored": replies_stored,
        "replies_delivered": replies_delivered,
        "replies_lost": replies_sent - replies_delivered,
        "duplicates_delivered": duplicates.extra,
        "in_doubt_entries": sum(_logged_count(IN_DOUBT, log))
        + sum(bool(IN_DOUBT_ENTRY.search(line)) for line in log),
        "unexplained_duplicates": duplicates.unexplained,
        "updates_replayed": sum(_logged_count(REPLAYED, log)),
        "duplicates_per_kill": [duplicates.per_kill[n] for n in range(len(kill_moments))],
        "most_per_kill_in_one_chat": max(duplicates.per_kill_and_chat.values(), default=0),
        "duplicates": duplicates.lines,
        "screens_repeated": repeated,
        "losses": losses,
    }


def _logged_count(pattern: re.Pattern[str], log: list[str]) -> list[int]:
    return [int(found.group(1)) for line in log if (found := pattern.search(line))]


# ---------------------------------------------------------------------------- a run


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace) -> AsyncIterator[tuple[str, Any]]:
    """The database the run uses, and the fault to strike it with (None for kills)."""
    if args.scenario == "postgres-outage":
        with tempfile.TemporaryDirectory(prefix="koldo-faults-pg-") as folder:
            server = ThrowawayPostgres(Path(folder))
            await server.create()

            async def outage() -> None:
                await server.stop()
                await asyncio.sleep(args.outage)
                await server.start()

            try:
                async with koldo_environment(server.url) as env:
                    yield env["KOLDO_DATABASE__URL"], outage
            finally:
                with contextlib.suppress(SystemExit):
                    await server.stop()
        return
    if args.database == "postgres":
        async with (
            shared_postgres_database(args.postgres_url) as url,
            koldo_environment(url),
        ):
            yield url, None
        return
    async with koldo_environment(None) as env:
        url = env["KOLDO_DATABASE__URL"]
        path = make_url(url).database or ""
        lock = (lambda: lock_sqlite(path, args.outage)) if args.scenario == "sqlite-lock" else None
        yield url, lock


@contextlib.asynccontextmanager
async def shared_postgres_database(url: str) -> AsyncIterator[str]:
    """A throwaway database on the shared server, created for the run and dropped after."""
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield url
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def run(args: argparse.Namespace) -> Figures:
    rng = random.Random(args.seed)
    async with database(args) as (url, fault), BotApiEmulator() as emulator:
        log = RESULTS / f"faults_{args.scenario}_{args.database}.log"
        log.unlink(missing_ok=True)
        staff_group = open_staff_group(emulator, group_per_minute=args.group_per_minute)
        koldo = Koldo(emulator, url, log, staff_group)
        if args.latency:
            emulator.delay("*", args.latency, times=10**9)  # a Bot API call takes a while
        await koldo.start()
        started = time.monotonic()
        spread = max(5.0, 2.5 * args.kills) if fault is None else 3 * args.outage
        parents = [
            Parent(SimulatedPerson(emulator, 10_000 + n, "Parent", "en"), rng.uniform(0, spread))
            for n in range(args.parents)
        ]
        staff = Staff(emulator, args.replies, rng)
        staff_done = asyncio.Event()
        working = asyncio.create_task(staff.work(staff_done))
        deadline = started + spread + args.deadline

        def think() -> float:
            return rng.uniform(0, 2 * args.think)

        filing = asyncio.gather(*(file_request(p, args.patience, think, deadline) for p in parents))
        kills: list[Kill] = []
        window: Window | None = None
        try:
            if fault is None:
                kills = await kill_at_random(koldo, args.kills, rng, started)
            else:
                window = await database_fault(koldo, fault, spread / 3, started)
            await filing
            if window is not None:
                began, ended = started + window.began_s, started + window.ended_s
                moments = [moment for parent in parents for moment in parent.acted]
                window.parent_actions = sum(began <= moment <= ended for moment in moments)
            staff.expected = {p.reference for p in parents if p.reference}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(working), deadline - time.monotonic())
            staff_done.set()
            await working
            unfinished = await wait_quiet(emulator, url, args.deadline)
            seconds = time.monotonic() - started
            moments = [started + kill.at_s for kill in kills]
            counted = await count(emulator, url, parents, staff, koldo.log_lines(), moments)
        finally:
            staff_done.set()
            await koldo.stop()
    return Figures(
        scenario=args.scenario,
        database="sqlite" if url.startswith("sqlite") else "postgres",
        parents=args.parents,
        seed=args.seed,
        kills=len(kills),
        parents_filed=sum(p.reference is not None for p in parents),
        parents_stuck=sum(p.reference is None for p in parents),
        send_presses=sum(p.send_presses for p in parents),
        retries=sum(p.retries for p in parents),
        seconds=round(seconds, 1),
        quiet=not unfinished,
        unfinished=unfinished,
        kill_log=[asdict(kill) for kill in kills],
        fault=asdict(window) if window else None,
        **counted,
    )


def report(figures: Figures) -> None:
    rows_ = [
        ("kills", figures.kills),
        ("parents filed / stuck", f"{figures.parents_filed} / {figures.parents_stuck}"),
        ("Send presses / retries", f"{figures.send_presses} / {figures.retries}"),
        ("requests stored", figures.requests_stored),
        ("duplicate requests", figures.duplicate_requests),
        ("lost filings", figures.lost_filings),
        ("requests without a card", figures.requests_without_card),
        ("replies sent / stored / delivered",
         f"{figures.replies_sent} / {figures.replies_stored} / {figures.replies_delivered}"),
        ("replies lost", figures.replies_lost),
        ("duplicates delivered", figures.duplicates_delivered),
        ("  of them per kill", figures.duplicates_per_kill),
        ("  most at one kill in one chat", figures.most_per_kill_in_one_chat),
        ("entries in doubt (Koldo's log)", figures.in_doubt_entries),
        ("duplicates not sent across a kill", figures.unexplained_duplicates),
        ("updates replayed at start", figures.updates_replayed),
        ("seconds", figures.seconds),
    ]  # fmt: skip
    print(
        f"{figures.scenario} on {figures.database}, {figures.parents} parents, seed {figures.seed}"
    )
    for name, value in rows_:
        print(f"  {name:<36} {value}")
    if figures.fault:
        fault = figures.fault
        print(f"  {'fault':<36} {fault['began_s']} s → {fault['ended_s']} s")
        print(f"  {'parent actions during it':<36} {fault['parent_actions']}")
        records = f"{fault['log_records']} ({fault['log_lines']} lines)"
        print(f"  {'log records during it (+10 s)':<36} {records}")
        for message, n in fault["messages"].items():
            print(f"    {n:>4} × {message}")
    for line in figures.losses + figures.duplicates + figures.unfinished:
        print(f"  ! {line}")
    for line in figures.screens_repeated:
        print(f"  (a screen shown again, not counted: {line})")
    missed = figures.missed()
    print("targets met" if not missed else "TARGETS MISSED: " + "; ".join(missed))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=["kill", "postgres-outage", "sqlite-lock"], default="kill"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--parents", type=int, default=30)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--replies", type=int, default=2, help="staff answers per request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the database is gone")
    parser.add_argument(
        "--patience", type=float, default=8.0, help="seconds a parent waits before acting again"
    )
    parser.add_argument(
        "--think", type=float, default=0.3, help="mean seconds a parent takes to read a screen"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--group-per-minute", type=int, default=120)
    parser.add_argument(
        "--deadline", type=float, default=240.0, help="seconds for filing, and for getting quiet"
    )
    parser.add_argument(
        "--postgres-url", default=SHARED_POSTGRES, help="kills on PostgreSQL: dropped afterwards"
    )
    args = parser.parse_args()
    if args.scenario == "postgres-outage":
        args.database = "postgres"
    if args.scenario == "sqlite-lock" and args.database != "sqlite":
        parser.error("sqlite-lock runs on SQLite")
    if args.scenario != "kill":
        args.kills = 0
    return args


def main() -> None:
    args = arguments()
    RESULTS.mkdir(exist_ok=True)
    figures = asyncio.run(run(args))
    report(figures)
    name = f"faults_{figures.scenario}_{figures.database}_{figures.parents}_{figures.seed}.json"
    (RESULTS / name).write_text(json.dumps(asdict(figures), indent=2, ensure_ascii=False))
    sys.exit(1 if figures.missed() else 0)


if __name__ == "__main__":
    main()
