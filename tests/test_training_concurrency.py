"""No overfilled session, whatever arrives at once: people pressing "Sign up" at the same
moment, over real connections to SQLite and PostgreSQL, never get more places than it has."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import TrainingRefused
from core.training_sessions import cancel_session
from core.training_signups import cancel_signup, sign_up
from storage.models import OutboxEntry, TrainingSession, TrainingSignup
from tests.e2e import rows
from tests.test_core_trainings import (
    STAFF,
    frozen_clock,  # noqa: F401  (the same frozen Monday)
    new_session,
    people,
)

CROWD = range(30_000, 30_100)


async def _outcomes(attempts) -> tuple[int, list[str]]:
    results = await asyncio.gather(*attempts, return_exceptions=True)
    for result in results:
        if not isinstance(result, TrainingRefused) and isinstance(result, BaseException):
            raise result
    refused = [result.code for result in results if isinstance(result, TrainingRefused)]
    return len(results) - len(refused), refused


async def test_a_hundred_people_for_the_last_three_places_make_three_signups(db):
    session = await new_session(db, capacity=20)
    await people(db, 1, 2, *CROWD)
    await sign_up(db, user_id=1, session_id=session.id, people=10)
    await sign_up(db, user_id=2, session_id=session.id, people=7)  # 17 of the 20 taken
    signed, refused = await _outcomes(
        sign_up(db, user_id=user_id, session_id=session.id) for user_id in CROWD
    )
    assert signed == 3
    assert refused == ["full"] * 97
    [training] = await rows(db, TrainingSession)
    assert training.signed_up == 20
    signups = await rows(db, TrainingSignup, TrainingSignup.status == "signed_up")
    assert sum(s.people for s in signups) == 20 and len(signups) == 5
    # Only those who got a place are reminded.
    reminded = {e.chat_id for e in await rows(db, OutboxEntry, OutboxEntry.chat_id >= 30_000)}
    assert reminded == {s.user_id for s in signups if s.user_id >= 30_000}


@pytest.mark.parametrize("repeats", [2, 10])
async def test_the_same_press_handled_many_times_at_once_signs_up_once(db, repeats):
    session = await new_session(db)
    await people(db, 1)
    results = await asyncio.gather(
        *(sign_up(db, user_id=1, session_id=session.id, people=2) for _ in range(repeats))
    )
    assert {result.session.signed_up for result in results} == {2}
    assert len(await rows(db, TrainingSignup)) == 1
    assert len(await rows(db, OutboxEntry, OutboxEntry.chat_id == 1)) == 2  # day and hour


async def test_signups_a_cancellation_and_cancels_at_once_leave_the_counter_right(db):
    session = await new_session(db, capacity=50)
    await people(db, *CROWD)
    for user_id in CROWD[:10]:
        await sign_up(db, user_id=user_id, session_id=session.id)
    results = await asyncio.gather(
        *(sign_up(db, user_id=user_id, session_id=session.id) for user_id in CROWD[10:40]),
        *(cancel_signup(db, user_id=user_id, session_id=session.id) for user_id in CROWD[:10]),
        cancel_session(db, actor_id=STAFF, session_id=session.id),
        return_exceptions=True,
    )
    unexpected = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, TrainingRefused) for r in unexpected), unexpected
    [training] = await rows(db, TrainingSession)
    signups = await rows(db, TrainingSignup, TrainingSignup.status == "signed_up")
    assert training.status == "cancelled"
    assert training.signed_up == sum(s.people for s in signups)
