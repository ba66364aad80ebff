"""The outbox: every message Koldo owes someone, stored in the same transaction as its cause.

A use case never talks to Telegram. It writes what must be said (a kind and ids, never rendered
text) next to the change it makes; the sender in the bot delivers entries later, one chat at a
time in order, and reports back here. So a crash, a 429 or a blocked parent can delay a message
but never lose it or reorder it.

The staff group is addressed as `STAFF_CHAT`, resolved by the sender from the settings at
sending time: entries wait (and are not lost) while no group is configured or reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from core.clock import as_utc, utcnow
from storage.database import Database
from storage.models import OutboxEntry, Request
from storage.repositories import Repositories
from storage.repositories.outbox import PENDING, SENDING

STAFF_CHAT = 0
SENT = "sent"
FAILED = "failed"


class Kind(StrEnum):
    # Into the staff group.
    REQUEST_CARD = "request_card"  # open the request's topic and post its card
    CARD_REFRESH = "card_refresh"  # re-render the card after a change
    PARENT_MESSAGE = "parent_message"  # something the parent added (payload: message_id)
    STAFF_EVENT = "staff_event"  # a line in the topic (payload: event, actor_id...)
    URGENT_ALERT = "urgent_alert"  # announce an urgent request with the on-duty staff
    ESCALATION = "escalation"  # nobody has taken the request yet
    GROUP_ERASURE = "group_erasure"  # delete an erased request's topic and messages (reason)
    # To a parent.
    STAFF_REPLY = "staff_reply"  # (payload: message_id)
    STATUS_NOTICE = "status_notice"  # (payload: status)
    SATISFACTION_QUESTION = "satisfaction_question"


class Priority(IntEnum):
    """Order within one chat: lower first, then oldest first. Urgent alerts jump the queue;
    conversation about known requests goes before cards of requests nobody has read yet."""

    URGENT = 0
    CONVERSATION = 1
    NEW_CARD = 2


@dataclass(frozen=True)
class Delivery:
    """One entry as the sender sees it."""

    id: int
    chat_id: int
    kind: Kind
    request_id: int | None
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    in_doubt: bool  # it was being sent when the process stopped


def enqueue(
    repos: Repositories,
    *,
    chat_id: int,
    kind: Kind,
    now: datetime,
    request_id: int | None = None,
    priority: Priority = Priority.CONVERSATION,
    **payload: Any,
) -> None:
    repos.outbox.add(
        OutboxEntry(
            chat_id=chat_id,
            priority=int(priority),
            request_id=request_id,
            kind=kind.value,
            payload=payload,
            state=PENDING,
            attempts=0,
            not_before=now,
            created_at=now,
        )
    )


def to_staff(
    repos: Repositories,
    request: Request,
    kind: Kind,
    now: datetime,
    *,
    priority: Priority = Priority.CONVERSATION,
    **payload: Any,
) -> None:
    """Something about `request` for the staff group."""
    enqueue(
        repos, chat_id=STAFF_CHAT, kind=kind, now=now, request_id=request.id, priority=priority,
        **payload,
    )  # fmt: skip


def to_parent(
    repos: Repositories, request: Request, kind: Kind, now: datetime, **payload: Any
) -> None:
    """Something about `request` for its parent; nothing goes to a parent who was forgotten."""
    if request.user_id is not None:
        enqueue(
            repos, chat_id=request.user_id, kind=kind, now=now, request_id=request.id, **payload
        )


async def refresh_card(repos: Repositories, request: Request, now: datetime) -> None:
    """Ask for the card to be re-drawn; one pending refresh covers any number of changes,
    because the card is rendered from the database when it is sent."""
    if not await repos.outbox.has_unfinished(
        chat_id=STAFF_CHAT, kind=Kind.CARD_REFRESH, request_id=request.id
    ):
        to_staff(repos, request, Kind.CARD_REFRESH, now)


def _delivery(entry: OutboxEntry, *, in_doubt: bool = False) -> Delivery:
    return Delivery(
        id=entry.id,
        chat_id=entry.chat_id,
        kind=Kind(entry.kind),
        request_id=entry.request_id,
        payload=dict(entry.payload or {}),
        attempts=entry.attempts,
        not_before=as_utc(entry.not_before),
        in_doubt=in_doubt,
    )


async def release_in_doubt(db: Database) -> int:
    """At start-up: entries a dead process was sending go back to the queue (at least once
    beats never; the window is one HTTP round trip, and a clean stop never leaves one), and
    whatever waits for a retry is tried at once: a restart usually follows a fix."""
    async with db.transaction() as repos:
        released = await repos.outbox.release_in_doubt()
        await repos.outbox.due_now(utcnow())
        return released


async def staff_group_back(db: Database) -> int:
    """The bot was added to the staff group again: what waited for it goes now, not at the
    next retry minutes later. Returns how many entries were waiting."""
    async with db.transaction() as repos:
        return await repos.outbox.due_now(utcnow(), chat_id=STAFF_CHAT)


async def chats_with_due(db: Database) -> list[int]:
    async with db.transaction() as repos:
        return await repos.outbox.chats_with_due(utcnow())


async def claim_head(db: Database, chat_id: int) -> Delivery | None:
    """The next entry for this chat, marked as being sent; None when the chat has nothing due.
    An entry that is not due yet blocks the ones behind it, which keeps the chat in order."""
    now = utcnow()
    async with db.transaction() as repos:
        entry = await repos.outbox.head(chat_id)
        if entry is None or as_utc(entry.not_before) > now:
            return None
        in_doubt = entry.state == SENDING
        entry.state = SENDING
        entry.attempts += 1
        return _delivery(entry, in_doubt=in_doubt)


async def pending_cards(db: Database, *, limit: int) -> list[Delivery]:
    """Cards waiting for the staff group that were not yet listed in a digest."""
    async with db.transaction() as repos:
        entries = await repos.outbox.pending_of_kind(STAFF_CHAT, Kind.REQUEST_CARD, limit=limit)
        return [_delivery(entry) for entry in entries if not entry.payload.get("digested")]


async def mark_digested(db: Database, entry_ids: list[int]) -> None:
    async with db.transaction() as repos:
        for entry_id in entry_ids:
            entry = await repos.outbox.get(entry_id)
            if entry is not None:
                entry.payload = {**entry.payload, "digested": True}


async def retry_later(db: Database, entry_id: int, *, delay: timedelta, error: str) -> None:
    async with db.transaction() as repos:
        entry = await repos.outbox.get(entry_id)
        if entry is None:
            return
        entry.state = PENDING
        entry.not_before = utcnow() + delay
        entry.error = error[:255]


async def give_up(db: Database, entry_id: int, *, error: str) -> None:
    """The entry can never be delivered (e.g. the parent blocked the bot): say so where staff
    will see it, and let the chat's queue move on."""
    await _finish(db, entry_id, error=error, message_ids=[])


async def mark_sent(db: Database, entry_id: int, *, message_ids: list[tuple[int, int]]) -> None:
    """Bookkeeping right after Telegram accepted the entry: remember which messages belong
    to the request, so a reply to any of them continues it."""
    await _finish(db, entry_id, error=None, message_ids=message_ids)


async def _finish(
    db: Database, entry_id: int, *, error: str | None, message_ids: list[tuple[int, int]]
) -> None:
    now = utcnow()
    async with db.transaction() as repos:
        entry = await repos.outbox.get(entry_id)
        if entry is None:
            return
        entry.state = SENT if error is None else FAILED
        entry.error = None if error is None else error[:255]
        entry.sent_at = now
        if entry.request_id is not None:
            for chat_id, message_id in message_ids:
                await repos.outbox.link(chat_id, message_id, entry.request_id)
        await _after_delivery(repos, entry, delivered=error is None, error=error, now=now)


async def _after_delivery(
    repos: Repositories, entry: OutboxEntry, *, delivered: bool, error: str | None, now: datetime
) -> None:
    """What a staff reply's fate changes: the message's delivery mark, shown on the card, and
    when it failed, a line in the topic so the one who wrote it sees it where they wrote."""
    if entry.kind != Kind.STAFF_REPLY or entry.request_id is None:
        return
    message = await repos.requests.message(int(entry.payload["message_id"]))
    request = await repos.requests.get(entry.request_id)
    if message is None or request is None:
        return
    message.delivery = "delivered" if delivered else "failed"
    message.delivery_error = None if delivered else _reason(error)
    if not delivered:
        to_staff(
            repos, request, Kind.STAFF_EVENT, now,
            event="reply_failed", actor_id=message.author_id, reason=message.delivery_error,
        )  # fmt: skip
    await refresh_card(repos, request, now)


def _reason(error: str | None) -> str:
    """A short code for the card; Telegram's own wording goes to the log."""
    text = (error or "").lower()
    if "blocked" in text:
        return "blocked"
    if "deactivated" in text:
        return "deactivated"
    if "chat not found" in text:
        return "chat_not_found"
    return "error"


async def note_topic(
    db: Database, request_id: int, *, chat_id: int, thread_id: int | None, card_id: int | None
) -> None:
    """Where the request now lives in the staff group (after opening or re-opening its topic)."""
    async with db.transaction() as repos:
        request = await repos.requests.get(request_id)
        if request is None:
            return
        request.staff_chat_id = chat_id
        request.staff_thread_id = thread_id
        request.staff_card_message_id = card_id
        if card_id is not None:
            await repos.outbox.link(chat_id, card_id, request_id)
