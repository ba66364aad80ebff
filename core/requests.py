"""A parent's requests: filing, following, adding to and withdrawing them.

A parent only ever reaches their own requests; asking for another's is refused and written to
the audit log, because forged button data is the way someone would try.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.audit import record_refusal
from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import AccessDenied, ConsentRequired, InvalidInput, NotFound
from core.forms import (
    OTHER_SETTLEMENT,
    Answers,
    AttachmentKind,
    Category,
    Danger,
    DocumentType,
    Obstacle,
    Subject,
    message_text,
    missing_fields,
)
from core.outbox import Kind, Priority, refresh_card, to_staff
from core.transitions import Move, Transitions
from core.urgency import UrgencyKeywords
from storage.database import AlreadyStored, Database
from storage.models import Request, RequestMessage, Settlement, StatusChange
from storage.repositories import Repositories

REFERENCE_PREFIX = "K-"
MY_REQUESTS_LIMIT = 20


FORM_COLUMNS = (
    "document_type",
    "subject",
    "child_age",
    "grade",
    "obstacle",
    "settlement_code",
    "settlement_other",
    "phone",
)
"""Form answers a request keeps as given, and a follow-up request carries over (the old story
stays with the old request: the parent's message that opened the follow-up is the new one)."""


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_PARENT = "waiting_parent"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_PARENT, Status.REOPENED})
UNTAKEN = (Status.NEW, Status.REOPENED)
TAKEN = (Status.IN_PROGRESS, Status.WAITING_PARENT)
# A parent who writes on a resolved request within this many days reopens it; later, their
# message starts a new request (the old case is closed and its staff may have moved on).
REOPEN_DAYS = 14


class Step(StrEnum):
    """What someone does to a request that its status must allow."""

    TAKE = "take"
    WAIT = "wait"  # staff wait for the parent's answer
    RESOLVE = "resolve"
    REASSIGN = "reassign"
    STAFF_REPLY = "staff_reply"
    PARENT_MESSAGE = "parent_message"
    WITHDRAW = "withdraw"  # by the parent, or for them when their data is erased
    RATE = "rate"  # the parent says whether the problem was solved


_OPEN = tuple(status for status in Status if status in OPEN_STATUSES)

REQUEST_STATUSES = Transitions(
    initial=Status.NEW,
    moves=(
        # A second colleague taking a request in progress takes it over (a step in the history).
        Move(Step.TAKE, _OPEN, Status.IN_PROGRESS),
        Move(Step.WAIT, (*UNTAKEN, Status.IN_PROGRESS), Status.WAITING_PARENT),
        Move(Step.RESOLVE, _OPEN, Status.RESOLVED),
        Move(Step.REASSIGN, UNTAKEN, Status.IN_PROGRESS),
        Move(Step.REASSIGN, TAKEN, None),
        # Answering an untaken request takes it; a resolved one may still be answered.
        Move(Step.STAFF_REPLY, UNTAKEN, Status.IN_PROGRESS),
        Move(Step.STAFF_REPLY, (*TAKEN, Status.RESOLVED), None),
        # The parent's answer puts the request back in progress; writing on a resolved request
        # reopens it (after REOPEN_DAYS it starts a follow-up instead, see add_parent_message).
        Move(Step.PARENT_MESSAGE, (Status.WAITING_PARENT,), Status.IN_PROGRESS),
        Move(Step.PARENT_MESSAGE, (Status.RESOLVED,), Status.REOPENED),
        Move(Step.PARENT_MESSAGE, (Status.NEW, Status.IN_PROGRESS, Status.REOPENED), None),
        Move(Step.WITHDRAW, _OPEN, Status.WITHDRAWN),
        Move(Step.RATE, (Status.RESOLVED,), None),
    ),
    refusals={
        Step.TAKE: "closed",
        Step.WAIT: "closed",
        (Step.WAIT, Status.WAITING_PARENT): "not_waiting",
        Step.RESOLVE: "closed",
        Step.REASSIGN: "closed",
        Step.STAFF_REPLY: "withdrawn",
        Step.PARENT_MESSAGE: "withdrawn",
        Step.WITHDRAW: "not_open",
        Step.RATE: "not_resolved",
    },
)
"""The legal steps of a request's status. Every status change goes through it (change_status)."""


class Satisfaction(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


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
        return REQUEST_STATUSES.allows(self.summary.status, Step.WITHDRAW)

    @property
    def can_add(self) -> bool:
        """Open requests, and resolved ones (writing reopens them or starts a follow-up)."""
        return REQUEST_STATUSES.allows(self.summary.status, Step.PARENT_MESSAGE)


def _summary(request: Request) -> RequestSummary:
    return RequestSummary(
        id=request.id,
        reference=format_reference(request.id),
        category=Category(request.category),
        status=Status(request.status),
        created_at=as_utc(request.created_at),
        urgent=request.urgent,
    )


def audit_request(
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


def start_status(
    repos: Repositories, request: Request, *, actor_id: int | None, at: datetime
) -> None:
    """A request being filed takes the table's first status (no card to re-draw yet)."""
    initial = REQUEST_STATUSES.initial
    _record_status(repos, request, initial, actor_id=actor_id, at=at, actor=Author.PARENT)


async def change_status(
    repos: Repositories,
    request: Request,
    step: Step,
    *,
    actor_id: int | None,
    at: datetime,
    actor: Author = Author.PARENT,
) -> Status | None:
    """Take `step` as REQUEST_STATUSES allows it from the request's status (anything else is
    refused with InvalidTransition) and keep the move in its history. Returns the new status,
    or None when the step leaves the status as it is.

    The staff card shows the status and the buttons that fit it, so every change asks for the
    card to be re-drawn here, in the one path all changes take: a reopened request once kept
    "Resolved" and no buttons because its use case forgot to."""
    new = REQUEST_STATUSES.move(Status(request.status), step)
    if new is not None:
        _record_status(repos, request, new, actor_id=actor_id, at=at, actor=actor)
        await refresh_card(repos, request, at)
    return new


def _record_status(
    repos: Repositories,
    request: Request,
    new: Status,
    *,
    actor_id: int | None,
    at: datetime,
    actor: Author,
) -> None:
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
    """Store a complete form as a new request, with its attachments and first status.

    A form already filed (the same key) gives back the request it became, so a repeated press
    of Send never files a second request and the parent sees the reference they missed."""
    answers = answers.relevant()
    missing = missing_fields(answers)
    if missing:
        raise InvalidInput("incomplete", fields=[str(field) for field in missing])
    try:
        return await _file(db, user_id=user_id, answers=answers, language=language,
                           keywords=keywords)  # fmt: skip
    except AlreadyStored:
        # Another process filed the same form at the same moment: theirs is the request.
        async with db.transaction() as repos:
            filed = await repos.requests.filed_from(answers.key or "")
            if filed is None or filed.user_id != user_id:
                raise
            return _filed(filed)


def _words_of_danger(keywords: UrgencyKeywords, *texts: str | None) -> tuple[str, ...]:
    """What in the parent's texts speaks of danger, as they wrote it (shown to staff)."""
    found = (keywords.match(text) for text in texts)
    return tuple(dict.fromkeys(term for match in found if match for term in match.terms))


def _filed(request: Request) -> FiledRequest:
    return FiledRequest(
        id=request.id,
        reference=format_reference(request.id),
        urgent=request.urgent,
        phone=request.phone or "",
    )


async def _file(
    db: Database, *, user_id: int, answers: Answers, language: str, keywords: UrgencyKeywords
) -> FiledRequest:
    now = utcnow()
    async with db.transaction() as repos:
        if answers.key:
            filed = await repos.requests.filed_from(answers.key)
            if filed is not None and filed.user_id == user_id:
                return _filed(filed)
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        await repos.users.seen(user_id, now=now)
        if (
            answers.settlement_code != OTHER_SETTLEMENT
            and await repos.reference.get(Settlement, answers.settlement_code or "") is None
        ):
            raise InvalidInput("unknown_settlement")
        words = _words_of_danger(keywords, answers.description, answers.settlement_other)
        urgent = answers.danger is Danger.YES or bool(words)
        request = Request(
            user_id=user_id,
            category=answers.category.value,
            urgent=urgent,
            language=language,
            **{name: getattr(answers, name) for name in FORM_COLUMNS},
            description=answers.description or None,
            form_key=answers.key,
            danger=answers.danger.value if answers.danger else None,
            urgent_words="\n".join(words) or None,
            created_at=now,
            updated_at=now,
        )
        start_status(repos, request, actor_id=user_id, at=now)
        await repos.requests.add(request)
        attachments = []
        for attachment in answers.attachments:
            attachments.append(
                await record_message(
                    repos,
                    request,
                    author=Author.PARENT,
                    author_id=user_id,
                    now=now,
                    attachment=attachment["kind"],
                    file_id=attachment["file_id"],
                )
            )
        audit_request(
            repos,
            "request.filed",
            request,
            actor_id=user_id,
            at=now,
            details={"category": answers.category.value, "urgent": urgent},
        )
        _announce(repos, request, now, attachments)
    return _filed(request)


async def record_message(
    repos: Repositories,
    request: Request,
    *,
    author: Author,
    author_id: int | None,
    now: datetime,
    text: str | None = None,
    attachment: AttachmentKind | str | None = None,
    file_id: str | None = None,
    source_key: str | None = None,
) -> RequestMessage:
    """Store what someone said on a request (with its id, for the outbox)."""
    message = RequestMessage(
        request_id=request.id,
        author=author.value,
        author_id=author_id,
        kind=attachment or "text",
        text=text,
        file_id=file_id,
        source_key=source_key,
        created_at=now,
    )
    return await repos.requests.add_message(message)


def _announce(
    repos: Repositories,
    request: Request,
    now: datetime,
    attachments: Sequence[RequestMessage] = (),
) -> None:
    """A new request's card for the staff group (then the files sent with the form), and an
    alarm first when it is urgent."""
    if request.urgent:
        _alert_urgent(repos, request, now)
    to_staff(repos, request, Kind.REQUEST_CARD, now, priority=Priority.NEW_CARD)
    for message in attachments:
        to_staff(
            repos,
            request,
            Kind.PARENT_MESSAGE,
            now,
            priority=Priority.NEW_CARD,
            message_id=message.id,
        )


def _alert_urgent(repos: Repositories, request: Request, now: datetime) -> None:
    to_staff(repos, request, Kind.URGENT_ALERT, now, priority=Priority.URGENT)


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
        await record_refusal(
            db,
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


class Added(StrEnum):
    """What became of a parent's message."""

    ADDED = "added"
    DUPLICATE = "duplicate"  # the same Telegram message again
    REOPENED = "reopened"  # it reopened a recently resolved request
    FOLLOW_UP = "follow_up"  # it started a new request (the old one was closed long ago)


@dataclass(frozen=True)
class AddedMessage:
    outcome: Added
    request_id: int
    reference: str


async def add_parent_message(
    db: Database,
    *,
    user_id: int,
    request_id: int,
    text: str | None = None,
    attachment: AttachmentKind | None = None,
    file_id: str | None = None,
    source_key: str | None = None,
    keywords: UrgencyKeywords | None = None,
) -> AddedMessage:
    """Add what the parent wrote or sent to their request and pass it on to the staff group.

    Writing while staff wait for an answer puts the request back in progress; writing on a
    request resolved within REOPEN_DAYS reopens it, later it starts a new one."""
    text = message_text(text, attachment)
    now = utcnow()
    async with _own_request(db, user_id, request_id) as (repos, request):
        REQUEST_STATUSES.check(Status(request.status), Step.PARENT_MESSAGE)
        if source_key and await repos.requests.has_message_from_source(source_key):
            return AddedMessage(Added.DUPLICATE, request.id, format_reference(request.id))
        outcome = Added.ADDED
        if _closed_long_ago(request, now):
            if not await has_current_consent(repos, user_id):
                raise ConsentRequired()
            outcome = Added.FOLLOW_UP
            request = await _follow_up(repos, request, now)
        elif (
            await change_status(repos, request, Step.PARENT_MESSAGE, actor_id=user_id, at=now)
            == Status.REOPENED
        ):
            outcome = Added.REOPENED
            _reopened(repos, request, user_id, now)
        message = await record_message(
            repos, request, author=Author.PARENT, author_id=user_id, now=now, text=text,
            attachment=attachment, file_id=file_id, source_key=source_key,
        )  # fmt: skip
        request.updated_at = now
        words = _words_of_danger(keywords, text) if keywords is not None else ()
        if words and not request.urgent:
            request.urgent = True
            request.urgent_words = "\n".join(words)
            if outcome != Added.FOLLOW_UP:
                _alert_urgent(repos, request, now)
                await refresh_card(repos, request, now)
        if outcome == Added.FOLLOW_UP:
            request.description = text
            _announce(repos, request, now)
        else:
            to_staff(repos, request, Kind.PARENT_MESSAGE, now, message_id=message.id)
        audit_request(
            repos, "request.message_added", request, actor_id=user_id, at=now,
            details={"outcome": outcome.value},
        )  # fmt: skip
        return AddedMessage(outcome, request.id, format_reference(request.id))


def _closed_long_ago(request: Request, now: datetime) -> bool:
    """Resolved more than REOPEN_DAYS ago: the parent's message starts a follow-up instead of
    reopening it (the old case is closed and its staff may have moved on)."""
    closed = as_utc(request.closed_at or request.updated_at)
    return request.status == Status.RESOLVED and now - closed > timedelta(days=REOPEN_DAYS)


def _reopened(repos: Repositories, request: Request, user_id: int, now: datetime) -> None:
    request.closed_at = None
    # Escalation counts from here: the request waits to be taken again.
    request.escalated_at = now
    to_staff(repos, request, Kind.STAFF_EVENT, now, event=Status.REOPENED.value, actor_id=user_id)


async def _follow_up(repos: Repositories, old: Request, now: datetime) -> Request:
    """A new request carrying over the old one's form answers, for a family CPC already knows."""
    request = Request(
        user_id=old.user_id,
        category=old.category,
        urgent=False,
        language=old.language,
        **{name: getattr(old, name) for name in FORM_COLUMNS},
        follow_up_of=old.id,
        created_at=now,
        updated_at=now,
    )
    start_status(repos, request, actor_id=old.user_id, at=now)
    await repos.requests.add(request)
    audit_request(repos, "request.filed", request, actor_id=old.user_id, at=now,
                  details={"follow_up_of": old.id})  # fmt: skip
    return request


async def withdraw_request(db: Database, *, user_id: int, request_id: int) -> RequestSummary:
    now = utcnow()
    async with _own_request(db, user_id, request_id) as (repos, request):
        await change_status(repos, request, Step.WITHDRAW, actor_id=user_id, at=now)
        request.closed_at = now
        to_staff(
            repos, request, Kind.STAFF_EVENT, now, event=Status.WITHDRAWN.value, actor_id=user_id
        )
        audit_request(repos, "request.withdrawn", request, actor_id=user_id, at=now)
        return _summary(request)


async def answer_satisfaction(
    db: Database, *, user_id: int, request_id: int, answer: Satisfaction
) -> None:
    """The parent's word on whether a resolved request solved their problem."""
    now = utcnow()
    async with _own_request(db, user_id, request_id) as (repos, request):
        REQUEST_STATUSES.check(Status(request.status), Step.RATE)
        if request.satisfaction == answer.value:
            return  # the same answer again (a repeated update): staff heard it already
        request.satisfaction, request.satisfaction_at = answer.value, now
        to_staff(
            repos,
            request,
            Kind.STAFF_EVENT,
            now,
            event="satisfaction",
            actor_id=user_id,
            answer=answer.value,
        )
        await refresh_card(repos, request, now)
        audit_request(repos, "request.satisfaction", request, actor_id=user_id, at=now,
                      details={"answer": answer.value})  # fmt: skip


async def request_replied_to(db: Database, *, user_id: int, message_id: int) -> int | None:
    """The parent's request a bot message in their chat belongs to, if any (for replies)."""
    async with db.transaction() as repos:
        request_id = await repos.outbox.linked_request(user_id, message_id)
        if request_id is None:
            return None
        request = await repos.requests.get(request_id)
        return request_id if request is not None and request.user_id == user_id else None
