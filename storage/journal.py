"""The journal of received Telegram updates (see `storage.models.ReceivedUpdate`).

An update is written down before Telegram is told it arrived and marked handled once what it
changed is saved; so a process killed with updates in hand finds them here at its next start.
Marks are written in batches a few milliseconds apart, and always after the conversation state
those updates changed (`before_marking`): an update is never marked handled while the screen it
led to could still be lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import connection_scope
from storage.models import ReceivedUpdate
from storage.outage import DelayedFlush, Outage

logger = logging.getLogger(__name__)

# Telegram keeps an unconfirmed update for 24 hours; an id kept longer recognises any repeat.
KEEP_HANDLED = timedelta(days=2)


def _now() -> datetime:
    return datetime.now(UTC)


class UpdateJournal:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        before_marking: Callable[[], Awaitable[None]] | None = None,
        flush_delay: float = 0.02,
    ) -> None:
        self._engine = engine
        self._before_marking = before_marking
        self._handled: list[int] = []
        self._flusher = DelayedFlush(
            self.flush,
            lambda: bool(self._handled),
            delay=flush_delay,
            outage=Outage(logger, "Marking updates as handled"),
        )

    async def record(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Write down updates as they arrived (raw JSON); returns the ids seen for the first
        time, in order. An id already written is a repeat: it was or is being handled."""
        if not updates:
            return []
        ids = [update_id for update_id, _raw in updates]
        async with connection_scope(self._engine) as connection:
            known = set(
                await connection.scalars(
                    select(ReceivedUpdate.update_id).where(ReceivedUpdate.update_id.in_(ids))
                )
            )
            new = [(update_id, raw) for update_id, raw in updates if update_id not in known]
            if new:
                now = _now()
                await connection.execute(
                    insert(ReceivedUpdate),
                    [{"update_id": i, "payload": raw, "received_at": now} for i, raw in new],
                )
        return [update_id for update_id, _raw in new]

    async def unhandled(self) -> list[tuple[int, str]]:
        """Updates written down but never marked handled (a previous process died with them)."""
        async with connection_scope(self._engine) as connection:
            rows = await connection.execute(
                select(ReceivedUpdate.update_id, ReceivedUpdate.payload)
                .where(ReceivedUpdate.handled_at.is_(None))
                .order_by(ReceivedUpdate.update_id)
            )
            return [(update_id, payload or "{}") for update_id, payload in rows]

    def handled(self, update_id: int) -> None:
        """Mark an update handled (written with the next batch)."""
        self._handled.append(update_id)
        self._flusher.soon()

    async def flush(self) -> None:
        """Write the pending marks now, after the conversation state they depend on; the
        handled update's raw text is dropped with it."""
        if not self._handled:
            return
        batch, self._handled = self._handled, []
        try:
            if self._before_marking is not None:
                await self._before_marking()
            async with connection_scope(self._engine) as connection:
                await connection.execute(
                    update(ReceivedUpdate)
                    .where(ReceivedUpdate.update_id.in_(batch))
                    .values(handled_at=_now(), payload=None)
                )
        except BaseException:
            self._handled = batch + self._handled
            raise

    async def close(self) -> None:
        """Write what is pending (at shutdown, after the last update was handled)."""
        await self._flusher.stop()
        await self.flush()


async def prune_handled(engine: AsyncEngine) -> int:
    """Forget ids handled long enough ago that Telegram can no longer repeat them."""
    async with connection_scope(engine) as connection:
        result = await connection.execute(
            delete(ReceivedUpdate).where(ReceivedUpdate.handled_at < _now() - KEEP_HANDLED)
        )
        return result.rowcount or 0
