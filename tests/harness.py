"""Running the real Koldo dispatcher against the Bot API emulator, as `koldo run` does.

Shared by the end-to-end tests and the benchmark: the bot is built from Settings exactly as in
production and polls the emulator over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher

from bot.app import Koldo, build_bot, build_dispatcher, build_intake, build_koldo, start_sender
from bot.intake import UpdateIntake
from koldo.roles import prepare
from koldo.settings import Settings
from koldo.worker import Worker
from tests.emulator import BotApiEmulator

TEST_TOKEN = "123456:TEST-token-for-the-local-emulator"


def make_settings(
    database_url: str,
    api_base_url: str,
    *,
    telegram: dict[str, object] | None = None,
    **overrides: object,
) -> Settings:
    """Settings for a test: nothing from the environment or a stray .env file.

    A simulated person acts far faster than anyone can, so flood control is set out of reach
    unless a test passes `flood` (`flood={}`: the defaults). Quiet hours are off unless a test
    sets them, so that a test does not depend on the hour it runs at."""
    overrides.setdefault("flood", {"updates": 100_000})
    overrides["outbox"] = {"quiet_hours": "00:00-00:00", **overrides.get("outbox", {})}
    # Nor do the centres' morning summaries appear in the staff group of a test that runs (or
    # freezes the clock) in opening hours, unless the test asks for them.
    overrides["booking"] = {"morning_summary": False, **overrides.get("booking", {})}
    return Settings(
        _env_file=None,
        telegram={
            "token": TEST_TOKEN,
            "api_base_url": api_base_url,
            "polling_timeout": 1,
            **(telegram or {}),
        },
        database={"url": database_url},
        **overrides,
    )


@dataclass
class RunningBot:
    settings: Settings
    koldo: Koldo
    dispatcher: Dispatcher
    bot: Bot
    intake: UpdateIntake
    worker: Worker
    task: asyncio.Task[None] = field(repr=False)

    @property
    def db(self):
        return self.koldo.db


async def start_bot(settings: Settings, *, concurrent: bool = False) -> RunningBot:
    """Start polling and the worker, as `koldo run` does. Tests handle updates one at a time
    (`concurrent=False`): the emulator then knows an update is fully handled when the next
    getUpdates acknowledges it, which makes every step deterministic; `koldo run` and the
    benchmark handle them as tasks."""
    koldo = build_koldo(settings)
    await prepare(settings, koldo.db)
    dispatcher = build_dispatcher(koldo)
    bot = build_bot(settings)
    worker = Worker(settings, koldo.db, lambda: start_sender(koldo, bot))
    worker.start()
    started = asyncio.Event()
    dispatcher.startup.register(lambda: started.set())
    intake = build_intake(koldo, dispatcher, bot, concurrent=concurrent)
    task = asyncio.create_task(intake.serve(close_bot_session=False))
    await asyncio.wait_for(asyncio.gather(started.wait(), worker.active.wait()), 10)
    return RunningBot(settings, koldo, dispatcher, bot, intake, worker, task)


async def stop_bot(running: RunningBot) -> None:
    running.intake.stop()
    await asyncio.wait_for(running.task, 30)
    await running.worker.stop()
    await running.bot.session.close()
    await running.koldo.conversations.close()
    await running.koldo.db.dispose()


@contextlib.asynccontextmanager
async def bot_running(settings: Settings, *, concurrent: bool = False) -> AsyncIterator[RunningBot]:
    running = await start_bot(settings, concurrent=concurrent)
    try:
        yield running
    finally:
        await stop_bot(running)


async def emulator_running() -> BotApiEmulator:
    emulator = BotApiEmulator()
    await emulator.start()
    return emulator


def _log_file(log: Path | None) -> Any:
    return log.open("ab") if log else asyncio.subprocess.DEVNULL


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


async def start_koldo_process(
    emulator: BotApiEmulator,
    database_url: str,
    *,
    command: str = "run",
    log: Path | None = None,
    **env: str,
) -> asyncio.subprocess.Process:
    """`koldo run` (or `koldo bot`, `koldo worker`) in a process of its own against the
    emulator; `env` adds settings (`KOLDO_STAFF__CHAT_ID="-100..."`), `log` keeps what it logs
    (else it is dropped). Returns once it polls (`run`, `bot`), or at once (`worker`)."""
    environment = {
        **os.environ,
        "KOLDO_TELEGRAM__TOKEN": TEST_TOKEN,
        "KOLDO_TELEGRAM__API_BASE_URL": emulator.base_url,
        "KOLDO_TELEGRAM__POLLING_TIMEOUT": "1",
        "KOLDO_DATABASE__URL": database_url,
        # Simulated people are faster than anyone: flood control out of reach, as in make_settings.
        "KOLDO_FLOOD__UPDATES": "100000",
        **env,
    }
    if "KOLDO_REDIS__URL" not in env:
        environment.pop("KOLDO_REDIS__URL", None)
    published = len(emulator.calls_of("setMyCommands"))
    polled = len(emulator.calls_of("getUpdates"))
    output = _log_file(log)
    try:
        process = await asyncio.create_subprocess_exec(
            str(KOLDO), command, env=environment, stdout=output, stderr=output
        )
    finally:
        if output is not asyncio.subprocess.DEVNULL:
            output.close()
    if command == "worker":
        return process
    for _ in range(600):  # 30 s: a loaded CI machine starts slowly
        if (
            len(emulator.calls_of("getUpdates")) > polled
            and len(emulator.calls_of("setMyCommands")) > published
        ):
            return process
        if process.returncode is not None:
            break
        await asyncio.sleep(0.05)
    if process.returncode is None:
        process.kill()
    written = _read(log) if log else "(run with log= to see its log)"
    raise AssertionError(f"koldo {command} did not start polling:\n{written}")


async def terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, and a clean exit within 20 s."""
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0, f"koldo exited with {code}"


KOLDO = Path(sys.executable).with_name("koldo")
REFERENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "reference.toml"
