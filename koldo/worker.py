"""The worker: the background work of a deployment, done by exactly one process at a time.

The outbox sender and every scheduled job (escalation, retention, the reminders to come) run
only in the process that holds the database lease `worker` (see `storage.leases`). Any number
of processes may run a worker; the others wait and take over within `LEASE` of the holder
dying (a clean stop hands the lease over at once). Nothing here imports aiogram: the sender is
built by the front that sends, passed in as `start_sender`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol
from uuid import uuid4

from koldo.scheduler import build_scheduler
from koldo.settings import Settings
from storage import leases
from storage.database import Database
from storage.outage import Outage

logger = logging.getLogger(__name__)

LEASE_NAME = "worker"
LEASE = timedelta(seconds=8)
RENEW_SECONDS = 2.0  # a waiting worker looks as often, so it takes over within LEASE + this


class Stoppable(Protocol):
    async def stop(self) -> None: ...


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        start_sender: Callable[[], Awaitable[Stoppable]],
    ) -> None:
        self.settings = settings
        self.db = db
        self.start_sender = start_sender
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"
        self.outage = Outage(logger, "The worker's lease")
        self.active = asyncio.Event()  # set while this process does the background work
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="worker")

    async def stop(self) -> None:
        """Finish the work in hand, then hand the lease over."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wait_for_lease()
            await self._work_while_held()

    async def _hold(self) -> bool:
        try:
            held = await leases.take_or_renew(self.db, LEASE_NAME, self.holder, ttl=LEASE)
        except Exception as error:
            await asyncio.sleep(self.outage.failed(error))
            return False
        self.outage.succeeded()
        return held

    async def _wait_for_lease(self) -> None:
        waiting_said = False
        while not await self._hold():
            if not waiting_said:
                logger.info("Another process does the background work; this worker waits")
                waiting_said = True
            await asyncio.sleep(RENEW_SECONDS)

    async def _work_while_held(self) -> None:
        logger.info("This process does the background work (outbox, scheduled jobs)")
        sender = await self.start_sender()
        scheduler = build_scheduler(self.settings, self.db)
        scheduler.start()
        self.active.set()
        try:
            await self._renew_until_lost()
            logger.warning("The worker's lease was lost; stopping the background work here")
        finally:
            self.active.clear()
            scheduler.shutdown(wait=False)
            await asyncio.shield(self._hand_over(sender))

    async def _renew_until_lost(self) -> None:
        """Renew every RENEW_SECONDS; lost when another process holds it, or when the database
        could not be reached for as long as the lease lasts (someone else may hold it now)."""
        renewed = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                held = await leases.take_or_renew(self.db, LEASE_NAME, self.holder, ttl=LEASE)
            except Exception as error:
                self.outage.failed(error)
                if asyncio.get_running_loop().time() - renewed >= LEASE.total_seconds():
                    return
                continue
            self.outage.succeeded()
            if not held:
                return
            renewed = asyncio.get_running_loop().time()

    async def _hand_over(self, sender: Stoppable) -> None:
        await sender.stop()
        with contextlib.suppress(Exception):  # it runs out by itself otherwise
            await leases.give_back(self.db, LEASE_NAME, self.holder)
