"""The legal steps of a request's status, on a real database (SQLite and PostgreSQL): every use
case that changes a status does what the table of core.requests allows from each status and is
refused, changing nothing, from every other one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

import pytest

from core import inbox
from core.clock import utcnow
from core.errors import InvalidTransition
from core.requests import (
    REQUEST_STATUSES,
    Satisfaction,
    Status,
    Step,
    add_parent_message,
    answer_satisfaction,
    file_request,
    withdraw_request,
)
from core.staff import add_staff
from core.transitions import Move, Transitions
from storage.database import Database
from tests.e2e import Request, StatusChange, rows
from tests.test_core_requests import PARENT, consenting_parent, documents
from tests.test_core_requests import keywords as keywords  # the fixture

STAFF = 900
COLLEAGUE = 901
STAYS = "stays"  # the step is allowed and leaves the status as it is
NEW, IN_PROGRESS, WAITING, RESOLVED, WITHDRAWN, REOPENED = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.WAITING_PARENT,
    Status.RESOLVED,
    Status.WITHDRAWN,
    Status.REOPENED,
)
OPEN = (NEW, IN_PROGRESS, WAITING, REOPENED)

# What each step does from each status, as Koldo has always done it (written out here rather
# than read from the table, so that a change of the table is a change of this test too); a
# status missing from a step's row refuses it with the code given.
ALLOWED: dict[Step, dict[Status, Status | str]] = {
    Step.TAKE: dict.fromkeys(OPEN, IN_PROGRESS),
    Step.WAIT: dict.fromkeys((NEW, IN_PROGRESS, REOPENED), WAITING),
    Step.RESOLVE: dict.fromkeys(OPEN, RESOLVED),
    Step.REASSIGN: {NEW: IN_PROGRESS, REOPENED: IN_PROGRESS, IN_PROGRESS: STAYS, WAITING: STAYS},
    Step.STAFF_REPLY: {
        NEW: IN_PROGRESS,
        REOPENED: IN_PROGRESS,
        IN_PROGRESS: STAYS,
        WAITING: STAYS,
        RESOLVED: STAYS,
    },
    Step.PARENT_MESSAGE: {
        NEW: STAYS,
        IN_PROGRESS: STAYS,
        REOPENED: STAYS,
        WAITING: IN_PROGRESS,
        RESOLVED: REOPENED,
    },
    Step.WITHDRAW: dict.fromkeys(OPEN, WITHDRAWN),
    Step.RATE: {RESOLVED: STAYS},
}
REFUSED: dict[Step, dict[Status, str]] = {
    Step.TAKE: dict.fromkeys((RESOLVED, WITHDRAWN), "closed"),
    # Waiting on a closed request said "already waiting for the parent" before the table.
    Step.WAIT: {RESOLVED: "closed", WITHDRAWN: "closed", WAITING: "not_waiting"},
    Step.RESOLVE: dict.fromkeys((RESOLVED, WITHDRAWN), "closed"),
    Step.REASSIGN: dict.fromkeys((RESOLVED, WITHDRAWN), "closed"),
    Step.STAFF_REPLY: {WITHDRAWN: "withdrawn"},
    Step.PARENT_MESSAGE: {WITHDRAWN: "withdrawn"},
    Step.WITHDRAW: dict.fromkeys((RESOLVED, WITHDRAWN), "not_open"),
    Step.RATE: dict.fromkeys((NEW, IN_PROGRESS, WAITING, REOPENED, WITHDRAWN), "not_resolved"),
}

USE_CASES: dict[Step, Callable[[Database, int], Awaitable[object]]] = {
    Step.TAKE: lambda db, rid: inbox.take(db, staff_id=STAFF, request_id=rid),
    Step.WAIT: lambda db, rid: inbox.wait_for_parent(db, staff_id=STAFF, request_id=rid),
    Step.RESOLVE: lambda db, rid: inbox.resolve(db, staff_id=STAFF, request_id=rid),
    Step.REASSIGN: lambda db, rid: inbox.reassign(
        db, staff_id=STAFF, request_id=rid, to_staff_id=COLLEAGUE
    ),
    Step.STAFF_REPLY: lambda db, rid: inbox.reply(db, staff_id=STAFF, request_id=rid, text="Да"),
    Step.PARENT_MESSAGE: lambda db, rid: add_parent_message(
        db, user_id=PARENT, request_id=rid, text="Спасибо"
    ),
    Step.WITHDRAW: lambda db, rid: withdraw_request(db, user_id=PARENT, request_id=rid),
    Step.RATE: lambda db, rid: answer_satisfaction(
        db, user_id=PARENT, request_id=rid, answer=Satisfaction.YES
    ),
}


def test_the_expectations_cover_every_step_and_status():
    assert set(ALLOWED) == set(REFUSED) == set(USE_CASES) == set(Step) == REQUEST_STATUSES.actions
    for step in Step:
        assert set(ALLOWED[step]) | set(REFUSED[step]) == set(Status), step
        assert not set(ALLOWED[step]) & set(REFUSED[step]), step


@pytest.mark.parametrize("step", list(Step))
def test_the_table_says_what_each_step_does_from_each_status(step):
    for status, target in ALLOWED[step].items():
        assert REQUEST_STATUSES.allows(status, step)
        assert REQUEST_STATUSES.move(status, step) == (None if target == STAYS else target)
    for status, code in REFUSED[step].items():
        assert not REQUEST_STATUSES.allows(status, step)
        with pytest.raises(InvalidTransition) as refused:
            REQUEST_STATUSES.move(status, step)
        assert (refused.value.code, refused.value.params) == (
            code,
            {"status": status.value, "action": step.value},
        )


async def _request_in(db: Database, keywords, status: Status) -> int:
    """A fresh request of the parent's, put straight into `status` (untaken, closed today when
    resolved, so writing on it reopens it)."""
    filed = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    async with db.transaction() as repos:
        request = await repos.requests.get(filed.id)
        request.status = status.value
        if status in (RESOLVED, WITHDRAWN):
            request.closed_at = utcnow()
    return filed.id


async def _state(db: Database, request_id: int) -> tuple[str, list[tuple[str | None, str]]]:
    [request] = await rows(db, Request, Request.id == request_id)
    changes = await rows(db, StatusChange, StatusChange.request_id == request_id)
    return request.status, [(change.old_status, change.new_status) for change in changes]


@pytest.mark.parametrize("step", list(Step))
async def test_each_use_case_moves_as_allowed_and_refuses_the_rest(db, keywords, step):
    await consenting_parent(db)
    await add_staff(db, STAFF, "Асель")
    await add_staff(db, COLLEAGUE, "Бакыт")
    use_case = USE_CASES[step]
    for status, target in ALLOWED[step].items():
        request_id = await _request_in(db, keywords, status)
        _, history = await _state(db, request_id)
        await use_case(db, request_id)
        after, history_after = await _state(db, request_id)
        if target == STAYS:
            assert (after, history_after) == (status, history), (step, status)
        else:
            assert after == target, (step, status)
            assert history_after == [*history, (status.value, target.value)], (step, status)
    for status, code in REFUSED[step].items():
        request_id = await _request_in(db, keywords, status)
        before = await _state(db, request_id)
        with pytest.raises(InvalidTransition) as refused:
            await use_case(db, request_id)
        assert refused.value.code == code, (step, status)
        assert await _state(db, request_id) == before, (step, status)


class Light(StrEnum):
    RED = "red"
    GREEN = "green"


def test_a_table_declared_wrong_fails_at_once():
    go = Move("go", (Light.RED,), Light.GREEN)
    with pytest.raises(ValueError, match="declared twice"):
        Transitions(initial=Light.RED, moves=(go, go), refusals={"go": "no"})
    with pytest.raises(ValueError, match="No refusal code for go"):
        Transitions(initial=Light.RED, moves=(go,), refusals={})
    with pytest.raises(ValueError, match="yet has a refusal"):
        Transitions(initial=Light.RED, moves=(go,), refusals={"go": "no", ("go", Light.RED): "x"})
    lights = Transitions(initial=Light.RED, moves=(go,), refusals={"go": "already"})
    with pytest.raises(InvalidTransition, match="already"):
        lights.check(Light.GREEN, "go")
    with pytest.raises(ValueError, match="Unknown action"):
        lights.move(Light.RED, "stop")
