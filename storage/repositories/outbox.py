"""The outbox: what must still reach Telegram, and which message belongs to which request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MessageLink, OutboxEntry
from storage.upsert import insert_if_new

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

    async def add_once(self, values: dict[str, Any]) -> bool:
        """Insert an entry unless one with the same `dedupe_key` is there (written meanwhile
        by another transaction: then nothing happens, and no error rolls this one back).
        Returns whether it was inserted."""
        statement = insert_if_new(self.session.bind.dialect.name, OutboxEntry)
        result = await self.session.execute(statement.returning(OutboxEntry.id), values)
        inserted = result.scalar() is not None
        if inserted:
            self.session.info[OUTBOX_WRITTEN] = True
        return inserted

    async def has_key(self, dedupe_key: str) -> bool:
        found = await self.session.scalar(
            select(OutboxEntry.id).where(OutboxEntry.dedupe_key == dedupe_key)
        )
        return found is not None

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
        """Chats with an entry due, or with one whose sender's lease ran out; the one waiting
        longest first."""
        return list(
            await self.session.scalars(
                select(OutboxEntry.chat_id)
                .where(
                    or_(
                        and_(OutboxEntry.state == PENDING, OutboxEntry.not_before <= now),
                        _lease_ran_out(now),
                    )
                )
                .group_by(OutboxEntry.chat_id)
                .order_by(func.min(OutboxEntry.not_before), OutboxEntry.chat_id)
            )
        )

    async def held_in_chat(self, chat_id: int, now: datetime) -> bool:
        """Whether a sender holds an entry of this chat under a lease still running."""
        found = await self.session.scalar(
            select(OutboxEntry.id)
            .where(OutboxEntry.chat_id == chat_id)
            .where(OutboxEntry.state == SENDING)
            .where(OutboxEntry.claimed_until > now)
            .limit(1)
        )
        return found is not None

    async def claim(self, entry_id: int, *, claim: str, now: datetime, until: datetime) -> bool:
        """Take the entry for sending, if it is free: pending, or held under a lease that ran
        out. One statement, so of two senders racing for it exactly one wins."""
        result = await self.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id)
            .where(or_(OutboxEntry.state == PENDING, _lease_ran_out(now)))
            .values(
                state=SENDING,
                claim=claim,
                claimed_until=until,
                attempts=OutboxEntry.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def extend(self, entry_id: int, *, claim: str, until: datetime) -> bool:
        result = await self.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id)
            .where(OutboxEntry.state == SENDING)
            .where(OutboxEntry.claim == claim)
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def held(self, entry_id: int, claim: str) -> OutboxEntry | None:
        """The entry, if it is still being sent under this claim (else someone took it over)."""
        entry = await self.session.get(OutboxEntry, entry_id, populate_existing=True)
        if entry is None or entry.state != SENDING or entry.claim != claim:
            return None
        return entry

    async def unfinished_of_request(self, chat_id: int, request_id: int) -> list[OutboxEntry]:
        return list(
            await self.session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.chat_id == chat_id)
                .where(OutboxEntry.request_id == request_id)
                .where(OutboxEntry.state.in_(UNFINISHED))
                .order_by(OutboxEntry.id)
            )
        )

    async def head(self, chat_id: int, now: datetime) -> OutboxEntry | None:
        """The entry that must go next into this chat: the first (by priority, then age) of
        those due and of those already tried, due again or not: nothing overtakes an entry
        waiting for its retry. An entry due later, never tried, is not in line yet."""
        return await self.session.scalar(
            select(OutboxEntry)
            .where(OutboxEntry.chat_id == chat_id)
            .where(OutboxEntry.state.in_(UNFINISHED))
            .where(or_(OutboxEntry.attempts > 0, OutboxEntry.not_before <= now))
            .order_by(OutboxEntry.priority, OutboxEntry.id)
            .limit(1)
        )

    async def unfinished_of_kind(self, chat_id: int, kind: str, *, limit: int) -> list[OutboxEntry]:
        return list(
            await self.session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.chat_id == chat_id)
                .where(OutboxEntry.state.in_(UNFINISHED))
                .where(OutboxEntry.kind == kind)
                .order_by(OutboxEntry.id)
                .limit(limit)
            )
        )

    async def unfinished_kinds(self) -> list[str]:
        """The kinds of the entries still to be sent."""
        return list(
            await self.session.scalars(
                select(OutboxEntry.kind).where(OutboxEntry.state.in_(UNFINISHED)).distinct()
            )
        )

    async def count_lease_ran_out(self, now: datetime) -> int:
        """Entries a sender took and never finished before its lease ran out."""
        count = await self.session.scalar(
            select(func.count()).select_from(OutboxEntry).where(_lease_ran_out(now))
        )
        return count or 0

    async def due_now(self, now: datetime, *, chat_id: int | None = None) -> int:
        """Waiting retries (of one chat, or all) become due at once; wakes the sender. Entries
        due later that were never tried (reminders, the morning after quiet hours) keep
        their time."""
        statement = (
            update(OutboxEntry)
            .where(OutboxEntry.state == PENDING)
            .where(OutboxEntry.attempts > 0)
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


def _lease_ran_out(now: datetime) -> ColumnElement[bool]:
    """Being sent by someone who stopped renewing the lease (a lease-less row predates them)."""
    return and_(
        OutboxEntry.state == SENDING,
        or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until <= now),
    )
