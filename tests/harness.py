"""Running the real Koldo dispatcher against the Bot API emulator, as `koldo run` does.

Shared by the end-to-end tests and the benchmark: the bot is built from Settings exactly as in
production and polls the emulator over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiogram import Bot, Dispatcher

from bot.app import Koldo, build_bot, build_dispatcher, build_koldo
from bot.config import Settings
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
    unless a test passes `flood` (`flood={}`: the defaults)."""
    overrides.setdefault("flood", {"updates": 100_000})
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
    task: asyncio.Task[None] = field(repr=False)

    @property
    def db(self):
        return self.koldo.db


async def start_bot(settings: Settings, *, concurrent: bool = False) -> RunningBot:
    """Start polling. Tests handle updates one at a time (`concurrent=False`): the emulator
    then knows an update is fully handled when the next getUpdates acknowledges it, which
    makes every step deterministic; `koldo run` and the benchmark handle them as tasks."""
    koldo = build_koldo(settings)
    dispatcher = build_dispatcher(koldo)
    bot = build_bot(settings)
    started = asyncio.Event()
    dispatcher.startup.register(lambda: started.set())
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            polling_timeout=settings.telegram.polling_timeout,
            allowed_updates=dispatcher.resolve_used_update_types(),
            close_bot_session=True,
            handle_as_tasks=concurrent,
        )
    )
    await asyncio.wait_for(started.wait(), 10)
    return RunningBot(settings, koldo, dispatcher, bot, task)


async def stop_bot(running: RunningBot) -> None:
    with contextlib.suppress(RuntimeError):
        await running.dispatcher.stop_polling()
    await asyncio.wait_for(running.task, 10)
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


REFERENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "reference.toml"
