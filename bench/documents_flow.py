"""Benchmark: many parents through the Documents flow at once, against a bare echo bot.

    .venv/bin/python -m bench.documents_flow [--parents 1000] [--database-url URL]
        [--rounds N] [--patches all,none,without-lean_models,... | --patches each] [--layout split]

Both bots run as their own processes (Koldo exactly as `koldo run`, handling updates as tasks;
with `--layout split` as `koldo bot` beside a `koldo worker`, whose memory is reported too)
and poll the same kind of local Bot API emulator over real HTTP. Every simulated person waits
for what they need to see next (the button to press, the echo) before acting, like a person
would, but without thinking time. Printed for each bot: updates handled per second, p50/p99
time from an update to the bot's first reply call about that chat, and the bot process's peak
resident memory. This is a measurement, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from koldo.patches import PATCHES
from storage.migrate import drop_everything
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import TEST_TOKEN

STEPS_PER_PARENT = 13
WITHOUT = "without-"
EACH = ["all", "none", *(WITHOUT + name for name in PATCHES)]
STORY = "We lost the birth certificate of our son when we moved to Bishkek."


@dataclass
class Figures:
    bot: str
    people: int
    updates: int
    seconds: float
    updates_per_second: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    idle_rss_mb: float
    cpu_ms_per_update: float
    worker_peak_rss_mb: float | None = None


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user and system): unlike updates per second it hardly
    moves when other work shares the machine, so variants measured apart stay comparable."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str) -> float:
    """VmHWM is the peak resident set of the process so far, VmRSS the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def wait_polling(emulator: BotApiEmulator, process: asyncio.subprocess.Process) -> None:
    for _ in range(600):
        if emulator.calls_of("getUpdates"):
            return
        if process.returncode is not None:
            raise SystemExit(f"the bot exited with {process.returncode} before polling")
        await asyncio.sleep(0.05)
    raise SystemExit("the bot did not start polling within 30 s")


def _sees(person: SimulatedPerson, button: str) -> Callable[[], bool]:
    def check() -> bool:
        messages = person.messages()
        return bool(messages) and button in messages[-1].flat_buttons()

    return check


def _reads(person: SimulatedPerson, words: str) -> Callable[[], bool]:
    def check() -> bool:
        messages = person.messages()
        return bool(messages) and words in messages[-1].text

    return check


async def _step(
    emulator: BotApiEmulator,
    person: SimulatedPerson,
    act: Callable[[], Awaitable[int]],
    ready: Callable[[], bool],
) -> None:
    await act()
    await emulator.wait_until(person.chat_id, ready, timeout=300)


async def documents_parent(emulator: BotApiEmulator, user_id: int) -> SimulatedPerson:
    person = SimulatedPerson(emulator, user_id=user_id, language_code="en")
    steps: list[tuple[Callable[[], Awaitable[int]], Callable[[], bool]]] = [
        (lambda: person.send_command("/start", wait=False), _sees(person, "✅ English")),
        (lambda: person.press("✅ English", wait=False), _sees(person, "✅ I agree")),
        (lambda: person.press("✅ I agree", wait=False), _sees(person, "📄 Documents")),
        (lambda: person.press("📄 Documents", wait=False), _sees(person, "👶 Birth certificate")),
        (lambda: person.press("👶 Birth certificate", wait=False), _sees(person, "🧒 For a child")),
        (lambda: person.press("🧒 For a child", wait=False), _reads(person, "How old")),
        (lambda: person.send_text("9", wait=False), _sees(person, "Ak-Ordo")),
        (lambda: person.press("Ak-Ordo", wait=False), _reads(person, "in your own words")),
        (lambda: person.send_text(STORY, wait=False), _sees(person, "➡️ Next")),
        (lambda: person.press("➡️ Next", wait=False), lambda: person.reply_keyboard() is not None),
        (lambda: person.press("📱 Share my number", wait=False), _sees(person, "✅ No")),
        (lambda: person.press("✅ No", wait=False), _sees(person, "✅ Send")),
        (lambda: person.press("✅ Send", wait=False), _reads(person, "K-")),
    ]
    assert len(steps) == STEPS_PER_PARENT
    for act, ready in steps:
        await _step(emulator, person, act, ready)
    return person


async def echo_person(emulator: BotApiEmulator, user_id: int) -> None:
    person = SimulatedPerson(emulator, user_id=user_id, language_code="en")
    for number in range(STEPS_PER_PARENT):
        text = f"message {number}"
        await _step(
            emulator,
            person,
            lambda text=text: person.send_text(text, wait=False),
            _reads(person, text),
        )


async def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    people: int,
    person: Callable[[BotApiEmulator, int], Awaitable[None]],
    worker: list[str] | None = None,
) -> Figures:
    async with BotApiEmulator() as emulator:
        env = {**env, "KOLDO_TELEGRAM__API_BASE_URL": emulator.base_url}
        arguments = [*command, emulator.base_url, TEST_TOKEN] if name == "echo" else command
        companion = await _start(worker, env) if worker else None
        process = await _start(arguments, env)
        try:
            await wait_polling(emulator, process)
            await asyncio.sleep(1)
            idle = rss_mb(process.pid, "VmRSS")
            started, cpu_before = time.monotonic(), cpu_seconds(process.pid)
            await asyncio.gather(*(person(emulator, 10_000 + n) for n in range(people)))
            seconds = time.monotonic() - started
            cpu = cpu_seconds(process.pid) - cpu_before
            peak = rss_mb(process.pid, "VmHWM")
            worker_peak = rss_mb(companion.pid, "VmHWM") if companion else None
        finally:
            for running in (process, companion):
                if running is not None:
                    running.terminate()
                    await asyncio.wait_for(running.wait(), 30)
        latencies = emulator.response_latencies()
        calls = Counter(call.method for call in emulator.calls)
        print(f"{name}: Bot API calls {dict(calls.most_common())}", file=sys.stderr)
        updates = people * STEPS_PER_PARENT
        return Figures(
            bot=name,
            people=people,
            updates=updates,
            seconds=round(seconds, 2),
            updates_per_second=round(updates / seconds, 1),
            p50_ms=round(statistics.median(latencies) * 1000, 1),
            p99_ms=round(percentile_ms(latencies, 0.99), 1),
            peak_rss_mb=round(peak, 1),
            idle_rss_mb=round(idle, 1),
            cpu_ms_per_update=round(cpu * 1000 / updates, 2),
            worker_peak_rss_mb=round(worker_peak, 1) if worker_peak else None,
        )


async def _start(command: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def arguments(doc: str | None, *, parents: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--parents", type=int, default=parents)
    parser.add_argument(
        "--database-url", help="default: a new SQLite file; a throwaway database, it is emptied"
    )
    return parser


@asynccontextmanager
async def koldo_environment(
    database_url: str | None, settings: dict[str, str] | None = None
) -> AsyncIterator[dict[str, str]]:
    """The environment Koldo runs in: the test token, short polls, and a fresh database (a new
    SQLite file unless a URL is given), seeded with `settings` (more KOLDO_ variables, e.g. a
    reference file of the benchmark's own) already in force."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KOLDO_")},
            "KOLDO_TELEGRAM__TOKEN": TEST_TOKEN,
            "KOLDO_TELEGRAM__POLLING_TIMEOUT": "1",
            "KOLDO_DATABASE__URL": database_url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
            **(settings or {}),
        }
        await fresh_database(env)
        yield env


async def fresh_database(env: dict[str, str]) -> None:
    """An empty, migrated and seeded database: a PostgreSQL one given on the command line is a
    throwaway whose schema is dropped, so every run starts from K-000001 with an empty outbox."""
    url = env["KOLDO_DATABASE__URL"]
    if url.startswith("postgresql"):
        await drop_everything(url)
    koldo = Path(sys.executable).with_name("koldo")
    seeding = await asyncio.create_subprocess_exec(
        str(koldo), "seed", env=env, stdout=subprocess.DEVNULL
    )
    if await seeding.wait():
        raise SystemExit("koldo seed failed")


def patch_settings(variant: str) -> dict[str, str]:
    """Koldo's performance settings for a variant: `all` patches (as deployed), `none`, or
    `without-<patch>` (all but that one), as koldo.patches reads them."""
    if variant == "all":
        return {"KOLDO_PERFORMANCE__PATCHES": "true"}
    if variant == "none":
        return {"KOLDO_PERFORMANCE__PATCHES": "false"}
    return {"KOLDO_PERFORMANCE__LEAVE_OUT": variant.removeprefix(WITHOUT)}


def variants(value: str) -> list[str]:
    chosen = EACH if value == "each" else [name.strip() for name in value.split(",")]
    unknown = [name for name in chosen if name not in EACH]
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: choose from {', '.join(EACH)}")
    return chosen


async def main() -> None:
    parser = arguments(__doc__, parents=1000)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure the bots this many times, alternating"
    )
    parser.add_argument(
        "--patches",
        type=variants,
        default=["all"],
        help="Koldo's performance patches in each measured variant, comma-separated: all, none, "
        f"without-<patch> ({', '.join(PATCHES)}); `each` is all of those",
    )
    parser.add_argument(
        "--layout",
        choices=["run", "split"],
        default="run",
        help="koldo run (one process), or koldo bot measured beside a koldo worker",
    )
    args = parser.parse_args()
    koldo = [str(Path(sys.executable).with_name("koldo")), "--log-level", "WARNING"]
    koldo_command = [*koldo, "run" if args.layout == "run" else "bot"]
    worker_command = [*koldo, "worker"] if args.layout == "split" else None
    rounds: list[dict[str, Any]] = []
    for _round in range(args.rounds):
        echo = await measure(
            "echo",
            [sys.executable, "-m", "bench.echo_bot"],
            {**os.environ},
            args.parents,
            echo_person,
        )
        measured: dict[str, Any] = {"echo": asdict(echo)}
        for variant in args.patches:
            async with koldo_environment(args.database_url) as env:  # a fresh database each time
                env.update(patch_settings(variant))
                koldo = await measure(
                    "koldo", koldo_command, env, args.parents, documents_parent, worker_command
                )
            ratio = koldo.updates_per_second / echo.updates_per_second
            measured[variant] = {**asdict(koldo), "ratio": round(ratio, 3)}
            _print_round(variant, echo, koldo, ratio)
        rounds.append(measured)

    summary = {variant: _summary(variant, rounds) for variant in args.patches}
    print(f"over {len(rounds)} round(s): median koldo / echo updates per second (target ≥ 0.40),")
    print("median koldo updates per second and CPU ms per update, koldo's highest peak memory")
    print("(target < 200 MB) and idle memory:")
    for variant, figures in summary.items():
        print(
            f"  {variant:<24} ratio {figures['median_ratio']:.2f}  "
            f"{figures['median_updates_per_second']:>7} upd/s  "
            f"{figures['median_cpu_ms_per_update']:>5} CPU ms/update  "
            f"peak {figures['peak_rss_mb']} MB  idle {figures['idle_rss_mb']} MB"
        )
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "documents_flow.json").write_text(
        json.dumps({"rounds": rounds, "summary": summary}, indent=2)
    )


def _summary(variant: str, rounds: list[dict[str, Any]]) -> dict[str, float]:
    runs = [measured[variant] for measured in rounds]
    return {
        "median_ratio": statistics.median(run["ratio"] for run in runs),
        "median_updates_per_second": statistics.median(run["updates_per_second"] for run in runs),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "idle_rss_mb": max(run["idle_rss_mb"] for run in runs),
        "median_cpu_ms_per_update": statistics.median(run["cpu_ms_per_update"] for run in runs),
    }


def _print_round(variant: str, echo: Figures, koldo: Figures, ratio: float) -> None:
    print(f"patches: {variant}")
    print(
        f"{'bot':<6} {'people':>6} {'updates':>8} {'upd/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'peak MB':>8} {'idle MB':>8} {'CPU ms/upd':>10}"
    )
    for row in (echo, koldo):
        print(
            f"{row.bot:<6} {row.people:>6} {row.updates:>8} {row.updates_per_second:>8} "
            f"{row.p50_ms:>8} {row.p99_ms:>8} {row.peak_rss_mb:>8} {row.idle_rss_mb:>8} "
            f"{row.cpu_ms_per_update:>10}"
        )
    print(f"koldo / echo updates per second: {ratio:.2f}")
    if koldo.worker_peak_rss_mb is not None:
        print(f"koldo worker peak memory: {koldo.worker_peak_rss_mb} MB")


if __name__ == "__main__":
    asyncio.run(main())
