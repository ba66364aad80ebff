"""The outbox on a real database: an entry being sent belongs to one sender until its lease
runs out, and only then may another take it over (marked in doubt); an entry due later waits
without holding up the chat; quiet hours move what keeps them to the morning."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clock import as_utc, utcnow
from core.outbox import (
    LEASE,
    STAFF_CHAT,
    Failure,
    Kind,
    chats_with_due,
    claim_head,
    enqueue,
    mark_sent,
    retry_later,
    unknown_kinds,
)
from core.workhours import QuietHours
from storage.models import OutboxEntry
from tests.e2e import rows

CHAT = 4242


async def _queue_two(db) -> None:
    async with db.transaction() as repos:
        for status in ("in_progress", "resolved"):
            enqueue(repos, chat_id=CHAT, kind=Kind.STATUS_NOTICE, now=utcnow(), status=status)


async def test_a_held_entry_is_no_one_elses_until_its_lease_runs_out(db):
    await _queue_two(db)
    now = utcnow()
    first = await claim_head(db, CHAT, now=now)
    assert first is not None and not first.in_doubt and first.attempts == 1
    # Another sender finds the chat busy: neither this entry nor the one behind it.
    assert await claim_head(db, CHAT, now=now + LEASE / 2) is None

    # The first sender stops without a word; once its lease runs out the entry is taken over.
    later = now + LEASE + timedelta(seconds=1)
    again = await claim_head(db, CHAT, now=later)
    assert again is not None and again.id == first.id
    assert again.in_doubt and again.attempts == 2 and again.claim != first.claim

    # What the first sender writes down late no longer counts; the new holder's does.
    await mark_sent(db, first, message_ids=[])
    await retry_later(db, first, delay=timedelta(minutes=1), reason=Failure.UNAVAILABLE)
    [entry, _second] = await rows(db, OutboxEntry)
    assert (entry.state, entry.error) == ("sending", None)
    await mark_sent(db, again, message_ids=[])
    [entry, second] = await rows(db, OutboxEntry)
    assert entry.state == "sent" and entry.claimed_until is None
    assert (await claim_head(db, CHAT)).id == second.id


async def test_of_senders_racing_for_a_chat_exactly_one_wins(db):
    await _queue_two(db)
    claims = await asyncio.gather(*(claim_head(db, CHAT) for _ in range(6)))
    assert len([claim for claim in claims if claim is not None]) == 1


async def test_an_entry_left_sending_without_a_lease_is_in_doubt_and_due(db):
    await _queue_two(db)
    async with db.transaction() as repos:
        entry = await repos.outbox.get(1)
        entry.state = "sending"  # as a sender before leases left it
    assert await chats_with_due(db) == [CHAT]
    claimed = await claim_head(db, CHAT)
    assert claimed is not None and claimed.id == 1 and claimed.in_doubt


BISHKEK = ZoneInfo("Asia/Bishkek")
NIGHT = QuietHours(BISHKEK, time(21), time(8))


async def test_an_entry_due_later_waits_without_holding_up_the_chat(db):
    now = utcnow()
    async with db.transaction() as repos:
        enqueue(
            repos, chat_id=CHAT, kind=Kind.STATUS_NOTICE, now=now, due=now + timedelta(hours=2),
            status="resolved",
        )  # fmt: skip
        enqueue(repos, chat_id=CHAT, kind=Kind.STAFF_REPLY, now=now, message_id=1)
    reply = await claim_head(db, CHAT, now=now)
    assert reply is not None and reply.kind == Kind.STAFF_REPLY
    await mark_sent(db, reply, message_ids=[])
    assert await claim_head(db, CHAT, now=now + timedelta(hours=1)) is None
    assert await chats_with_due(db) == []
    due = await claim_head(db, CHAT, now=now + timedelta(hours=2))
    assert due is not None and due.kind == Kind.STATUS_NOTICE


async def test_in_quiet_hours_a_notice_waits_for_the_morning_and_a_reply_does_not(db):
    evening = datetime(2026, 12, 3, 22, 30, tzinfo=BISHKEK)
    async with db.transaction() as repos:
        enqueue(repos, chat_id=CHAT, kind=Kind.STATUS_NOTICE, now=evening, status="resolved")
        enqueue(repos, chat_id=CHAT, kind=Kind.STAFF_REPLY, now=evening, message_id=1)
    reply = await claim_head(db, CHAT, quiet=NIGHT, now=evening)
    assert reply is not None and reply.kind == Kind.STAFF_REPLY
    await mark_sent(db, reply, message_ids=[])
    [notice, _reply] = await rows(db, OutboxEntry)
    morning = datetime(2026, 12, 4, 8, 0, tzinfo=BISHKEK)
    assert as_utc(notice.not_before) == morning and notice.attempts == 0
    assert await claim_head(db, CHAT, quiet=NIGHT, now=morning - timedelta(seconds=1)) is None
    assert (await claim_head(db, CHAT, quiet=NIGHT, now=morning)).id == notice.id


def test_quiet_hours_across_midnight_and_none():
    assert NIGHT.contains(datetime(2026, 12, 3, 23, 59, tzinfo=BISHKEK))
    assert NIGHT.contains(datetime(2026, 12, 4, 7, 59, tzinfo=BISHKEK))
    assert not NIGHT.contains(datetime(2026, 12, 4, 8, 0, tzinfo=BISHKEK))
    assert not NIGHT.contains(datetime(2026, 12, 3, 20, 59, tzinfo=BISHKEK))
    just_after_midnight = datetime(2026, 12, 4, 0, 10, tzinfo=BISHKEK)
    assert NIGHT.ends_after(just_after_midnight) == datetime(2026, 12, 4, 8, tzinfo=BISHKEK)
    assert not QuietHours(BISHKEK, time(0), time(0)).contains(just_after_midnight)


async def test_a_kind_goes_only_to_its_audience(db):
    async with db.transaction() as repos:
        with pytest.raises(ValueError):
            enqueue(repos, chat_id=STAFF_CHAT, kind=Kind.STATUS_NOTICE, now=utcnow())
        with pytest.raises(ValueError):
            enqueue(repos, chat_id=CHAT, kind=Kind.REQUEST_CARD, now=utcnow())


async def test_waiting_entries_of_a_kind_this_version_does_not_know_are_found(db):
    await _queue_two(db)
    assert await unknown_kinds(db) == []
    async with db.transaction() as repos:
        (await repos.outbox.get(2)).kind = "booking_reminder_v9"
    assert await unknown_kinds(db) == ["booking_reminder_v9"]
