"""Benchmark: N parents file a request at once; how soon is every request in the staff group?

    .venv/bin/python -m bench.staff_inbox [--parents 200] [--database-url URL]
                                          [--group-per-minute 20]

Koldo runs as its own process, exactly as `koldo run`, with a forum staff group, against the
local Bot API emulator over real HTTP. N simulated parents go through the whole Documents flow
at the same moment (as in bench.documents_flow) and each notes the reference Koldo gives them.
Printed: requests filed per second end to end (N over the time until the last parent saw their
reference), p50/p99 time one parent needed for the whole flow, the time until every request was
listed in the group (a digest or its card), the time until every request had its topic and card,
and Koldo's peak resident memory. `--group-per-minute` is the pace into the group (Telegram's
limit, 20, by default; a large value shows what Koldo itself can do). A measurement, not a test.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.documents_flow import (
    arguments,
    documents_parent,
    koldo_environment,
    percentile_ms,
    rss_mb,
    wait_polling,
)
from bench.staff_group import REFERENCE, STAFF_GROUP, open_staff_group
from tests.emulator import BotApiEmulator


@dataclass
class Figures:
    database: str
    parents: int
    group_per_minute: int
    filing_seconds: float
    requests_per_second: float
    flow_p50_s: float
    flow_p99_s: float
    all_listed_s: float
    all_cards_s: float
    cards_after_last_filing_s: float
    group_messages: int
    peak_rss_mb: float


@dataclass
class GroupWatcher:
    """Reads the group's side of the emulator's call log as it grows: when each reference was
    first mentioned in the group, and when its card was posted in its own topic."""

    emulator: BotApiEmulator
    listed: dict[str, float] = field(default_factory=dict)
    carded: dict[str, float] = field(default_factory=dict)
    messages: int = 0
    _seen: int = 0

    def scan(self) -> None:
        calls = self.emulator.calls
        while self._seen < len(calls) and calls[self._seen].finished is not None:
            call = calls[self._seen]
            self._seen += 1
            if call.chat_id != STAFF_GROUP or call.status != 200:
                continue
            if call.method == "createForumTopic" or call.method.startswith("send"):
                self.messages += 1
            if call.method != "sendMessage":
                continue
            references = REFERENCE.findall(str(call.params.get("text", "")))
            for reference in references:
                self.listed.setdefault(reference, call.finished)
            if call.params.get("message_thread_id") and references:
                self.carded.setdefault(references[0], call.finished)

    async def wait_all(self, references: set[str], within: float) -> None:
        deadline = time.monotonic() + within
        while not references <= self.carded.keys():
            if time.monotonic() > deadline:
                missing = len(references - self.carded.keys())
                raise SystemExit(f"{missing} cards did not reach the group within {within:.0f} s")
            await asyncio.sleep(0.2)
            self.scan()


async def file_one(emulator: BotApiEmulator, user_id: int) -> tuple[str, float]:
    """One parent through the Documents flow; their reference and when they saw it."""
    person = await documents_parent(emulator, user_id)
    found = REFERENCE.search(person.messages()[-1].text)
    if found is None:
        raise SystemExit(f"parent {user_id} saw no reference")
    return found.group(), time.monotonic()


async def measure(env: dict[str, str], parents: int, group_per_minute: int) -> Figures:
    async with BotApiEmulator() as emulator:
        env = {
            **env,
            "KOLDO_TELEGRAM__API_BASE_URL": emulator.base_url,
            **open_staff_group(emulator, group_per_minute=group_per_minute),
        }
        koldo = Path(sys.executable).with_name("koldo")
        process = await asyncio.create_subprocess_exec(
            str(koldo), "--log-level", "WARNING", "run",
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        watcher = GroupWatcher(emulator)
        try:
            await wait_polling(emulator, process)
            await asyncio.sleep(1)
            started = time.monotonic()
            filed = await asyncio.gather(*(file_one(emulator, 10_000 + n) for n in range(parents)))
            last_filed = max(moment for _reference, moment in filed)
            references = {reference for reference, _moment in filed}
            # Two group messages per request (topic, card) at the pace, plus a margin.
            await watcher.wait_all(references, within=120 + 2 * parents * 60 / group_per_minute)
            peak = rss_mb(process.pid, "VmHWM")
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
    flows = [moment - started for _reference, moment in filed]
    all_listed = max(watcher.listed[reference] for reference in references)
    all_carded = max(watcher.carded[reference] for reference in references)
    filing = last_filed - started
    return Figures(
        database=env["KOLDO_DATABASE__URL"].split(":", 1)[0],
        parents=parents,
        group_per_minute=group_per_minute,
        filing_seconds=round(filing, 2),
        requests_per_second=round(parents / filing, 1),
        flow_p50_s=round(statistics.median(flows), 2),
        flow_p99_s=round(percentile_ms(flows, 0.99) / 1000, 2),
        all_listed_s=round(all_listed - started, 2),
        all_cards_s=round(all_carded - started, 2),
        cards_after_last_filing_s=round(all_carded - last_filed, 2),
        group_messages=watcher.messages,
        peak_rss_mb=round(peak, 1),
    )


async def main() -> None:
    parser = arguments(__doc__, parents=200)
    parser.add_argument("--group-per-minute", type=int, default=20)
    args = parser.parse_args()
    async with koldo_environment(args.database_url) as env:
        figures = await measure(env, args.parents, args.group_per_minute)

    for name, value in asdict(figures).items():
        print(f"{name:<28} {value}")
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    name = f"staff_inbox_{figures.database}_{figures.parents}_{figures.group_per_minute}.json"
    (results / name).write_text(json.dumps(asdict(figures), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
