"""The outbox: what must still reach Telegram, and which message belongs to which request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MessageLink, OutboxEntry

PENDING = "pending"
SENDING = "sending"
UNFINISHED = (PENDING, SENDING)
OUTBOX_WRITTEN = "outbox_written"  # session.info flag read by Database after the commit


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: OutboxEntry) -> None:
        self.session.add(entry)
        self.session.info[OUTBOX_WRITTEN] = True

    async def get(self, entry_id: int) -> OutboxEntry | None:
        return await self.session.get(OutboxEntry, entry_id)

    async def has_unfinished(self, *, chat_id: int, kind: str, request_id: int) -> bool:
        found = await self.session.scalar(
            select(OutboxEntry.id)
            .where(OutboxEntry.state == PENDING)
            .where(OutboxEntry.chat_id == chat_id)
            .where(OutboxEntry.kind == kind)
            .where(OutboxEntry.request_id == request_id)
            .limit(1)
        )
        return found is not None

    async def chats_with_due(self, now: datetime) -> list[int]:
        return list(
            await self.session.scalars(
                select(OutboxEntry.chat_id)
                .where(OutboxEntry.state == PENDING)
                .where(OutboxEntry.not_before <= now)
                .distinct()
            )
        )

    async def head(self, chat_id: int) -> OutboxEntry | None:
        """The entry that must go next into this chat, due or not: nothing overtakes it."""
        return await self.session.scalar(
            select(OutboxEntry)
            .where(OutboxEntry.chat_id == chat_id)
            .where(OutboxEntry.state.in_(UNFINISHED))
            .order_by(OutboxEntry.priority, OutboxEntry.id)
            .limit(1)
        )

    async def pending_of_kind(self, chat_id: int, kind: str, *, limit: int) -> list[OutboxEntry]:
        return list(
            await self.session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.chat_id == chat_id)
                .where(OutboxEntry.state == PENDING)
                .where(OutboxEntry.kind == kind)
                .order_by(OutboxEntry.id)
                .limit(limit)
            )
        )

    async def release_in_doubt(self) -> int:
        """Entries left `sending` by a process that died: they go back to the queue."""
        result = await self.session.execute(
            update(OutboxEntry).where(OutboxEntry.state == SENDING).values(state=PENDING)
        )
        return result.rowcount or 0

    async def due_now(self, now: datetime, *, chat_id: int | None = None) -> int:
        """Waiting retries (of one chat, or all) become due at once; wakes the sender."""
        statement = (
            update(OutboxEntry)
            .where(OutboxEntry.state == PENDING)
            .where(OutboxEntry.not_before > now)
        )
        if chat_id is not None:
            statement = statement.where(OutboxEntry.chat_id == chat_id)
        result = await self.session.execute(statement.values(not_before=now))
        if result.rowcount:
            self.session.info[OUTBOX_WRITTEN] = True
        return result.rowcount or 0

    async def forget_chat(self, chat_id: int) -> None:
        """Every entry for this chat, sent or not, and every link to a message in it."""
        await self.session.execute(delete(OutboxEntry).where(OutboxEntry.chat_id == chat_id))
        await self.session.execute(delete(MessageLink).where(MessageLink.chat_id == chat_id))

    async def drop_for_requests(self, request_ids: Sequence[int]) -> None:
        """Entries about these requests, sent or waiting, except those being sent right now
        (their message may be on its way and the sender still has to record it)."""
        if request_ids:
            await self.session.execute(
                delete(OutboxEntry)
                .where(OutboxEntry.request_id.in_(request_ids))
                .where(OutboxEntry.state != SENDING)
            )

    async def unlink_chats(self, request_ids: Sequence[int], chat_ids: Sequence[int]) -> None:
        if request_ids and chat_ids:
            await self.session.execute(
                delete(MessageLink)
                .where(MessageLink.request_id.in_(request_ids))
                .where(MessageLink.chat_id.in_(chat_ids))
            )

    async def links_of(self, request_id: int) -> list[tuple[int, int]]:
        """(chat, message) of every message known to belong to the request."""
        rows = await self.session.execute(
            select(MessageLink.chat_id, MessageLink.message_id)
            .where(MessageLink.request_id == request_id)
            .order_by(MessageLink.chat_id, MessageLink.message_id)
        )
        return [(chat_id, message_id) for chat_id, message_id in rows]

    async def link(self, chat_id: int, message_id: int, request_id: int) -> None:
        """Remember that a message belongs to a request (once; a resend may repeat it)."""
        if await self.session.get(MessageLink, (chat_id, message_id)) is None:
            self.session.add(
                MessageLink(chat_id=chat_id, message_id=message_id, request_id=request_id)
            )

    async def linked_request(self, chat_id: int, message_id: int) -> int | None:
        link = await self.session.get(MessageLink, (chat_id, message_id))
        return link.request_id if link else None

    async def unlink_requests(self, request_ids: Sequence[int]) -> None:
        if request_ids:
            await self.session.execute(
                delete(MessageLink).where(MessageLink.request_id.in_(request_ids))
            )
