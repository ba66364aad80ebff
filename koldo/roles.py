"""What each `koldo` process does: its roles, and how they are put together.

- `bot` handles Telegram's updates (one per token while polling) and does no background work;
- `worker` sends the outbox and runs the scheduled jobs, only while it holds the worker lease
  (`koldo.worker`), so any number may run and exactly one works;
- `koldo run` is both in one process, for a small deployment.

The database must already be at the newest schema (`koldo.cli` checks, or migrates for `koldo
run`, in a child process). The Telegram front is imported only here,
when a role starts, so that importing `koldo` never imports aiogram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from enum import StrEnum

from core import outbox
from core.staff import ensure_admin
from koldo import patches
from koldo.settings import Settings, SettingsError
from koldo.worker import Worker
from storage.database import Database

logger = logging.getLogger(__name__)


class Role(StrEnum):
    BOT = "bot"
    WORKER = "worker"


async def serve(settings: Settings, roles: frozenset[Role]) -> None:
    """Run the roles until SIGINT or SIGTERM; what is in hand is finished before returning."""
    from bot.app import (
        build_bot,
        build_dispatcher,
        build_intake,
        build_koldo,
        publish_profile,
        start_sender,
    )

    koldo = build_koldo(settings)
    bot = build_bot(settings)
    worker: Worker | None = None
    try:
        await prepare(settings, koldo.db)
        if Role.WORKER in roles:
            if unknown := await outbox.unknown_kinds(koldo.db):
                raise SettingsError(
                    f"The outbox holds messages of kinds this version cannot send: "
                    f"{', '.join(unknown)}. Run the version that wrote them."
                )
            worker = Worker(settings, koldo.db, lambda: start_sender(koldo, bot))
            worker.start()
        if Role.BOT in roles:
            dispatcher = build_dispatcher(koldo)
            await bot.delete_webhook(drop_pending_updates=False)
            await publish_profile(bot, koldo.i18n)
            patches.settle_after_start_up()
            intake = build_intake(koldo, dispatcher, bot, concurrent=True)
            await intake.serve(handle_signals=True, close_bot_session=False)
        else:
            patches.settle_after_start_up()
            await _until_stopped()
    finally:
        if worker is not None:
            await worker.stop()
        await bot.session.close()
        await koldo.conversations.close()
        await koldo.db.dispose()
        logger.info("Koldo stopped")


async def prepare(settings: Settings, db: Database) -> None:
    """What every process does first: the administrator named in the settings is staff (so
    the first person to set Koldo up can act in the group at once)."""
    if settings.staff.admin_id is not None:
        await ensure_admin(db, settings.staff.admin_id)
    if settings.staff.chat_id is None:
        logger.warning(
            "KOLDO_STAFF__CHAT_ID is not set: requests are stored and wait for a staff group"
        )


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
