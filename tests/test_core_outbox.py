"""The outbox's lease on a real database: an entry being sent belongs to one sender until its
lease runs out, and only then may another take it over (marked in doubt)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clock import utcnow
from core.outbox import LEASE, Kind, chats_with_due, claim_head, enqueue, mark_sent, retry_later
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
    await retry_later(db, first, delay=timedelta(minutes=1), error="late")
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
