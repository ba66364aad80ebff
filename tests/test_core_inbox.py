"""Staff rules on a real database: working hours, escalation, reopening, search and figures."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import inbox, inbox_views
from core.consent import answer_notice
from core.errors import AccessDenied, InvalidInput, InvalidTransition
from core.escalation import escalate_untaken
from core.requests import Added, Satisfaction, add_parent_message, answer_satisfaction, file_request
from core.staff import add_staff, colleagues, remove_staff
from core.workhours import WorkingCalendar
from storage.models import OutboxEntry, Request
from tests.e2e import AuditEntry, Consent, rows
from tests.test_core_requests import PARENT, consenting_parent, documents
from tests.test_core_requests import keywords as keywords  # the fixture

BISHKEK = ZoneInfo("Asia/Bishkek")
OFFICE = WorkingCalendar(BISHKEK, frozenset(range(5)), time(9), time(18))
STAFF = 900


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BISHKEK)


def test_working_time_counts_only_office_hours():
    friday_evening, monday_morning = local(2026, 11, 20, 17), local(2026, 11, 23, 10)
    assert OFFICE.working_time_between(friday_evening, monday_morning) == timedelta(hours=2)
    assert OFFICE.working_time_between(local(2026, 11, 21, 10), local(2026, 11, 22, 20)) == (
        timedelta()
    )
    assert OFFICE.is_open(local(2026, 11, 23, 9)) and not OFFICE.is_open(local(2026, 11, 23, 18))


async def _filed(db, keywords):
    await consenting_parent(db)
    return await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )


async def test_escalation_once_per_period_until_taken(db, keywords):
    filed = await _filed(db, keywords)
    await add_staff(db, STAFF, "Асель")
    async with db.transaction() as repos:
        request = await repos.requests.get(filed.id)
        request.created_at = local(2026, 11, 23, 9).astimezone(UTC)
    after = timedelta(hours=4)
    assert await escalate_untaken(db, OFFICE, after=after, now=local(2026, 11, 23, 12)) == []
    assert await escalate_untaken(db, OFFICE, after=after, now=local(2026, 11, 23, 13)) == [
        filed.id
    ]
    # Raised once for this period; the next one ends four office hours later (17:00).
    assert await escalate_untaken(db, OFFICE, after=after, now=local(2026, 11, 23, 16)) == []
    assert await escalate_untaken(db, OFFICE, after=after, now=local(2026, 11, 24, 10)) == [
        filed.id
    ]
    await inbox.take(db, staff_id=STAFF, request_id=filed.id)
    assert await escalate_untaken(db, OFFICE, after=after, now=local(2026, 11, 30, 18)) == []
    kinds = [e.kind for e in await rows(db, OutboxEntry)]
    assert kinds.count("escalation") == 2


async def test_staff_actions_need_the_staff_list(db, keywords):
    filed = await _filed(db, keywords)
    with pytest.raises(AccessDenied):
        await inbox.take(db, staff_id=STAFF, request_id=filed.id)
    await add_staff(db, STAFF, "Асель")
    await inbox.take(db, staff_id=STAFF, request_id=filed.id)
    with pytest.raises(InvalidTransition):
        await inbox.take(db, staff_id=STAFF, request_id=filed.id)


async def test_writing_after_resolution_reopens_or_starts_a_follow_up(db, keywords):
    filed = await _filed(db, keywords)
    await add_staff(db, STAFF, "Асель")
    await inbox.resolve(db, staff_id=STAFF, request_id=filed.id)
    added = await add_parent_message(db, user_id=PARENT, request_id=filed.id, text="Опять отказ")
    assert added.outcome == Added.REOPENED and added.request_id == filed.id
    await inbox.resolve(db, staff_id=STAFF, request_id=filed.id)
    async with db.transaction() as repos:
        request = await repos.requests.get(filed.id)
        request.closed_at = request.closed_at - timedelta(days=15)
    added = await add_parent_message(db, user_id=PARENT, request_id=filed.id, text="Новый вопрос")
    assert added.outcome == Added.FOLLOW_UP and added.request_id != filed.id
    old, new = await rows(db, Request)
    assert (old.status, new.status, new.follow_up_of) == ("resolved", "new", old.id)
    assert new.description == "Новый вопрос" and new.phone == old.phone
    carried = ("category", "document_type", "subject", "child_age", "settlement_code", "language")
    assert [getattr(new, name) for name in carried] == [getattr(old, name) for name in carried]
    assert None not in [getattr(old, name) for name in carried]


async def test_find_queue_and_stats(db, keywords):
    filed = await _filed(db, keywords)
    await add_staff(db, STAFF, "Асель")
    assert [i.id for i in await inbox_views.find(db, staff_id=STAFF, query="K-000001")] == [
        filed.id
    ]
    assert [i.id for i in await inbox_views.find(db, staff_id=STAFF, query="0700 123 456")] == [
        filed.id
    ]
    assert await inbox_views.find(db, staff_id=STAFF, query="K-999999") == []
    with pytest.raises(InvalidInput, match="bad_query"):
        await inbox_views.find(db, staff_id=STAFF, query="мама Айгуль")
    assert await inbox_views.my_queue(db, staff_id=STAFF) == []
    await inbox.reply(db, staff_id=STAFF, request_id=filed.id, text="Здравствуйте")
    [item] = await inbox_views.my_queue(db, staff_id=STAFF)
    assert item.assignee_name == "Асель"
    assert await inbox_views.queue(db, staff_id=STAFF) == [item]
    figures = await inbox_views.stats(db, staff_id=STAFF, zone=BISHKEK)
    assert (figures.open, figures.taken, figures.resolved_this_week) == (1, 1, 0)
    assert figures.median_first_answer is not None
    card = await inbox_views.staff_card(db, staff_id=STAFF, request_id=filed.id)
    assert card is not None and (card.reference, card.assignee_name) == ("K-000001", "Асель")
    assert await inbox_views.staff_card(db, staff_id=STAFF, request_id=999) is None
    assert [member.name for member in await colleagues(db, staff_id=STAFF)] == ["Асель"]


async def test_every_staff_read_refuses_and_logs_anyone_not_on_the_staff_list(db, keywords):
    filed = await _filed(db, keywords)
    await add_staff(db, STAFF, "Асель")
    await inbox.take(db, staff_id=STAFF, request_id=filed.id)
    reads = {
        "command.queue": inbox_views.queue(db, staff_id=PARENT),
        "command.my": inbox_views.my_queue(db, staff_id=PARENT),
        "command.find": inbox_views.find(db, staff_id=PARENT, query="0700 123 456"),
        "command.stats": inbox_views.stats(db, staff_id=PARENT, zone=BISHKEK),
        "card.back": inbox_views.staff_card(db, staff_id=PARENT, request_id=filed.id),
        "card.reassign": colleagues(db, staff_id=PARENT),
    }
    for read in reads.values():
        with pytest.raises(AccessDenied):
            await read
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(entry.actor_id, entry.object_id) for entry in refusals] == [
        (PARENT, name) for name in reads
    ]
    # A staff member taken off the list is refused from then on.
    await remove_staff(db, STAFF)
    with pytest.raises(AccessDenied):
        await inbox_views.queue(db, staff_id=STAFF)


async def test_a_repeated_update_changes_nothing_twice(db, keywords):
    """Every use case a re-delivered update can reach (issue 9, item 5)."""
    await consenting_parent(db)
    form = documents(key="form-1")
    first = await file_request(db, user_id=PARENT, answers=form, language="ru", keywords=keywords)
    again = await file_request(db, user_id=PARENT, answers=form, language="ru", keywords=keywords)
    assert again == first
    other = await file_request(
        db, user_id=PARENT, answers=documents(key="form-2"), language="ru", keywords=keywords
    )
    assert other.id != first.id
    await add_staff(db, STAFF, "Асель")
    for _ in range(2):
        await inbox.reply(
            db, staff_id=STAFF, request_id=first.id, text="Позвоним завтра", source_key="tg:1:5"
        )
    await inbox.resolve(db, staff_id=STAFF, request_id=first.id)
    for _ in range(2):
        await answer_satisfaction(db, user_id=PARENT, request_id=first.id, answer=Satisfaction.YES)
    await answer_notice(db, PARENT, granted=True)
    entries = await rows(db, OutboxEntry, OutboxEntry.request_id == first.id)
    kinds = [(entry.kind, entry.payload.get("event")) for entry in entries]
    assert kinds.count(("staff_reply", None)) == 1
    assert kinds.count(("staff_event", "satisfaction")) == 1
    assert len(await rows(db, Request)) == 2
    assert len(await rows(db, Consent, Consent.user_id == PARENT)) == 1
