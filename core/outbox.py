"""The outbox: every message Koldo owes someone, stored in the same transaction as its cause.

A use case never talks to Telegram. It writes what must be said (a kind and ids, never rendered
text) next to the change it makes; the worker's sender delivers entries later, one chat at a
time in order, and reports back here. So a crash, a 429 or a blocked parent can delay a message
but never lose it or reorder it. A sender holds the entry it works on under a lease (see
`claim_head`), so two senders never send the same entry and a dead one's entries are taken over.

An entry is addressed to a person (their Telegram user id, which is also their private chat;
their language is read when it is sent) or to the staff group (`STAFF_CHAT`, resolved by the
sender from the settings at sending time: entries wait, and are not lost, while no group is
configured or reachable). It may be due later (`due`, e.g. a reminder), and may name what must
still hold when it falls due (`Wanted`): otherwise it is dropped, and the drop recorded, rather
than sent. Each kind declares whom it is for and whether it keeps quiet hours (`KINDS`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from functools import partial
from typing import Any
from uuid import uuid4

from core.clock import as_utc, utcnow
from core.workhours import QuietHours
from storage.database import Database
from storage.models import OutboxEntry, Request
from storage.repositories import Repositories
from storage.repositories.outbox import PENDING, SENDING

logger = logging.getLogger(__name__)

STAFF_CHAT = 0
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"  # fell due when it was no longer wanted (`error` says why)
# How long a claim holds an entry; the sender renews it every third of that while it works.
# After a worker dies, its entries wait this long before the next worker sends them.
LEASE = timedelta(seconds=30)
PROGRESS = "done"  # payload key: how many messages of a several-message entry went out


class Kind(StrEnum):
    # Into the staff group.
    REQUEST_CARD = "request_card"  # open the request's topic and post its card
    # What follows a card just posted: a story too long for the card, and when the topic was
    # opened again, the files sent with the form (payload: message_ids).
    CARD_FOLLOW_UP = "card_follow_up"
    CARD_REFRESH = "card_refresh"  # re-render the card after a change
    PARENT_MESSAGE = "parent_message"  # something the parent added (payload: message_id)
    STAFF_EVENT = "staff_event"  # a line in the topic (payload: event, actor_id...)
    URGENT_ALERT = "urgent_alert"  # announce an urgent request with the on-duty staff
    ESCALATION = "escalation"  # nobody has taken the request yet
    GROUP_ERASURE = "group_erasure"  # delete an erased request's topic and messages (reason)
    # Booked visits a change of the reference data no longer allows (payload: overflows).
    DATA_OVERFLOW = "data_overflow"
    # To a parent.
    STAFF_REPLY = "staff_reply"  # (payload: message_id)
    STATUS_NOTICE = "status_notice"  # (payload: status)
    SATISFACTION_QUESTION = "satisfaction_question"
    DAY_CLOSED = "day_closed"  # a visit cancelled as its day closed (booking_id)
    BOOKING_REMINDER = "booking_reminder"  # a visit is coming (booking_id; payload: which)
    WAITING_OFFER = "waiting_offer"  # a freed place held for the parent (payload: entry_id)
    # Into the staff group again: a centre's day at its opening (payload: centre, day, until).
    MORNING_SUMMARY = "morning_summary"
    # Training sessions (training_session_id names the session).
    TRAINING_NEW = "training_new"  # a new session for a subscriber
    TRAINING_CHANGED = "training_changed"  # moved or cancelled (payload: change, was)
    TRAINING_REMINDER = "training_reminder"  # a session is coming (payload: which, role)
    TRAINING_REPORT_DUE = "training_report_due"  # a trainer has not reported attendance yet
    # Into the staff group.
    TRAINER_DROPPED = "trainer_dropped"  # a trainer can't lead a session (payload: user_id)


class Audience(StrEnum):
    PERSON = "person"
    STAFF_GROUP = "staff_group"


@dataclass(frozen=True)
class KindSpec:
    """What a kind of message is: whom it goes to, and whether it waits out quiet hours (a
    message the person did not just ask for: notices, questions, reminders). Replies and what
    staff need at once never wait."""

    audience: Audience
    quiet: bool = False


KINDS: dict[Kind, KindSpec] = {
    Kind.REQUEST_CARD: KindSpec(Audience.STAFF_GROUP),
    Kind.CARD_FOLLOW_UP: KindSpec(Audience.STAFF_GROUP),
    Kind.CARD_REFRESH: KindSpec(Audience.STAFF_GROUP),
    Kind.PARENT_MESSAGE: KindSpec(Audience.STAFF_GROUP),
    Kind.STAFF_EVENT: KindSpec(Audience.STAFF_GROUP),
    Kind.URGENT_ALERT: KindSpec(Audience.STAFF_GROUP),
    Kind.ESCALATION: KindSpec(Audience.STAFF_GROUP),
    Kind.GROUP_ERASURE: KindSpec(Audience.STAFF_GROUP),
    Kind.DATA_OVERFLOW: KindSpec(Audience.STAFF_GROUP),
    Kind.STAFF_REPLY: KindSpec(Audience.PERSON),
    Kind.STATUS_NOTICE: KindSpec(Audience.PERSON, quiet=True),
    Kind.SATISFACTION_QUESTION: KindSpec(Audience.PERSON, quiet=True),
    Kind.DAY_CLOSED: KindSpec(Audience.PERSON, quiet=True),
    Kind.BOOKING_REMINDER: KindSpec(Audience.PERSON, quiet=True),
    # An offer lasts half an hour: held back until morning it would only arrive expired.
    Kind.WAITING_OFFER: KindSpec(Audience.PERSON),
    Kind.MORNING_SUMMARY: KindSpec(Audience.STAFF_GROUP),
    Kind.TRAINING_NEW: KindSpec(Audience.PERSON, quiet=True),
    # "At once" (issue 13): a session moved or cancelled late in the evening may be the next
    # morning's, and the family must know before they set out.
    Kind.TRAINING_CHANGED: KindSpec(Audience.PERSON),
    Kind.TRAINING_REMINDER: KindSpec(Audience.PERSON, quiet=True),
    Kind.TRAINING_REPORT_DUE: KindSpec(Audience.PERSON, quiet=True),
    Kind.TRAINER_DROPPED: KindSpec(Audience.STAFF_GROUP),
}


class Wanted(StrEnum):
    """What must still be true when an entry falls due for it to be sent."""

    REQUEST_RESOLVED = "request_resolved"  # e.g. "was it solved?" after a reopened request
    BOOKING_UPCOMING = "booking_upcoming"  # the booking is still booked and still ahead
    OFFER_OPEN = "offer_open"  # the waiting-list offer is still open
    BEFORE_CLOSING = "before_closing"  # the centre has not closed yet (payload: until)
    SESSION_OPEN = "session_open"  # the training session is still on and still ahead
    # ... and the addressee still leads it or is still signed up for it
    SESSION_UPCOMING = "session_upcoming"
    REPORT_MISSING = "report_missing"  # nobody has reported the session's attendance yet


class Failure(StrEnum):
    """Why an entry was not delivered, as stored: the front that sends turns its transport's
    own wording into one of these (and logs the wording), and staff see a text for the code."""

    BLOCKED = "blocked"  # the person blocked the bot
    DEACTIVATED = "deactivated"  # the person deleted their account
    CHAT_NOT_FOUND = "chat_not_found"
    REFUSED = "refused"  # the message itself was refused (bad request)
    NO_STAFF_GROUP = "no_staff_group"  # none configured, or the bot cannot post there
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # the transport is down or did not answer
    ERROR = "error"  # anything else (a bug: the log has it)


class Priority(IntEnum):
    """Order within one chat: lower first, then oldest first. Urgent alerts jump the queue;
    conversation about known requests goes before cards of requests nobody has read yet."""

    URGENT = 0
    FOLLOW_UP = 0  # what completes a card goes right after it, as urgent alerts do
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
    in_doubt: bool  # a sender took it before and stopped without finishing it
    claim: str = ""  # the holder's token: bookkeeping counts only under it
    booking_id: int | None = None  # the booking it is about (a reminder)
    training_session_id: int | None = None  # the training session it is about


async def _request_resolved(repos: Repositories, entry: OutboxEntry) -> bool:
    from core.requests import Status  # core.requests writes to the outbox: imported late

    request = await repos.requests.get(entry.request_id) if entry.request_id else None
    return request is not None and request.status == Status.RESOLVED


async def _booking_upcoming(repos: Repositories, entry: OutboxEntry) -> bool:
    from core.booking_rules import BookingStatus  # core.bookings writes to the outbox

    booking = await repos.bookings.get(entry.booking_id) if entry.booking_id else None
    return (
        booking is not None
        and booking.status == BookingStatus.BOOKED
        and as_utc(booking.starts_at) > utcnow()
    )


async def _offer_open(repos: Repositories, entry: OutboxEntry) -> bool:
    from core.waiting_list import WaitingState  # core.waiting_list writes to the outbox

    waiting = await repos.bookings.get_waiting(int(entry.payload["entry_id"]))
    return (
        waiting is not None
        and waiting.state == WaitingState.OFFERED
        and waiting.offer_until is not None
        and as_utc(waiting.offer_until) > utcnow()
    )


async def _before_closing(_repos: Repositories, entry: OutboxEntry) -> bool:
    """A morning summary that could not go out before the centre closed says nothing useful."""
    return utcnow() < datetime.fromisoformat(str(entry.payload["until"]))


async def _training(repos: Repositories, entry: OutboxEntry, wanted: Wanted) -> bool:
    from core.training_rules import still_wanted  # core.training_* write to the outbox

    return await still_wanted(repos, entry.training_session_id, entry.chat_id, wanted.value)


WANTED_CHECKS: dict[Wanted, Callable[[Repositories, OutboxEntry], Awaitable[bool]]] = {
    Wanted.REQUEST_RESOLVED: _request_resolved,
    Wanted.BOOKING_UPCOMING: _booking_upcoming,
    Wanted.OFFER_OPEN: _offer_open,
    Wanted.BEFORE_CLOSING: _before_closing,
    **{
        wanted: partial(_training, wanted=wanted)
        for wanted in (Wanted.SESSION_OPEN, Wanted.SESSION_UPCOMING, Wanted.REPORT_MISSING)
    },
}


def enqueue(
    repos: Repositories,
    *,
    chat_id: int,
    kind: Kind,
    now: datetime,
    request_id: int | None = None,
    booking_id: int | None = None,
    training_session_id: int | None = None,
    priority: Priority = Priority.CONVERSATION,
    due: datetime | None = None,
    wanted_while: Wanted | None = None,
    **payload: Any,
) -> None:
    """Owe `chat_id` a message of `kind`, due now or at `due`; sent only if, when it falls due,
    `wanted_while` still holds. An entry owned by a booking (`booking_id`) or a training
    session (`training_session_id`) is dropped when it is cancelled or moved."""
    repos.outbox.add(
        OutboxEntry(
            **_values(
                chat_id=chat_id, kind=kind, now=now, request_id=request_id,
                booking_id=booking_id, training_session_id=training_session_id,
                priority=priority, due=due, wanted_while=wanted_while, payload=payload,
            )
        )
    )  # fmt: skip


async def enqueue_once(
    repos: Repositories,
    key: str,
    *,
    chat_id: int,
    kind: Kind,
    now: datetime,
    wanted_while: Wanted | None = None,
    **payload: Any,
) -> bool:
    """As `enqueue`, but at most one entry ever carries `key`: the database's unique key
    decides, so a job run again after a restart, or by two workers at once, writes it once.
    Returns whether this call wrote it."""
    if await repos.outbox.has_key(key):
        return False
    values = _values(
        chat_id=chat_id, kind=kind, now=now, request_id=None, booking_id=None,
        training_session_id=None, priority=Priority.CONVERSATION, due=None,
        wanted_while=wanted_while, payload=payload,
    )  # fmt: skip
    return await repos.outbox.add_once({**values, "dedupe_key": key})


def _values(
    *,
    chat_id: int,
    kind: Kind,
    now: datetime,
    request_id: int | None,
    booking_id: int | None,
    training_session_id: int | None,
    priority: Priority,
    due: datetime | None,
    wanted_while: Wanted | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """An outbox row's columns, checked: a kind for the group goes to the group only."""
    to_group = KINDS[kind].audience == Audience.STAFF_GROUP
    if to_group != (chat_id == STAFF_CHAT):
        raise ValueError(f"{kind} is for the {KINDS[kind].audience}, not chat {chat_id}")
    return {
        "chat_id": chat_id,
        "priority": int(priority),
        "request_id": request_id,
        "booking_id": booking_id,
        "training_session_id": training_session_id,
        "kind": kind.value,
        "payload": payload,
        "state": PENDING,
        "attempts": 0,
        "not_before": due or now,
        "wanted_while": wanted_while.value if wanted_while else None,
        "created_at": now,
    }


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
    repos: Repositories,
    request: Request,
    kind: Kind,
    now: datetime,
    *,
    wanted_while: Wanted | None = None,
    **payload: Any,
) -> None:
    """Something about `request` for its parent; nothing goes to a parent who was forgotten."""
    if request.user_id is not None:
        enqueue(
            repos, chat_id=request.user_id, kind=kind, now=now, request_id=request.id,
            wanted_while=wanted_while, **payload,
        )  # fmt: skip


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
        booking_id=entry.booking_id,
        training_session_id=entry.training_session_id,
    )


async def start_up(db: Database) -> int:
    """At start-up: whatever waits for a retry is tried at once (a restart usually follows a
    fix). Entries a stopped process held are left alone until their lease runs out (another
    process may still be sending them); returns how many already ran out, to be sent again."""
    async with db.transaction() as repos:
        await repos.outbox.due_now(utcnow())
        return await repos.outbox.count_lease_ran_out(utcnow())


async def unknown_kinds(db: Database) -> list[str]:
    """Kinds of waiting entries this version does not know (written by a newer one, or left
    from a kind since removed): a worker must not start over them, or they would wait for
    ever unseen."""
    async with db.transaction() as repos:
        known = {kind.value for kind in Kind}
        return sorted(set(await repos.outbox.unfinished_kinds()) - known)


async def staff_group_back(db: Database) -> int:
    """The bot was added to the staff group again: what waited for it goes now, not at the
    next retry minutes later. Returns how many entries were waiting."""
    async with db.transaction() as repos:
        return await repos.outbox.due_now(utcnow(), chat_id=STAFF_CHAT)


async def chats_with_due(db: Database) -> list[int]:
    async with db.transaction() as repos:
        return await repos.outbox.chats_with_due(utcnow())


async def claim_head(
    db: Database,
    chat_id: int,
    *,
    quiet: QuietHours | None = None,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> Delivery | None:
    """The next entry for this chat, held for sending until `now + lease`; None when the chat
    has nothing due or a sender holds one of its entries. An entry being retried later blocks
    the ones behind it, which keeps the chat in order; one merely due later does not. On the
    way, an entry that falls due in `quiet` hours and keeps them is moved to their end, and one
    no longer wanted is dropped. An entry whose lease ran out (its sender died) is taken over
    and marked in doubt."""
    now = now or utcnow()
    async with db.transaction() as repos:
        if await repos.outbox.held_in_chat(chat_id, now):
            return None
        while (entry := await repos.outbox.head(chat_id, now)) is not None:
            if entry.state == SENDING:
                break
            if as_utc(entry.not_before) > now:
                return None  # a retry waits, and what comes after it waits behind it
            if quiet is not None and KINDS[Kind(entry.kind)].quiet and quiet.contains(now):
                entry.not_before = quiet.ends_after(now)
            elif not await _still_wanted(repos, entry):
                logger.info("Outbox entry %d dropped: no longer %s", entry.id, entry.wanted_while)
                _finish_entry(entry, DROPPED, error=entry.wanted_while, now=now)
            else:
                break
            await repos.session.flush()
        if entry is None:
            return None
        claim = uuid4().hex
        if not await repos.outbox.claim(entry.id, claim=claim, now=now, until=now + lease):
            return None
        return replace(
            _delivery(entry, in_doubt=entry.state == SENDING),
            attempts=entry.attempts + 1,
            claim=claim,
        )


async def _still_wanted(repos: Repositories, entry: OutboxEntry) -> bool:
    if entry.wanted_while is None:
        return True
    return await WANTED_CHECKS[Wanted(entry.wanted_while)](repos, entry)


async def extend_lease(db: Database, delivery: Delivery, *, lease: timedelta = LEASE) -> bool:
    """Keep holding an entry that takes long (a slow Telegram, a long wait for the group's
    pace); False when the claim was lost."""
    async with db.transaction() as repos:
        return await repos.outbox.extend(delivery.id, claim=delivery.claim, until=utcnow() + lease)


async def waiting_cards(db: Database, *, limit: int) -> list[Delivery]:
    """Cards waiting for the staff group (queued, or waiting for the group's pace) that were
    not yet listed in a digest."""
    async with db.transaction() as repos:
        entries = await repos.outbox.unfinished_of_kind(STAFF_CHAT, Kind.REQUEST_CARD, limit=limit)
        return [_delivery(entry) for entry in entries if not entry.payload.get("digested")]


async def mark_digested(db: Database, entry_ids: list[int]) -> None:
    async with db.transaction() as repos:
        for entry_id in entry_ids:
            entry = await repos.outbox.get(entry_id)
            if entry is not None:
                entry.payload = {**entry.payload, "digested": True}


async def retry_later(
    db: Database, delivery: Delivery, *, delay: timedelta, reason: Failure
) -> None:
    async with db.transaction() as repos:
        entry = await repos.outbox.held(delivery.id, delivery.claim)
        if entry is not None:
            _release(entry, not_before=utcnow() + delay)
            entry.error = reason.value


async def requeue(db: Database, delivery: Delivery) -> None:
    """Put the entry back at once, as if it had not been tried (its request's card was just
    posted again and what follows the card goes first; what it had sent was in the old place)."""
    async with db.transaction() as repos:
        entry = await repos.outbox.held(delivery.id, delivery.claim)
        if entry is not None:
            _release(entry, not_before=utcnow())
            entry.attempts = max(0, entry.attempts - 1)
            entry.payload = {k: v for k, v in entry.payload.items() if k != PROGRESS}


def _release(entry: OutboxEntry, *, not_before: datetime) -> None:
    entry.state = PENDING
    entry.not_before = not_before
    entry.claimed_until = None


async def note_progress(
    db: Database, delivery: Delivery, *, done: int, message_ids: list[tuple[int, int]]
) -> None:
    """An entry of several messages got `done` of them out: a retry goes on from there instead
    of sending them twice. The messages belong to the request from now on."""
    async with db.transaction() as repos:
        entry = await repos.outbox.held(delivery.id, delivery.claim)
        if entry is None:
            return
        entry.payload = {**entry.payload, PROGRESS: done}
        entry.claimed_until = utcnow() + LEASE
        await _link(repos, entry, message_ids)


async def give_up(db: Database, delivery: Delivery, *, reason: Failure) -> None:
    """The entry can never be delivered (e.g. the parent blocked the bot): say so where staff
    will see it, and let the chat's queue move on."""
    await _finish(db, delivery, error=reason, message_ids=[])


async def mark_sent(
    db: Database, delivery: Delivery, *, message_ids: list[tuple[int, int]]
) -> None:
    """Bookkeeping right after Telegram accepted the entry: remember which messages belong
    to the request, so a reply to any of them continues it."""
    await _finish(db, delivery, error=None, message_ids=message_ids)


async def _finish(
    db: Database, delivery: Delivery, *, error: Failure | None, message_ids: list[tuple[int, int]]
) -> None:
    """Only under the sender's own claim: an entry someone else took over is theirs now."""
    now = utcnow()
    async with db.transaction() as repos:
        entry = await repos.outbox.held(delivery.id, delivery.claim)
        if entry is None:
            return
        _finish_entry(entry, SENT if error is None else FAILED, error=error, now=now)
        await _link(repos, entry, message_ids)
        await _after_delivery(repos, entry, error=error, now=now)


def _finish_entry(entry: OutboxEntry, state: str, *, error: str | None, now: datetime) -> None:
    entry.state = state
    entry.error = error
    entry.sent_at = now
    entry.claimed_until = None


async def _link(
    repos: Repositories, entry: OutboxEntry, message_ids: list[tuple[int, int]]
) -> None:
    if entry.request_id is not None:
        for chat_id, message_id in message_ids:
            await repos.outbox.link(chat_id, message_id, entry.request_id)


async def _after_delivery(
    repos: Repositories, entry: OutboxEntry, *, error: Failure | None, now: datetime
) -> None:
    """What a staff reply's fate changes: the message's delivery mark, shown on the card, and
    when it failed, a line in the topic so the one who wrote it sees it where they wrote."""
    if entry.kind != Kind.STAFF_REPLY or entry.request_id is None:
        return
    message = await repos.requests.message(int(entry.payload["message_id"]))
    request = await repos.requests.get(entry.request_id)
    if message is None or request is None:
        return
    message.delivery = "delivered" if error is None else "failed"
    message.delivery_error = None if error is None else error.value
    if error is not None:
        to_staff(
            repos, request, Kind.STAFF_EVENT, now,
            event="reply_failed", actor_id=message.author_id, reason=message.delivery_error,
        )  # fmt: skip
    await refresh_card(repos, request, now)


async def card_posted(
    db: Database,
    request_id: int,
    *,
    chat_id: int,
    thread_id: int | None,
    card_id: int,
    long_story: bool,
    form_files: list[int],
) -> bool:
    """The request's card is in the group (first posted, or posted again in a topic opened
    again). What completes it is queued to go next: the story when it is too long for the card,
    and the files sent with the form (`form_files`, message ids) except those still waiting to
    be posted anyway. Returns whether anything was queued."""
    async with db.transaction() as repos:
        request = await _place(repos, request_id, chat_id, thread_id, card_id)
        if request is None:
            return False
        unfinished = await repos.outbox.unfinished_of_request(STAFF_CHAT, request_id)
        queued = {
            int(entry.payload["message_id"])
            for entry in unfinished
            if entry.kind == Kind.PARENT_MESSAGE
        }
        files = [message_id for message_id in form_files if message_id not in queued]
        if not (long_story or files):
            return False
        follow_up = next((e for e in unfinished if e.kind == Kind.CARD_FOLLOW_UP), None)
        if follow_up is None:
            to_staff(repos, request, Kind.CARD_FOLLOW_UP, now=utcnow(),
                     priority=Priority.FOLLOW_UP, message_ids=files)  # fmt: skip
        else:
            known = [int(m) for m in follow_up.payload.get("message_ids", [])]
            follow_up.payload = {"message_ids": sorted({*known, *files})}
        return True


async def note_topic(
    db: Database, request_id: int, *, chat_id: int, thread_id: int | None, card_id: int | None
) -> None:
    """Where the request now lives in the staff group (after opening or re-opening its topic)."""
    async with db.transaction() as repos:
        await _place(repos, request_id, chat_id, thread_id, card_id)


async def _place(
    repos: Repositories, request_id: int, chat_id: int, thread_id: int | None, card_id: int | None
) -> Request | None:
    request = await repos.requests.get(request_id)
    if request is None:
        return None
    request.staff_chat_id = chat_id
    request.staff_thread_id = thread_id
    request.staff_card_message_id = card_id
    if card_id is not None:
        await repos.outbox.link(chat_id, card_id, request_id)
    return request
