"""What staff do with a request: take it, answer, note, wait for the parent, resolve, reassign.

Each action is one transaction that changes the request, keeps its history and audit trail, and
puts what the parent and the group must see into the outbox (see core.outbox).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from core.clock import utcnow
from core.errors import InvalidTransition, NotFound
from core.forms import AttachmentKind, message_text
from core.outbox import Kind, Wanted, refresh_card, to_parent, to_staff
from core.requests import (
    REQUEST_STATUSES,
    Author,
    Status,
    Step,
    audit_request,
    change_status,
    record_message,
)
from core.staff import as_staff, is_listed
from storage.database import Database
from storage.models import PersonRole, Request, RequestMessage
from storage.repositories import Repositories

# What the parent hears about; other changes (e.g. a reassignment) are staff business.
TOLD_TO_PARENT = frozenset({Status.IN_PROGRESS, Status.WAITING_PARENT, Status.RESOLVED})


@asynccontextmanager
async def _staff_action(
    db: Database, staff_id: int, request_id: int, action: str
) -> AsyncIterator[tuple[Repositories, Request, PersonRole]]:
    """A transaction for a listed staff member over an existing request; a refusal is logged."""
    async with as_staff(db, staff_id, action, f"request {request_id}") as (repos, member):
        request = await repos.requests.get(request_id)
        if request is None:
            raise NotFound()
        yield repos, request, member


async def _move(
    repos: Repositories,
    request: Request,
    step: Step,
    *,
    staff_id: int,
    now: datetime,
    **event: Any,
) -> Status | None:
    """Take `step` as staff (core.requests.REQUEST_STATUSES decides whether it is allowed and
    where it leads; a change re-draws the card), tell the parent if the new status concerns
    them, say it in the topic (`event` names another line than the new status, e.g. a
    reassignment). Returns the new status, None when the step left it as it was (nothing is
    said then)."""
    new = await change_status(repos, request, step, actor_id=staff_id, at=now, actor=Author.STAFF)
    if new is None:
        return None
    if new in TOLD_TO_PARENT:
        to_parent(repos, request, Kind.STATUS_NOTICE, now, status=new.value)
    to_staff(
        repos, request, Kind.STAFF_EVENT, now, actor_id=staff_id, **(event or {"event": new.value})
    )
    return new


def _take(request: Request, staff_id: int, now: datetime) -> None:
    request.assignee_id = staff_id
    request.taken_at = request.taken_at or now


async def take(db: Database, *, staff_id: int, request_id: int) -> None:
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.take") as (repos, request, _):
        if request.status == Status.IN_PROGRESS and request.assignee_id == staff_id:
            raise InvalidTransition("already_yours")
        await _move(repos, request, Step.TAKE, staff_id=staff_id, now=now)
        _take(request, staff_id, now)
        audit_request(repos, "request.taken", request, actor_id=staff_id, at=now)


async def wait_for_parent(db: Database, *, staff_id: int, request_id: int) -> None:
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.wait") as (repos, request, _):
        await _move(repos, request, Step.WAIT, staff_id=staff_id, now=now)
        if request.assignee_id is None:
            _take(request, staff_id, now)
        audit_request(repos, "request.waiting_parent", request, actor_id=staff_id, at=now)


async def resolve(db: Database, *, staff_id: int, request_id: int) -> None:
    """Close the request and ask the parent whether the problem was solved."""
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.resolve") as (repos, request, _):
        await _move(repos, request, Step.RESOLVE, staff_id=staff_id, now=now)
        if request.assignee_id is None:
            _take(request, staff_id, now)
        request.closed_at = now
        request.satisfaction = request.satisfaction_at = None
        # Asked in the morning when resolved at night; not at all if the parent has written
        # again by then (which reopens the request).
        to_parent(
            repos, request, Kind.SATISFACTION_QUESTION, now, wanted_while=Wanted.REQUEST_RESOLVED
        )
        audit_request(repos, "request.resolved", request, actor_id=staff_id, at=now)


async def reassign(db: Database, *, staff_id: int, request_id: int, to_staff_id: int) -> None:
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.reassign") as (repos, request, _):
        event = {"event": "reassigned", "to_id": to_staff_id}
        if await _move(repos, request, Step.REASSIGN, staff_id=staff_id, now=now, **event) is None:
            # Taken already: the status stays, the card names the new assignee.
            to_staff(repos, request, Kind.STAFF_EVENT, now, actor_id=staff_id, **event)
            await refresh_card(repos, request, now)
        if not await is_listed(repos, to_staff_id):
            raise NotFound("staff")
        request.assignee_id = to_staff_id
        request.taken_at = request.taken_at or now
        audit_request(
            repos,
            "request.reassigned",
            request,
            actor_id=staff_id,
            at=now,
            details={"to": to_staff_id},
        )


async def _staff_message(
    repos: Repositories,
    request: Request,
    *,
    author: Author,
    staff_id: int,
    text: str | None,
    attachment: AttachmentKind | None,
    file_id: str | None,
    source_key: str | None,
    now: datetime,
) -> RequestMessage | None:
    """Store the message; None when this Telegram message was stored before (a repeat)."""
    if source_key and await repos.requests.has_message_from_source(source_key):
        return None
    return await record_message(
        repos, request, author=author, author_id=staff_id, now=now,
        text=message_text(text, attachment), attachment=attachment, file_id=file_id,
        source_key=source_key,
    )  # fmt: skip


async def reply(
    db: Database,
    *,
    staff_id: int,
    request_id: int,
    text: str | None = None,
    attachment: AttachmentKind | None = None,
    file_id: str | None = None,
    source_key: str | None = None,
) -> bool:
    """A staff answer for the parent. Answering an untaken request takes it.
    Returns False for a repeated Telegram update."""
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.reply") as (repos, request, _):
        if request.user_id is None:
            raise InvalidTransition("no_parent")
        REQUEST_STATUSES.check(Status(request.status), Step.STAFF_REPLY)
        message = await _staff_message(
            repos,
            request,
            author=Author.STAFF,
            staff_id=staff_id,
            text=text,
            attachment=attachment,
            file_id=file_id,
            source_key=source_key,
            now=now,
        )
        if message is None:
            return False
        message.delivery = "pending"
        # Answering an untaken request takes it.
        if await _move(repos, request, Step.STAFF_REPLY, staff_id=staff_id, now=now):
            _take(request, staff_id, now)
        request.first_answer_at = request.first_answer_at or now
        request.updated_at = now
        to_parent(repos, request, Kind.STAFF_REPLY, now, message_id=message.id)
        await refresh_card(repos, request, now)
        audit_request(repos, "request.replied", request, actor_id=staff_id, at=now)
    return True


async def add_note(
    db: Database,
    *,
    staff_id: int,
    request_id: int,
    text: str | None,
    attachment: AttachmentKind | None = None,
    file_id: str | None = None,
    source_key: str | None = None,
) -> bool:
    """An internal note: stored with the request, never sent to the parent."""
    now = utcnow()
    async with _staff_action(db, staff_id, request_id, "request.note") as (repos, request, _):
        message = await _staff_message(
            repos,
            request,
            author=Author.NOTE,
            staff_id=staff_id,
            text=text,
            attachment=attachment,
            file_id=file_id,
            source_key=source_key,
            now=now,
        )
        if message is None:
            return False
        audit_request(repos, "request.noted", request, actor_id=staff_id, at=now)
    return True
