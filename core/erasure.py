"""Forgetting a parent on request, and retention: nothing personal is kept longer than promised.

Requests themselves stay (category, status, dates, settlement code) so CPC's counts still add
up, but every field that says something about the family is blanked and nothing leads from the
person to them any more:

* the request's personal fields and the content of every message on it are blanked;
* the parent's id leaves their messages (with the source key, which holds their chat's id) and
  their status steps; the outbox entries and message links of their chat are deleted;
* in the audit log their id gives way to a pseudonym (see `pseudonym`);
* their name and settlement leave the list of people (core.people.forget_person); the roles
  they held stay, with who decided them, and a trainer's role ends;
* in the staff group, the request's topic, or without topics the bot's messages about it, are
  deleted by the sender (`Kind.GROUP_ERASURE`), which leaves a line saying so.

Conversation state is kept by aiogram's storage, not here: the /forget screen closes it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.bookings import forget_parent as forget_bookings
from core.clock import utcnow
from core.outbox import Kind, to_staff
from core.people import forget_person
from core.requests import (
    REQUEST_STATUSES,
    Author,
    Status,
    Step,
    change_status,
    format_reference,
)
from core.training_signups import forget_person as forget_trainings
from storage.database import Database
from storage.models import Request
from storage.repositories import Repositories

ERASED = "—"


class Reason(StrEnum):
    """Why a request was erased; the staff group is told which."""

    PARENT = "parent"  # the parent asked (/forget)
    RETENTION = "retention"  # the request was closed longer ago than data is kept


@dataclass(frozen=True)
class ErasureReport:
    requests_anonymised: int
    account_deleted: bool


def pseudonym(key: bytes, user_id: int) -> str:
    """What stands for an erased person in the audit log: a hash of their id keyed with a
    secret from the settings. The same person always gets the same pseudonym, so who did what
    stays countable across erasures; and as the key is not in the database, a copy of the
    database (a backup) cannot be searched for a given person, which a plain or salted hash
    with the salt stored alongside would allow: Telegram ids are few enough to try them all."""
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


async def forget_user(db: Database, user_id: int, *, key: bytes) -> ErasureReport:
    """Erase a parent at their request. Their open requests are withdrawn: nobody can answer
    them any more, and they would wait in the queue for ever."""
    now = utcnow()
    alias = pseudonym(key, user_id)
    async with db.transaction() as repos:
        requests = await repos.requests.all_of_user(user_id)
        for request in requests:
            if REQUEST_STATUSES.allows(Status(request.status), Step.WITHDRAW):
                await change_status(repos, request, Step.WITHDRAW, actor_id=None, at=now)
                request.closed_at = now
        await _erase(repos, requests, Reason.PARENT, now)
        await forget_bookings(repos, user_id, now)
        await forget_trainings(repos, user_id, now)
        await forget_person(repos, user_id, now)
        await repos.outbox.forget_chat(user_id)
        await repos.audit.pseudonymise_actor(user_id, alias)
        await repos.audit.pseudonymise_object("user", user_id, alias)
        existed = await repos.users.get(user_id) is not None
        await repos.users.delete(user_id)
        repos.audit.record(
            at=now,
            actor_id=None,
            actor_pseudonym=alias,
            action="user.forgotten",
            object_type="user",
            object_id=alias,
            details={"requests_anonymised": len(requests)},
        )
    return ErasureReport(requests_anonymised=len(requests), account_deleted=existed)


async def purge_expired(db: Database, *, retention_days: int, key: bytes) -> int:
    """Anonymise requests closed more than `retention_days` ago; returns how many. The parent
    may still use Koldo: only what ties them to these requests goes."""
    now = utcnow()
    async with db.transaction() as repos:
        requests = await repos.requests.closed_before(now - timedelta(days=retention_days))
        by_parent: dict[int, list[int]] = {}
        for request in requests:
            if request.user_id is not None:
                by_parent.setdefault(request.user_id, []).append(request.id)
        await _erase(repos, requests, Reason.RETENTION, now)
        for parent_id, request_ids in by_parent.items():
            await repos.audit.pseudonymise_actor(
                parent_id, pseudonym(key, parent_id), requests=request_ids
            )
        if requests:
            repos.audit.record(
                at=now,
                actor_id=None,
                action="retention.anonymised",
                object_type="request",
                details={"count": len(requests), "retention_days": retention_days},
            )
        await _forget_old_ages(repos, now - timedelta(days=retention_days), now, retention_days)
    return len(requests)


async def _forget_old_ages(
    repos: Repositories, cutoff: datetime, now: datetime, retention_days: int
) -> None:
    """Children's ages go from day-centre visits older than the retention period, as personal
    data goes from old requests; the visit itself (when, where, how many children, whether
    they came) stays for CPC's counts."""
    old = await repos.bookings.with_ages_before(cutoff)
    for booking in old:
        booking.ages = []
    if old:
        repos.audit.record(
            at=now,
            actor_id=None,
            action="retention.booking_ages",
            object_type="booking",
            details={"count": len(old), "retention_days": retention_days},
        )


async def _erase(
    repos: Repositories, requests: Sequence[Request], reason: Reason, now: datetime
) -> None:
    """What both ways of erasing do to the requests themselves."""
    ids = [request.id for request in requests]
    parents = sorted({request.user_id for request in requests if request.user_id is not None})
    await repos.requests.forget_author(ids, Author.PARENT.value)
    await repos.requests.anonymise(ids, at=now, erased=ERASED)
    await repos.outbox.unlink_chats(ids, parents)
    # Nothing about these requests goes out any more (a card refresh would draw the card
    # again, a parent's message would post their words again) but the erasure itself.
    await repos.outbox.drop_for_requests(ids)
    for request in requests:
        to_staff(repos, request, Kind.GROUP_ERASURE, now, reason=reason.value)


@dataclass(frozen=True)
class GroupTraces:
    """Where an erased request still shows in the staff group."""

    request_id: int
    reference: str
    chat_id: int
    thread_id: int | None
    messages: list[tuple[int, int]]  # (chat, message) posted by the bot about the request


async def group_traces(db: Database, request_id: int) -> GroupTraces | None:
    """Read when the erasure is delivered, not when it is decided: a message about the request
    that was on its way then has been recorded by now. None if the group never saw it."""
    async with db.transaction() as repos:
        request = await repos.requests.get(request_id)
        if request is None:
            return None
        messages = await repos.outbox.links_of(request_id)
        chat_id = request.staff_chat_id or (messages[0][0] if messages else None)
        if chat_id is None:
            return None
        return GroupTraces(
            request_id, format_reference(request_id), chat_id, request.staff_thread_id, messages
        )


async def group_traces_removed(db: Database, request_id: int) -> None:
    """The sender deleted them: the request has no place in the group any more, and the last
    outbox entries about it (which may name the parent as the actor of an event) go."""
    async with db.transaction() as repos:
        request = await repos.requests.get(request_id)
        if request is None:
            return
        request.staff_chat_id = request.staff_thread_id = request.staff_card_message_id = None
        await repos.outbox.unlink_requests([request_id])
        await repos.outbox.drop_for_requests([request_id])
