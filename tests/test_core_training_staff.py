"""What the staff group reads about training sessions (core.training_staff), and a session
created from the staff group's dialog once per press (its key), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.errors import AccessDenied, NotFound
from core.staff import add_staff
from core.training_rules import SessionStatus
from core.training_sessions import cancel_session, create_session
from core.training_staff import session_choices, staff_session, staff_sessions
from storage.models import AuditEntry, OutboxEntry, TrainingSession
from tests.e2e import rows
from tests.test_core_trainings import (
    AK_ORDO,
    PARENTING,
    STAFF,
    STRANGER,
    TRAINER,
    at,
    day,
    draft,
    frozen_clock,  # noqa: F401  (Monday 1 March 2027, 9:00 in Bishkek)
    people,
)
from tests.test_core_trainings import (
    new_session as _new_session,
)

KEY = "staff:-1001234567890:42"


async def test_the_same_press_creates_one_session(db):
    await add_staff(db, STAFF, "Айгуль")
    await people(db, TRAINER)
    first = await create_session(db, actor_id=STAFF, draft=draft(), key=KEY)
    again = await create_session(db, actor_id=STAFF, draft=draft(capacity=5), key=KEY)
    other = await create_session(db, actor_id=STAFF, draft=draft())
    assert again == first and other.id != first.id
    assert [s.import_key for s in await rows(db, TrainingSession)] == [KEY, None]
    reminders = [e for e in await rows(db, OutboxEntry) if e.training_session_id == first.id]
    assert len(reminders) == 3  # day and hour before, the report: written once
    created = await rows(db, AuditEntry, AuditEntry.action == "training.created")
    assert [entry.details["imported"] for entry in created] == [False, False]


async def test_staff_read_the_choices_the_list_and_one_session(db):
    first = await _new_session(db)
    second = await create_session(
        db, actor_id=STAFF, draft=draft(starts_at=at(day(4), 10), ends_at=at(day(4), 12))
    )
    await cancel_session(db, actor_id=STAFF, session_id=second.id)

    choices = await session_choices(db, actor_id=STAFF)
    assert PARENTING in [p.code for p in choices.programmes]
    assert AK_ORDO in [s.code for s in choices.settlements]
    assert all(p.name.get("ru") and p.name.get("ky") for p in choices.programmes)

    listed = await staff_sessions(db, actor_id=STAFF, start=at(day(0), 0), end=at(day(7), 0))
    assert [(s.id, s.status) for s in listed.sessions] == [
        (first.id, SessionStatus.PLANNED), (second.id, SessionStatus.CANCELLED),
    ]  # fmt: skip
    assert set(listed.programmes) == {PARENTING} and set(listed.settlements) == {AK_ORDO}
    assert (await staff_sessions(db, actor_id=STAFF, start=at(day(3), 0),
                                 end=at(day(4), 0))).sessions == []  # fmt: skip

    about = await staff_session(db, actor_id=STAFF, session_id=first.id)
    assert (about.session, about.report) == (first, None)
    assert about.programme == listed.programmes[PARENTING]
    with pytest.raises(NotFound):
        await staff_session(db, actor_id=STAFF, session_id=9_999)


async def test_someone_not_on_the_staff_list_reads_nothing(db):
    session = await _new_session(db)
    for read in (
        session_choices(db, actor_id=STRANGER),
        staff_sessions(db, actor_id=STRANGER, start=at(day(0), 0), end=at(day(7), 0)),
        staff_session(db, actor_id=STRANGER, session_id=session.id),
    ):
        with pytest.raises(AccessDenied):
            await read
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "training.create"), (STRANGER, "training.list"), (STRANGER, "training.view"),
    ]  # fmt: skip
