"""What staff read: a request's card, the queue, search results and the week's figures.

Read models only (no changes), so that the group's texts can be drawn from plain data.

A read a staff member asks for takes their id and is refused (AccessDenied, written to the audit
log) unless they are on the staff list, so no front can forget to check. The reads the outbox
delivery makes to render what Koldo sends (no person is acting then) are in a section of their
own at the end.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import as_utc, utcnow
from core.errors import InvalidInput
from core.forms import AttachmentKind, Danger, normalize_phone
from core.requests import (
    OPEN_STATUSES,
    REFERENCE_PREFIX,
    Author,
    Status,
    format_reference,
)
from core.staff import Staff, as_staff, list_staff, staff_names
from storage.database import Database
from storage.models import Request, RequestMessage, Settlement
from storage.repositories import Repositories

QUEUE_SHOWN = 30
FOUND_SHOWN = 10
REPLIES_ON_CARD = 10
STATS_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind
    file_id: str
    message_id: int


@dataclass(frozen=True)
class ReplyMark:
    at: datetime
    delivery: str | None  # pending / delivered / failed
    error: str | None


@dataclass(frozen=True)
class Card:
    """Everything the staff card shows; personal data only ever goes to the staff group."""

    id: int
    reference: str
    category: str
    status: Status
    urgent: bool
    danger_said: bool  # the parent answered that a child is in danger right now
    urgent_words: tuple[str, ...]  # the parent's words that speak of danger
    language: str
    created_at: datetime
    document_type: str | None
    subject: str | None
    child_age: int | None
    grade: int | None
    obstacle: str | None
    settlement_code: str | None
    settlement_other: str | None
    description: str | None
    phone: str | None
    parent_id: int | None
    assignee_id: int | None
    assignee_name: str | None
    satisfaction: str | None
    follow_up_of: int | None
    attachments: list[Attachment]
    replies: list[ReplyMark]
    thread_id: int | None
    card_message_id: int | None


@dataclass(frozen=True)
class QueueItem:
    id: int
    reference: str
    category: str
    status: Status
    urgent: bool
    created_at: datetime
    assignee_name: str | None
    settlement_code: str | None
    thread_id: int | None


@dataclass(frozen=True)
class Stats:
    open: int
    taken: int
    resolved_this_week: int
    median_first_answer: timedelta | None


@dataclass(frozen=True)
class StaffMessage:
    """A stored message as it must be passed on (to the parent or into the group)."""

    request_id: int
    reference: str
    author: Author
    kind: str
    text: str | None
    file_id: str | None
    language: str


async def _card(repos: Repositories, request_id: int) -> Card | None:
    request = await repos.requests.get(request_id)
    if request is None:
        return None
    messages = await repos.requests.messages(
        request.id, authors=(Author.PARENT.value, Author.STAFF.value)
    )
    names = await staff_names(repos)
    return Card(
        id=request.id,
        reference=format_reference(request.id),
        category=request.category,
        status=Status(request.status),
        urgent=request.urgent,
        danger_said=request.danger == Danger.YES,
        urgent_words=tuple((request.urgent_words or "").splitlines()),
        language=request.language,
        created_at=as_utc(request.created_at),
        document_type=request.document_type,
        subject=request.subject,
        child_age=request.child_age,
        grade=request.grade,
        obstacle=request.obstacle,
        settlement_code=request.settlement_code,
        settlement_other=request.settlement_other,
        description=request.description,
        phone=request.phone,
        parent_id=request.user_id,
        assignee_id=request.assignee_id,
        assignee_name=names.get(request.assignee_id or 0),
        satisfaction=request.satisfaction,
        follow_up_of=request.follow_up_of,
        attachments=_form_attachments(request, messages),
        replies=[
            ReplyMark(as_utc(m.created_at), m.delivery, m.delivery_error)
            for m in messages
            if m.author == Author.STAFF
        ][-REPLIES_ON_CARD:],
        thread_id=request.staff_thread_id,
        card_message_id=request.staff_card_message_id,
    )


def _form_attachments(request: Request, messages: list[RequestMessage]) -> list[Attachment]:
    """Files sent with the form itself (later ones reach the topic as messages of their own)."""
    created = as_utc(request.created_at)
    return [
        Attachment(AttachmentKind(m.kind), m.file_id, m.id)
        for m in messages
        if m.author == Author.PARENT and m.file_id and as_utc(m.created_at) == created
    ]


def _item(request: Request, names: dict[int, str]) -> QueueItem:
    return QueueItem(
        id=request.id,
        reference=format_reference(request.id),
        category=request.category,
        status=Status(request.status),
        urgent=request.urgent,
        created_at=as_utc(request.created_at),
        assignee_name=names.get(request.assignee_id or 0),
        settlement_code=request.settlement_code,
        thread_id=request.staff_thread_id,
    )


# ---------------------------------------------------------------------- staff members' reads
# The names they are audited under are the ones the audit log has always used for them.


async def queue(db: Database, *, staff_id: int) -> list[QueueItem]:
    """Open requests, urgent ones first, then oldest first."""
    async with as_staff(db, staff_id, "command.queue") as (repos, _member):
        return await _queue(repos)


async def my_queue(db: Database, *, staff_id: int) -> list[QueueItem]:
    """The open requests this staff member has taken, in the order of the queue."""
    async with as_staff(db, staff_id, "command.my") as (repos, _member):
        return await _queue(repos, assignee_id=staff_id)


async def _queue(repos: Repositories, *, assignee_id: int | None = None) -> list[QueueItem]:
    requests = await repos.requests.open_requests(
        [status.value for status in OPEN_STATUSES], assignee_id=assignee_id, limit=QUEUE_SHOWN
    )
    names = await staff_names(repos)
    return [_item(request, names) for request in requests]


_REFERENCE = re.compile(rf"^(?:{REFERENCE_PREFIX})?0*(\d{{1,9}})$", re.IGNORECASE)


async def find(db: Database, *, staff_id: int, query: str) -> list[QueueItem]:
    """By reference (K-000123, or just 123) or by a phone number in any usual spelling."""
    query = query.strip()
    async with as_staff(db, staff_id, "command.find") as (repos, _member):
        names = await staff_names(repos)
        match = _REFERENCE.match(query.replace(" ", ""))
        if match and len(match.group(1)) < 9:
            request = await repos.requests.get(int(match.group(1)))
            return [_item(request, names)] if request else []
        try:
            phone = normalize_phone(query)
        except InvalidInput as error:
            raise InvalidInput("bad_query") from error
        return [
            _item(request, names)
            for request in await repos.requests.with_phone(phone, limit=FOUND_SHOWN)
        ]


async def stats(
    db: Database, *, staff_id: int, zone: ZoneInfo, now: datetime | None = None
) -> Stats:
    now = now or utcnow()
    local = now.astimezone(zone)
    week_start = datetime.combine(
        (local - timedelta(days=local.weekday())).date(), datetime.min.time(), zone
    )
    async with as_staff(db, staff_id, "command.stats") as (repos, _member):
        counts = await repos.requests.count_by_status()
        resolved = await repos.requests.count_resolved_since(week_start)
        answers = [
            as_utc(answered) - as_utc(filed)
            for filed, answered in await repos.requests.first_answer_times(now - STATS_WINDOW)
        ]
    open_count = sum(counts.get(status.value, 0) for status in OPEN_STATUSES)
    taken = counts.get(Status.IN_PROGRESS.value, 0) + counts.get(Status.WAITING_PARENT.value, 0)
    median = (
        timedelta(seconds=statistics.median(delay.total_seconds() for delay in answers))
        if answers
        else None
    )
    return Stats(open_count, taken, resolved, median)


async def staff_card(db: Database, *, staff_id: int, request_id: int) -> Card | None:
    """A request's card as a staff member sees it (e.g. to draw its buttons again)."""
    async with as_staff(db, staff_id, "card.back", f"request {request_id}") as (repos, _member):
        return await _card(repos, request_id)


# ---------------------------------------------------------------------- where a message belongs
# Not a staff read: the Telegram front asks it about every message in the group, staff's or
# not, to tell talk about a request from other talk. It gives out nothing but an id; the reply
# or note that follows checks the person.


async def request_at(
    db: Database, *, chat_id: int, thread_id: int | None, reply_to: int | None
) -> int | None:
    """The request a message in the staff group is about: its topic, or the card (or another
    message of the request) it replies to when the group has no topics."""
    async with db.transaction() as repos:
        if thread_id is not None:
            request = await repos.requests.in_thread(chat_id, thread_id)
            if request is not None:
                return request.id
        if reply_to is not None:
            return await repos.outbox.linked_request(chat_id, reply_to)
    return None


# ---------------------------------------------------------------------- the outbox delivery's reads
# What Koldo sends is rendered from these when it goes out: no person acts, so there is no one
# to authorise. Staff members read through the section above.


async def card(db: Database, request_id: int) -> Card | None:
    async with db.transaction() as repos:
        return await _card(repos, request_id)


async def message_to_pass_on(db: Database, message_id: int) -> StaffMessage | None:
    async with db.transaction() as repos:
        message = await repos.requests.message(message_id)
        if message is None:
            return None
        request = await repos.requests.get(message.request_id)
        if request is None:
            return None
        return StaffMessage(
            request_id=request.id,
            reference=format_reference(request.id),
            author=Author(message.author),
            kind=message.kind,
            text=message.text,
            file_id=message.file_id,
            language=request.language,
        )


@dataclass(frozen=True)
class Addressee:
    """Who a parent-bound message about a request goes to, and in which language."""

    reference: str
    user_id: int
    language: str


async def addressee(db: Database, request_id: int) -> Addressee | None:
    """None when the parent is gone (erased): nothing more may be sent to them."""
    async with db.transaction() as repos:
        request = await repos.requests.get(request_id)
        if request is None or request.user_id is None:
            return None
        user = await repos.users.get(request.user_id)
        language = (user.language if user else None) or request.language
        return Addressee(format_reference(request.id), request.user_id, language)


async def on_duty(db: Database) -> list[Staff]:
    return [member for member in await list_staff(db) if member.on_duty]


async def settlement_names(db: Database, language: str) -> dict[str, str]:
    async with db.transaction() as repos:
        return {
            settlement.code: settlement.name.get(language) or settlement.name.get("ru", "")
            for settlement in await repos.reference.every(Settlement)
        }
