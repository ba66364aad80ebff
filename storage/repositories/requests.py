"""Requests, their messages and their status history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PERSONAL_REQUEST_FIELDS, Request, RequestMessage, StatusChange


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request: Request) -> Request:
        """Insert and flush, so the caller gets the reference number in the same transaction."""
        self.session.add(request)
        await self.session.flush()
        return request

    async def get(self, request_id: int) -> Request | None:
        return await self.session.get(Request, request_id)

    async def filed_from(self, form_key: str) -> Request | None:
        """The request filed from this form, if it was filed already."""
        return await self.session.scalar(select(Request).where(Request.form_key == form_key))

    async def in_thread(self, chat_id: int, thread_id: int) -> Request | None:
        return await self.session.scalar(
            select(Request)
            .where(Request.staff_chat_id == chat_id)
            .where(Request.staff_thread_id == thread_id)
            .limit(1)
        )

    async def of_user(self, user_id: int, *, limit: int) -> list[Request]:
        return list(
            await self.session.scalars(
                select(Request)
                .where(Request.user_id == user_id)
                .order_by(Request.created_at.desc(), Request.id.desc())
                .limit(limit)
            )
        )

    async def add_message(self, message: RequestMessage) -> RequestMessage:
        """Insert and flush, so the caller can point the outbox at the message's id."""
        self.session.add(message)
        await self.session.flush()
        return message

    async def message(self, message_id: int) -> RequestMessage | None:
        return await self.session.get(RequestMessage, message_id)

    async def has_message_from_source(self, source_key: str) -> bool:
        found = await self.session.scalar(
            select(RequestMessage.id).where(RequestMessage.source_key == source_key).limit(1)
        )
        return found is not None

    def add_status_change(self, change: StatusChange) -> None:
        self.session.add(change)

    async def messages(self, request_id: int, *, authors: Sequence[str]) -> list[RequestMessage]:
        return list(
            await self.session.scalars(
                select(RequestMessage)
                .where(RequestMessage.request_id == request_id)
                .where(RequestMessage.author.in_(authors))
                .order_by(RequestMessage.id)
            )
        )

    async def status_changes(self, request_id: int) -> list[StatusChange]:
        return list(
            await self.session.scalars(
                select(StatusChange)
                .where(StatusChange.request_id == request_id)
                .order_by(StatusChange.id)
            )
        )

    async def all_of_user(self, user_id: int) -> list[Request]:
        return list(
            await self.session.scalars(
                select(Request).where(Request.user_id == user_id).order_by(Request.id)
            )
        )

    async def closed_before(self, moment: datetime) -> list[Request]:
        """Requests closed before `moment` whose personal data is still there."""
        return list(
            await self.session.scalars(
                select(Request)
                .where(Request.closed_at < moment)
                .where(Request.anonymised_at.is_(None))
                .order_by(Request.id)
            )
        )

    async def forget_author(self, request_ids: Sequence[int], author: str) -> None:
        """Who wrote and who changed the status, for one kind of author (the parent): their
        id, and the source key of their messages (it holds their chat's id), go."""
        if not request_ids:
            return
        await self.session.execute(
            update(RequestMessage)
            .where(RequestMessage.request_id.in_(request_ids))
            .where(RequestMessage.author == author)
            .values(author_id=None, source_key=None)
        )
        await self.session.execute(
            update(StatusChange)
            .where(StatusChange.request_id.in_(request_ids))
            .where(StatusChange.actor == author)
            .values(actor_id=None)
        )

    async def anonymise(self, request_ids: Sequence[int], *, at: datetime, erased: str) -> None:
        """Blank the personal fields of the requests and the content of their messages."""
        if not request_ids:
            return
        await self.session.execute(
            update(Request)
            .where(Request.id.in_(request_ids))
            .values(
                {
                    **dict.fromkeys(PERSONAL_REQUEST_FIELDS),
                    "user_id": None,
                    "anonymised_at": at,
                    "updated_at": at,
                }
            )
        )
        await self.session.execute(
            update(RequestMessage)
            .where(RequestMessage.request_id.in_(request_ids))
            .values(text=erased, file_id=None)
        )

    async def open_requests(
        self, statuses: Sequence[str], *, assignee_id: int | None, limit: int
    ) -> list[Request]:
        query = select(Request).where(Request.status.in_(statuses))
        if assignee_id is not None:
            query = query.where(Request.assignee_id == assignee_id)
        return list(
            await self.session.scalars(
                query.order_by(Request.urgent.desc(), Request.created_at, Request.id).limit(limit)
            )
        )

    async def with_phone(self, phone: str, *, limit: int) -> list[Request]:
        return list(
            await self.session.scalars(
                select(Request)
                .where(Request.phone == phone)
                .order_by(Request.created_at.desc())
                .limit(limit)
            )
        )

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Request.status, func.count(Request.id)).group_by(Request.status)
        )
        return {status: count for status, count in rows}

    async def count_resolved_since(self, moment: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count(StatusChange.id))
                .where(StatusChange.new_status == "resolved")
                .where(StatusChange.changed_at >= moment)
            )
            or 0
        )

    async def first_answer_times(self, since: datetime) -> list[tuple[datetime, datetime]]:
        """(filed, first answered) of requests filed since `since` that have an answer."""
        rows = await self.session.execute(
            select(Request.created_at, Request.first_answer_at)
            .where(Request.created_at >= since)
            .where(Request.first_answer_at.is_not(None))
        )
        return [(filed, answered) for filed, answered in rows]

    async def untaken(self, statuses: Sequence[str]) -> list[Request]:
        return list(
            await self.session.scalars(
                select(Request).where(Request.status.in_(statuses)).order_by(Request.id)
            )
        )
