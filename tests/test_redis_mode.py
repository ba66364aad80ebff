"""With KOLDO_REDIS__URL set (several bot processes), conversation state lives in Redis."""

from __future__ import annotations

import os

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

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
