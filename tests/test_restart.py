"""A parent half-way through a form continues where they were after the bot restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e import Request, onboard, rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import TEST_TOKEN, bot_running, make_settings, stop_bot

KOLDO = Path(sys.executable).with_name("koldo")


async def test_restart_in_the_middle_of_the_documents_flow(koldo, emulator, database_url):
    parent = SimulatedPerson(emulator, user_id=6001)
    await onboard(parent, "ky")
    await parent.press(tr("ky", "📄 Documents"))
    await parent.press(tr("ky", "👶 Birth certificate"))
    await parent.press(tr("ky", "🧒 For a child"))
    await stop_bot(koldo)

    async with bot_running(make_settings(database_url, emulator.base_url)) as restarted:
        await parent.send_text("11")
        assert parent.screen().text == tr("ky", "📍 Where do you live? Choose your settlement.")
        await parent.press(parent.buttons()[0])
        await parent.send_text("Туулгандыгы тууралуу күбөлүк жок")
        await parent.press(tr("ky", "➡️ Next"))
        await parent.press(tr("ky", "📱 Share my number"))
        await parent.press(tr("ky", "✅ Send"))
        [request] = await rows(restarted.db, Request)
        assert (request.child_age, request.document_type) == (11, "birth_certificate")


async def _start_koldo_process(
    emulator: BotApiEmulator, database_url: str
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "KOLDO_TELEGRAM__TOKEN": TEST_TOKEN,
        "KOLDO_TELEGRAM__API_BASE_URL": emulator.base_url,
        "KOLDO_TELEGRAM__POLLING_TIMEOUT": "1",
        "KOLDO_DATABASE__URL": database_url,
    }
    env.pop("KOLDO_REDIS__URL", None)
    published = len(emulator.calls_of("setMyCommands"))
    process = await asyncio.create_subprocess_exec(
        str(KOLDO),
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    for _ in range(300):
        if (
            len(emulator.calls_of("getUpdates"))
            and len(emulator.calls_of("setMyCommands")) > published
        ):
            return process
        if process.returncode is not None:
            break
        await asyncio.sleep(0.05)
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    process.kill()
    raise AssertionError(f"koldo run did not start polling:\n{stderr}")


async def _terminate(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0, (await process.stderr.read()).decode()


async def test_koldo_run_stops_on_sigterm_and_resumes_the_flow(emulator, database_url):
    process = await _start_koldo_process(emulator, database_url)
    parent = SimulatedPerson(emulator, user_id=6101, quiet=0.3)
    try:
        await onboard(parent, "ru")
        await parent.press(tr("ru", "🏫 School"))
        await parent.send_text("8")
    finally:
        await _terminate(process)

    process = await _start_koldo_process(emulator, database_url)
    try:
        await parent.press("2")
        assert parent.screen().text == tr("ru", "📍 Where do you live? Choose your settlement.")
    finally:
        await _terminate(process)
