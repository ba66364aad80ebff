"""`koldo run` killed with SIGKILL in the middle of an update loses nothing and files nothing
twice: the update is handled again when Koldo starts (issue 9, items 2 and 5)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from storage.database import Database
from tests.e2e import Request, onboard, rows, start_documents_form, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import start_koldo_process, terminate


async def _kill_while_answering(
    emulator: BotApiEmulator, process: asyncio.subprocess.Process, calls_before: int
) -> None:
    """Wait until the bot's answer to the update is held by the emulator, then SIGKILL."""
    for _ in range(400):
        if len(emulator.calls) > calls_before:
            break
        await asyncio.sleep(0.025)
    else:
        raise AssertionError("the bot never answered the update")
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def _once_filed(db: Database, within: float = 10.0) -> list[Request]:
    """The requests, once there is one (a replayed update is handled after polling starts)."""
    for _ in range(int(within / 0.05)):
        if found := await rows(db, Request):
            return found
        await asyncio.sleep(0.05)
    return []


async def _to_the_story(parent: SimulatedPerson) -> None:
    await onboard(parent, "ru")
    await start_documents_form(parent, "ru")


async def test_a_story_sent_while_koldo_is_killed_is_kept(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "koldo.log"
    process = await start_koldo_process(emulator, database_url, log=log)
    parent = SimulatedPerson(emulator, user_id=6301, quiet=0.3)
    try:
        await _to_the_story(parent)
        emulator.delay("*", 2)  # the screen after the story is drawn, but never acknowledged
        calls = len(emulator.calls)
        await parent.send_text("Свидетельство сгорело при пожаре", wait=False)
        await _kill_while_answering(emulator, process, calls)
    finally:
        if process.returncode is None:
            process.kill()

    process = await start_koldo_process(emulator, database_url, log=log)
    try:
        await parent.press(tr("ru", "➡️ Next"))
        await parent.press(tr("ru", "📱 Share my number"))
        await parent.press(tr("ru", "✅ No"))
        await parent.press(tr("ru", "✅ Send"))
        db = Database.from_url(database_url)
        try:
            [request] = await rows(db, Request)
        finally:
            await db.dispose()
        assert request.description == "Свидетельство сгорело при пожаре"
    finally:
        await terminate(process)


async def test_send_pressed_while_koldo_is_killed_files_one_request(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "koldo.log"
    process = await start_koldo_process(emulator, database_url, log=log)
    parent = SimulatedPerson(emulator, user_id=6302, quiet=0.3)
    try:
        await _to_the_story(parent)
        await parent.send_text("Нет свидетельства о рождении")
        await parent.press(tr("ru", "➡️ Next"))
        await parent.press(tr("ru", "📱 Share my number"))
        await parent.press(tr("ru", "✅ No"))
        summary = parent.screen()
        [send] = [b for row in summary.inline_buttons for b in row if b.text == tr("ru", "✅ Send")]
        emulator.delay("*", 2)  # the request is filed; the "sent" screen is never confirmed
        calls = len(emulator.calls)
        await parent.press(tr("ru", "✅ Send"), wait=False)
        await _kill_while_answering(emulator, process, calls)
    finally:
        if process.returncode is None:
            process.kill()

    process = await start_koldo_process(emulator, database_url, log=log)
    try:
        db = Database.from_url(database_url)
        try:
            # Killed before the request was saved, the press is handled again after the start.
            [request] = await _once_filed(db)
            reference = f"K-{request.id:06d}"
            await emulator.wait_until(parent.user_id, lambda: reference in parent.screen().text)
            # The same press delivered once more (Telegram repeats it, or an old copy of the
            # summary is pressed): still one request.
            await parent.press_data(send.callback_data or "", summary.message_id)
            assert len(await rows(db, Request)) == 1
            assert reference in parent.screen().text
        finally:
            await db.dispose()
    finally:
        await terminate(process)
