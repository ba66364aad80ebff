"""A parent's requests: filing, following, adding to and withdrawing them.

A parent only ever reaches their own requests; asking for another's is refused and written to
the audit log, because forged button data is the way someone would try.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import AccessDenied, ConsentRequired, InvalidInput, InvalidTransition, NotFound
from core.forms import (
    OTHER_SETTLEMENT,
    Answers,
    AttachmentKind,
    Category,
    DocumentType,
    Obstacle,
    Subject,
    clean_text,
    missing_fields,
)
from core.urgency import UrgencyKeywords
from storage.database import Database
from storage.models import Request, RequestMessage, Settlement, StatusChange
from storage.repositories import Repositories

REFERENCE_PREFIX = "K-"
MY_REQUESTS_LIMIT = 20


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_PARENT = "waiting_parent"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_PARENT})


class Author(StrEnum):
    PARENT = "parent"
    STAFF = "staff"
    NOTE = "note"  # staff-internal, never shown to the parent


VISIBLE_TO_PARENT = (Author.PARENT, Author.STAFF)


def format_reference(request_id: int) -> str:
    return f"{REFERENCE_PREFIX}{request_id:06d}"


@dataclass(frozen=True)
class FiledRequest:
    id: int
    reference: str
    urgent: bool
    phone: str


@dataclass(frozen=True)
class RequestSummary:
    id: int
    reference: str
    category: Category
    status: Status
    created_at: datetime
    urgent: bool


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    author: Author
    status: Status | None = None  # a status change
    text: str | None = None  # a message
    attachment: AttachmentKind | None = None


@dataclass(frozen=True)
class RequestDetails:
    summary: RequestSummary
    document_type: DocumentType | None
    subject: Subject | None
    child_age: int | None
    grade: int | None
    obstacle: Obstacle | None
    settlement_code: str | None
    settlement_other: str | None
    description: str | None
    phone: str | None
    history: list[HistoryItem]

    @property
    def can_withdraw(self) -> bool:
        return self.summary.status in OPEN_STATUSES


def _summary(request: Request) -> RequestSummary:
    return RequestSummary(
        id=request.id,
        reference=format_reference(request.id),
        category=Category(request.category),
        status=Status(request.status),
        created_at=as_utc(request.created_at),
        urgent=request.urgent,
    )


def _audit(
    repos: Repositories,
    action: str,
    request: Request,
    *,
    actor_id: int | None,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    repos.audit.record(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type="request",
        object_id=request.id,
        details=details,
    )


def _change_status(
    repos: Repositories,
    request: Request,
    new: Status,
    *,
    actor_id: int,
    at: datetime,
    actor: Author = Author.PARENT,
) -> None:
    """Move the request to `new` (from no status at all when it is being filed) and keep the
    step in its history."""
    repos.requests.add_status_change(
        StatusChange(
            request=request,
            old_status=request.status,
            new_status=new.value,
            actor=actor.value,
            actor_id=actor_id,
            changed_at=at,
        )
    )
    request.status = new.value
    request.updated_at = at


async def file_request(
    db: Database,
    *,
    user_id: int,
    answers: Answers,
    language: str,
    keywords: UrgencyKeywords,
) -> FiledRequest:
    """Store a complete form as a new request, with its attachments and first status."""
    answers = answers.relevant()
    missing = missing_fields(answers)
    if missing:
        raise InvalidInput("incomplete", fields=[str(field) for field in missing])
    now = utcnow()
    async with db.transaction() as repos:
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        await repos.users.ensure(user_id, now=now)
        if (
            answers.settlement_code != OTHER_SETTLEMENT
            and await repos.reference.get(Settlement, answers.settlement_code or "") is None
        ):
            raise InvalidInput("unknown_settlement")
        urgent = keywords.matches(answers.description) or keywords.matches(answers.settlement_other)
        request = Request(
            user_id=user_id,
            category=answers.category.value,
            urgent=urgent,
            language=language,
            document_type=answers.document_type,
            subject=answers.subject,
            child_age=answers.child_age,
            grade=answers.grade,
            obstacle=answers.obstacle,
            settlement_code=answers.settlement_code,
            settlement_other=answers.settlement_other,
            description=answers.description or None,
            phone=answers.phone,
            created_at=now,
            updated_at=now,
        )
        _change_status(repos, request, Status.NEW, actor_id=user_id, at=now)
        await repos.requests.add(request)
        for attachment in answers.attachments:
            repos.requests.add_message(
                RequestMessage(
                    request_id=request.id,
                    author=Author.PARENT.value,
                    author_id=user_id,
                    kind=attachment["kind"],
                    file_id=attachment["file_id"],
                    created_at=now,
                )
            )
        _audit(
            repos,
            "request.filed",
            request,
            actor_id=user_id,
            at=now,
            details={"category": answers.category.value, "urgent": urgent},
        )
    return FiledRequest(
        id=request.id,
        reference=format_reference(request.id),
        urgent=urgent,
        phone=answers.phone or "",
    )


async def list_my_requests(db: Database, user_id: int) -> list[RequestSummary]:
    async with db.transaction() as repos:
        requests = await repos.requests.of_user(user_id, limit=MY_REQUESTS_LIMIT)
        return [_summary(request) for request in requests]


@asynccontextmanager
async def _own_request(
    db: Database, user_id: int, request_id: int
) -> AsyncIterator[tuple[Repositories, Request]]:
    """A transaction over the request if it is this parent's; otherwise refuse and leave a
    trace in the audit log (in a transaction of its own, since the use case's is rolled back)."""
    try:
        async with db.transaction() as repos:
            request = await repos.requests.get(request_id)
            if request is None:
                raise NotFound()
            if request.user_id != user_id:
                raise AccessDenied()
            yield repos, request
    except (AccessDenied, NotFound):
        async with db.transaction() as repos:
            repos.audit.record(
                at=utcnow(),
                actor_id=user_id,
                action="request.access_denied",
                object_type="request",
                object_id=request_id,
            )
        raise


async def open_my_request(db: Database, user_id: int, request_id: int) -> RequestDetails:
    async with _own_request(db, user_id, request_id) as (repos, request):
        messages = await repos.requests.messages(request.id, authors=VISIBLE_TO_PARENT)
        changes = await repos.requests.status_changes(request.id)
        history = [
            HistoryItem(
                at=as_utc(change.changed_at),
                author=Author(change.actor),
                status=Status(change.new_status),
            )
            for change in changes
        ] + [
            HistoryItem(
                at=as_utc(message.created_at),
                author=Author(message.author),
                text=message.text,
                attachment=AttachmentKind(message.kind) if message.file_id else None,
            )
            for message in messages
        ]
        history.sort(key=lambda item: item.at)
        return RequestDetails(
            summary=_summary(request),
            document_type=DocumentType(request.document_type) if request.document_type else None,
            subject=Subject(request.subject) if request.subject else None,
            child_age=request.child_age,
            grade=request.grade,
            obstacle=Obstacle(request.obstacle) if request.obstacle else None,
            settlement_code=request.settlement_code,
            settlement_other=request.settlement_other,
            description=request.description,
            phone=request.phone,
            history=history,
        )


async def add_parent_message(
    db: Database,
    *,
    user_id: int,
    request_id: int,
    text: str | None = None,
    attachment: AttachmentKind | None = None,
    file_id: str | None = None,
    source_key: str | None = None,
) -> bool:
    """Add what the parent wrote or sent to their request.

    Returns False when the same Telegram message was already stored (a repeated update)."""
    if attachment is None or text:
        text = clean_text(text)
    now = utcnow()
    async with _own_request(db, user_id, request_id) as (repos, request):
        if request.status == Status.WITHDRAWN:
            raise InvalidTransition("withdrawn")
        if source_key and await repos.requests.has_message_from_source(source_key):
            return False
        repos.requests.add_message(
            RequestMessage(
                request_id=request.id,
                author=Author.PARENT.value,
                author_id=user_id,
                kind=(attachment or "text"),
                text=text,
                file_id=file_id,
                source_key=source_key,
                created_at=now,
            )
        )
        request.updated_at = now
        _audit(repos, "request.message_added", request, actor_id=user_id, at=now)
    return True


async def withdraw_request(db: Database, *, user_id: int, request_id: int) -> RequestSummary:
    now = utcnow()
    async with _own_request(db, user_id, request_id) as (repos, request):
        if request.status not in OPEN_STATUSES:
            raise InvalidTransition("not_open", status=request.status)
        _change_status(repos, request, Status.WITHDRAWN, actor_id=user_id, at=now)
        request.closed_at = now
        _audit(repos, "request.withdrawn", request, actor_id=user_id, at=now)
        return _summary(request)
