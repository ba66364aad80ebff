"""With KOLDO_REDIS__URL set (several bot processes), conversation state lives in Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversations import LOCK_SECONDS
from tests.e2e import Request, fill_documents_form, onboard, rows, tr
from tests.emulator import SimulatedPerson
from tests.harness import bot_running, make_settings

REDIS_URL = os.environ.get("KOLDO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_REDIS = os.environ.get("KOLDO_REQUIRE_REDIS") == "1"


@pytest.fixture
async def redis_url():
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error})"
        if REQUIRE_REDIS:
            pytest.fail(message + " but KOLDO_REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(message + "; set KOLDO_TEST_REDIS_URL to run these tests")
    await client.flushdb()
    yield REDIS_URL
    await client.flushdb()
    await client.aclose()


async def test_flow_state_lives_in_redis_and_survives_a_restart(emulator, database_url, redis_url):
    settings = make_settings(database_url, emulator.base_url, redis={"url": redis_url})
    parent = SimulatedPerson(emulator, user_id=8001)
    async with bot_running(settings) as running:
        await onboard(parent, "ru")
        await parent.press(tr("ru", "📄 Documents"))
        await parent.press(tr("ru", "👶 Birth certificate"))
        assert await rows(running.db, Request) == []
    client = Redis.from_url(redis_url)
    keys = [key.decode() for key in await client.keys("fsm:*")]
    await client.aclose()
    assert any(":8001:8001:aiogd:" in key for key in keys)

    async with bot_running(settings) as restarted:
        await parent.press(tr("ru", "🧒 For a child"))
        assert parent.screen().text == tr(
            "ru", "🧒 How old is the child?\nSend a number, for example 9."
        )
        await parent.send_command("/start")
        await fill_documents_form(parent, "ru")
        await parent.press(tr("ru", "✅ Send"))
        [request] = await rows(restarted.db, Request)
        assert request.user_id == 8001


class ThrowawayRedis:
    """A Redis server of this test's own, to stop and start (never the shared one)."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.directory),
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        try:
            for _ in range(200):
                with contextlib.suppress(RedisError, OSError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.025)
            raise AssertionError("the throwaway Redis did not start")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            await self.process.wait()
            self.process = None


@pytest.fixture
async def throwaway_redis(redis_url: str, tmp_path: Path) -> AsyncIterator[ThrowawayRedis]:
    """Needs redis-server; `redis_url` makes the test skip (or fail in CI) like the others."""
    if shutil.which("redis-server") is None:
        if REQUIRE_REDIS:
            pytest.fail("redis-server is not installed but KOLDO_REQUIRE_REDIS=1", pytrace=False)
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    await server.start()
    yield server
    await server.stop()


async def test_during_a_redis_outage_every_press_and_message_is_answered(
    emulator, database_url, throwaway_redis
):
    settings = make_settings(database_url, emulator.base_url, redis={"url": throwaway_redis.url})
    parent = SimulatedPerson(emulator, user_id=8101)
    async with bot_running(settings):
        await onboard(parent, "ky")
        await throwaway_redis.stop()
        await parent.press(tr("ky", "📄 Documents"))
        sorry = tr("ky", "⚠️ We could not save that. Please try again in a minute.")
        assert [alert.text for alert in parent.alerts()][-1:] == [sorry]
        await parent.send_text("Салам")
        assert parent.screen().text == sorry
        await throwaway_redis.start()  # back, though empty: the parent starts again
        await parent.send_command("/start")
        assert any(tr("ky", "📄 Documents") == text for text in parent.buttons())


HOLD_A_LOCK = """
import asyncio, sys
from aiogram.fsm.storage.base import StorageKey
from bot.conversations import Conversations

async def main():
    conversations = Conversations.build(None, sys.argv[1])
    key = StorageKey(bot_id=int(sys.argv[2]), chat_id=int(sys.argv[3]), user_id=int(sys.argv[3]))
    await conversations.isolation.lock(key).__aenter__()
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_lock_left_by_a_killed_process_expires_in_seconds(
    emulator, database_url, redis_url
):
    settings = make_settings(database_url, emulator.base_url, redis={"url": redis_url})
    parent = SimulatedPerson(emulator, user_id=8102)
    async with bot_running(settings) as running:
        await onboard(parent, "ru")
        # Another process takes this chat's lock, as when handling an update, and is killed.
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_A_LOCK, redis_url, str(running.bot.id), "8102",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
        holder.kill()
        await holder.wait()
        started = time.monotonic()
        await parent.press(tr("ru", "📄 Documents"), wait=False)
        await emulator.wait_until(
            8102,
            lambda: parent.screen().text == tr("ru", "📄 Which document do you need help with?"),
        )
        assert time.monotonic() - started < LOCK_SECONDS + 3


async def test_forget_leaves_no_conversation_state_in_redis(emulator, database_url, redis_url):
    settings = make_settings(database_url, emulator.base_url, redis={"url": redis_url})
    parent = SimulatedPerson(emulator, user_id=8101)
    async with bot_running(settings):
        await onboard(parent, "ru")
        await parent.press(tr("ru", "📄 Documents"))
        await parent.send_command("/forget")
        await parent.press(tr("ru", "🗑 Yes, erase"))
        assert tr("ru", "✅ Done. Your language choice and consent were erased.") in (
            parent.screen().text
        )
    client = Redis.from_url(redis_url)
    keys = [key.decode() for key in await client.keys("*")]
    await client.aclose()
    assert [key for key in keys if "8101" in key] == []
