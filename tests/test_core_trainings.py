"""Training sessions in core, on SQLite and PostgreSQL: staff create, move and cancel them,
trainers answer, parents sign up, everyone concerned is told and reminded through the one
outbox (the same entries and worker as bookings), and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clock import freeze
from core.consent import answer_notice
from core.erasure import forget_user
from core.errors import AccessDenied, ConsentRequired, InvalidInput, NotFound, TrainingRefused
from core.outbox import STAFF_CHAT, Kind, claim_head, mark_sent
from core.staff import add_staff
from core.training_reminders import SPACING
from core.training_rules import SessionDraft, SessionStatus, TrainerAnswer
from core.training_sessions import (
    answer_as_trainer,
    cancel_session,
    create_session,
    move_session,
    my_sessions,
    sessions_on,
    upcoming_sessions,
)
from core.training_signups import (
    cancel_signup,
    my_trainings,
    sign_up,
    subscribe,
    subscriptions,
    unsubscribe,
)
from core.users import choose_language
from core.workhours import QuietHours
from storage.models import AuditEntry, OutboxEntry, SessionTrainer, TrainingSession, TrainingSignup
from tests.e2e import rows

ZONE = ZoneInfo("Asia/Bishkek")
MONDAY = date(2027, 3, 1)
STAFF, STRANGER = 700, 701
TRAINER, CO_TRAINER = 7001, 7002
PARENT, OTHER, THIRD = 7101, 7102, 7103
PARENTING, STEM = "positive-parenting", "wonderful-world-of-stem"
AK_ORDO, ALA_TOO = "ak-ordo", "ala-too"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def day(offset: int) -> date:
    return MONDAY + timedelta(days=offset)


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(MONDAY, 9))
    yield
    freeze(None)


async def people(db, *user_ids: int, language: str = "ru") -> None:
    for user_id in user_ids:
        await choose_language(db, user_id, language)
        await answer_notice(db, user_id, granted=True)


def draft(**changes) -> SessionDraft:
    fields = {
        "programme_code": PARENTING,
        "starts_at": at(day(2), 15),
        "ends_at": at(day(2), 17),
        "settlement_code": AK_ORDO,
        "place_kind": "school",
        "place_name": "School No. 5",
        "address": "12 Zhibek Zholu",
        "audience": "parents",
        "capacity": 20,
        "trainer_ids": (TRAINER,),
        **changes,
    }
    return SessionDraft(**fields)


async def new_session(db, **changes):
    await add_staff(db, STAFF, "Айгуль")
    await people(db, TRAINER, CO_TRAINER)
    return await create_session(db, actor_id=STAFF, draft=draft(**changes))


async def pending(db, kind: Kind | None = None, chat_id: int | None = None) -> list[OutboxEntry]:
    where = [OutboxEntry.state == "pending"]
    if kind is not None:
        where.append(OutboxEntry.kind == kind.value)
    if chat_id is not None:
        where.append(OutboxEntry.chat_id == chat_id)
    return await rows(db, OutboxEntry, *where)


def dues(entries: list[OutboxEntry]) -> list[tuple[int, str, datetime]]:
    return sorted(
        (e.chat_id, e.payload.get("which", e.kind), e.not_before.replace(tzinfo=UTC))
        for e in entries
    )


# --- creating -------------------------------------------------------------------------------------


async def test_staff_create_a_session_and_its_trainers_are_reminded_and_asked_to_report(db):
    session = await new_session(db, trainer_ids=(TRAINER, CO_TRAINER))
    assert session.status == SessionStatus.PLANNED
    assert [(t.user_id, t.answer) for t in session.trainers] == [
        (TRAINER, TrainerAnswer.PENDING),
        (CO_TRAINER, TrainerAnswer.PENDING),
    ]
    start, end = at(day(2), 15), at(day(2), 17)
    assert dues(await pending(db, Kind.TRAINING_REMINDER)) == [
        (TRAINER, "day", start - timedelta(hours=24)),
        (TRAINER, "hour", start - timedelta(hours=1)),
        (CO_TRAINER, "day", start - timedelta(hours=24)),
        (CO_TRAINER, "hour", start - timedelta(hours=1)),
    ]
    report_due = await pending(db, Kind.TRAINING_REPORT_DUE)
    assert {(e.chat_id, e.not_before.replace(tzinfo=UTC)) for e in report_due} == {
        (TRAINER, end + timedelta(hours=24)),
        (CO_TRAINER, end + timedelta(hours=24)),
    }
    assert all(e.training_session_id == session.id for e in report_due)
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "training.created")
    assert (audit.actor_id, audit.object_id) == (STAFF, str(session.id))


async def test_a_reminder_already_past_when_the_session_is_made_is_not_written(db):
    session = await new_session(db, starts_at=at(MONDAY, 18), ends_at=at(MONDAY, 19))
    [hour] = await pending(db, Kind.TRAINING_REMINDER)
    assert (hour.payload["which"], hour.training_session_id) == ("hour", session.id)


async def test_only_staff_create_move_and_cancel(db):
    session = await new_session(db)
    await people(db, STRANGER)
    with pytest.raises(AccessDenied):
        await create_session(db, actor_id=STRANGER, draft=draft())
    with pytest.raises(AccessDenied):
        await move_session(
            db, actor_id=STRANGER, session_id=session.id,
            starts_at=at(day(3), 15), ends_at=at(day(3), 17),
        )  # fmt: skip
    with pytest.raises(AccessDenied):
        await cancel_session(db, actor_id=STRANGER, session_id=session.id)
    assert len(await rows(db, TrainingSession)) == 1
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [r.actor_id for r in refusals] == [STRANGER] * 3


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"programme_code": "knitting"}, "programme"),
        ({"settlement_code": "atlantis"}, "settlement"),
        ({"ends_at": at(day(2), 14)}, "ends"),
        ({"ends_at": at(day(3), 15)}, "ends"),
        ({"starts_at": at(MONDAY, 8)}, "in_the_past"),
        ({"capacity": 0}, "capacity"),
        ({"place_kind": "stadium"}, "place_kind"),
        ({"audience": "pets"}, "audience"),
        ({"place_name": "  "}, "place_name"),
        ({"trainer_ids": ()}, "trainers"),
        ({"trainer_ids": (99999,)}, "unknown_trainer"),
    ],
)
async def test_a_bad_session_is_refused_naming_the_field(db, changes, code):
    await new_session(db)
    with pytest.raises(InvalidInput) as refused:
        await create_session(db, actor_id=STAFF, draft=draft(**changes))
    assert refused.value.code == code
    assert len(await rows(db, TrainingSession)) == 1


async def test_subscribers_hear_of_a_new_session_paced_and_never_at_night(db):
    await people(db, PARENT, OTHER, THIRD, 7104, 7105)
    await subscribe(db, user_id=PARENT, programme_code=PARENTING, settlement_code=AK_ORDO)
    await subscribe(db, user_id=OTHER, programme_code=PARENTING, settlement_code=None)
    await subscribe(db, user_id=THIRD, programme_code=PARENTING, settlement_code=AK_ORDO)
    await subscribe(db, user_id=7104, programme_code=PARENTING, settlement_code=ALA_TOO)
    await subscribe(db, user_id=7105, programme_code=STEM, settlement_code=AK_ORDO)
    now = at(MONDAY, 20, 59) + timedelta(seconds=59, microseconds=900_000)
    freeze(now)
    session = await new_session(db)
    notices = await pending(db, Kind.TRAINING_NEW)
    assert [(e.chat_id, e.not_before.replace(tzinfo=UTC)) for e in notices] == [
        (PARENT, now),
        (OTHER, now + SPACING),
        (THIRD, now + 2 * SPACING),
    ]
    assert {e.training_session_id for e in notices} == {session.id}
    # The first is due before quiet hours begin; the others fall in them and wait till 08:00.
    quiet = QuietHours(ZONE, time(21), time(8))
    later = now + timedelta(seconds=1)
    assert (await claim_head(db, OTHER, quiet=quiet, now=later)) is None
    [waiting] = await pending(db, Kind.TRAINING_NEW, OTHER)
    assert waiting.not_before.replace(tzinfo=UTC) == at(day(1), 8)
    delivered = await claim_head(db, OTHER, quiet=quiet, now=at(day(1), 8))
    assert delivered is not None and delivered.training_session_id == session.id


async def test_a_subscriber_is_not_told_of_a_session_cancelled_before_the_notice_went(db):
    await people(db, PARENT)
    await subscribe(db, user_id=PARENT, programme_code=PARENTING, settlement_code=AK_ORDO)
    session = await new_session(db)
    await cancel_session(db, actor_id=STAFF, session_id=session.id)
    assert await claim_head(db, PARENT) is None
    [dropped] = await rows(db, OutboxEntry, OutboxEntry.kind == Kind.TRAINING_NEW.value)
    assert dropped.state == "dropped"


async def test_subscribing_twice_is_once_and_unsubscribing_stops_it(db):
    await people(db, PARENT)
    for _ in range(2):
        await subscribe(db, user_id=PARENT, programme_code=STEM, settlement_code=ALA_TOO)
    await subscribe(db, user_id=PARENT, programme_code=PARENTING, settlement_code=None)
    listed = await subscriptions(db, PARENT)
    assert [(s.programme_code, s.settlement_code) for s in listed] == [
        (PARENTING, None),
        (STEM, ALA_TOO),
    ]
    await unsubscribe(db, user_id=PARENT, programme_code=STEM, settlement_code=ALA_TOO)
    await unsubscribe(db, user_id=PARENT, programme_code=STEM, settlement_code=ALA_TOO)
    assert [s.programme_code for s in await subscriptions(db, PARENT)] == [PARENTING]
    with pytest.raises(InvalidInput):
        await subscribe(db, user_id=PARENT, programme_code="knitting", settlement_code=None)
    await choose_language(db, 7199, "ru")
    with pytest.raises(ConsentRequired):
        await subscribe(db, user_id=7199, programme_code=STEM, settlement_code=None)
    actions = [a.action for a in await rows(db, AuditEntry)]
    assert actions.count("training.subscribed") == 2
    assert actions.count("training.unsubscribed") == 1


# --- signing up -----------------------------------------------------------------------------------


async def test_signing_up_takes_places_once_and_writes_reminders(db):
    session = await new_session(db, capacity=3)
    await people(db, PARENT, OTHER)
    first = await sign_up(db, user_id=PARENT, session_id=session.id, people=2)
    again = await sign_up(db, user_id=PARENT, session_id=session.id, people=2)
    assert (first.session.signed_up, again.session.signed_up) == (2, 2)
    assert len(await rows(db, TrainingSignup)) == 1
    assert dues(await pending(db, Kind.TRAINING_REMINDER, PARENT)) == [
        (PARENT, "day", at(day(1), 15)),
        (PARENT, "hour", at(day(2), 14)),
    ]
    assert {e.payload["role"] for e in await pending(db, Kind.TRAINING_REMINDER, PARENT)} == {
        "parent"
    }
    with pytest.raises(TrainingRefused) as full:
        await sign_up(db, user_id=OTHER, session_id=session.id, people=2)
    assert (full.value.code, full.value.params) == ("full", {"places_left": 1})
    assert (await sign_up(db, user_id=OTHER, session_id=session.id)).session.signed_up == 3


async def test_cancelling_a_signup_gives_the_places_back_and_drops_its_reminders(db):
    session = await new_session(db, capacity=2)
    await people(db, PARENT, OTHER)
    await sign_up(db, user_id=PARENT, session_id=session.id, people=2)
    cancelled = await cancel_signup(db, user_id=PARENT, session_id=session.id)
    assert cancelled.session.signed_up == 0
    assert (await cancel_signup(db, user_id=PARENT, session_id=session.id)).session.signed_up == 0
    assert await pending(db, Kind.TRAINING_REMINDER, PARENT) == []
    assert len(await pending(db, Kind.TRAINING_REMINDER, TRAINER)) == 2  # the trainer's stay
    await sign_up(db, user_id=OTHER, session_id=session.id, people=2)
    with pytest.raises(TrainingRefused):
        await sign_up(db, user_id=PARENT, session_id=session.id)
    await cancel_signup(db, user_id=OTHER, session_id=session.id)
    again = await sign_up(db, user_id=PARENT, session_id=session.id)
    assert again.session.signed_up == 1
    assert len(await rows(db, TrainingSignup, TrainingSignup.user_id == PARENT)) == 1
    with pytest.raises(TrainingRefused) as never:
        await cancel_signup(db, user_id=THIRD, session_id=session.id)
    assert never.value.code == "not_signed_up"


async def test_signing_up_needs_consent_and_a_session_still_ahead(db):
    session = await new_session(db)
    await choose_language(db, PARENT, "ky")
    with pytest.raises(ConsentRequired):
        await sign_up(db, user_id=PARENT, session_id=session.id)
    await answer_notice(db, PARENT, granted=True)
    with pytest.raises(InvalidInput):
        await sign_up(db, user_id=PARENT, session_id=session.id, people=0)
    with pytest.raises(NotFound):
        await sign_up(db, user_id=PARENT, session_id=999)
    freeze(at(day(2), 15))
    with pytest.raises(TrainingRefused) as begun:
        await sign_up(db, user_id=PARENT, session_id=session.id)
    assert begun.value.code == "not_open"


async def test_parents_see_the_next_30_days_and_their_own_trainings(db):
    soon = await new_session(db)
    await create_session(
        db, actor_id=STAFF, draft=draft(settlement_code=ALA_TOO, starts_at=at(day(1), 10),
                                        ends_at=at(day(1), 11)),
    )  # fmt: skip
    far = await create_session(
        db, actor_id=STAFF, draft=draft(starts_at=at(day(31), 10), ends_at=at(day(31), 11))
    )
    gone = await create_session(db, actor_id=STAFF, draft=draft(programme_code=STEM))
    await cancel_session(db, actor_id=STAFF, session_id=gone.id)
    listed = await upcoming_sessions(db)
    assert [s.settlement_code for s in listed] == [ALA_TOO, AK_ORDO]
    assert far.id not in {s.id for s in listed}
    assert [s.id for s in await upcoming_sessions(db, settlement_code=AK_ORDO)] == [soon.id]
    assert await upcoming_sessions(db, programme_code=STEM) == []
    assert {s.id for s in await sessions_on(db, day(2), ZONE)} == {soon.id, gone.id}
    await people(db, PARENT)
    await sign_up(db, user_id=PARENT, session_id=soon.id)
    assert [t.session.id for t in await my_trainings(db, PARENT)] == [soon.id]
    assert {s.id for s in await my_sessions(db, TRAINER)} == {soon.id, far.id} | {
        s.id for s in listed
    }


# --- moving and cancelling ------------------------------------------------------------------------


async def test_a_move_tells_everyone_at_once_and_moves_their_reminders(db):
    session = await new_session(db)
    await people(db, PARENT, OTHER)
    await sign_up(db, user_id=PARENT, session_id=session.id)
    await sign_up(db, user_id=OTHER, session_id=session.id)
    await cancel_signup(db, user_id=OTHER, session_id=session.id)
    moved = await move_session(
        db, actor_id=STAFF, session_id=session.id, starts_at=at(day(4), 10), ends_at=at(day(4), 12)
    )
    assert (moved.status, moved.starts_at) == (SessionStatus.MOVED, at(day(4), 10))
    notices = await pending(db, Kind.TRAINING_CHANGED)
    assert sorted((e.chat_id, e.payload["change"], e.payload["role"]) for e in notices) == [
        (TRAINER, "moved", "trainer"),
        (PARENT, "moved", "parent"),
    ]
    assert {e.payload["was"] for e in notices} == {at(day(2), 15).isoformat()}
    assert all(e.not_before.replace(tzinfo=UTC) == at(MONDAY, 9) for e in notices)
    assert dues(await pending(db, Kind.TRAINING_REMINDER)) == [
        (TRAINER, "day", at(day(3), 10)),
        (TRAINER, "hour", at(day(4), 9)),
        (PARENT, "day", at(day(3), 10)),
        (PARENT, "hour", at(day(4), 9)),
    ]
    [report_due] = await pending(db, Kind.TRAINING_REPORT_DUE)
    assert report_due.not_before.replace(tzinfo=UTC) == at(day(5), 12)
    old = await rows(db, OutboxEntry, OutboxEntry.error == "session_moved")
    assert {(e.kind, e.error) for e in old} == {
        ("training_reminder", "session_moved"),
        ("training_report_due", "session_moved"),
    }
    assert len(old) == 5  # the trainer's two and report, the parent's two
    # The same move again (a repeated press) changes nothing.
    await move_session(
        db, actor_id=STAFF, session_id=session.id, starts_at=at(day(4), 10), ends_at=at(day(4), 12)
    )
    assert len(await pending(db, Kind.TRAINING_CHANGED)) == 2
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "training.moved")
    assert audit.details["moved_from"] == at(day(2), 15).isoformat()


async def test_a_move_late_in_the_evening_is_told_at_once_even_in_quiet_hours(db):
    session = await new_session(db, starts_at=at(day(1), 9), ends_at=at(day(1), 11))
    await people(db, PARENT)
    await sign_up(db, user_id=PARENT, session_id=session.id)
    freeze(at(MONDAY, 22))  # the session is tomorrow morning; the family must know tonight
    await cancel_session(db, actor_id=STAFF, session_id=session.id)
    quiet = QuietHours(ZONE, time(21), time(8))
    told = await claim_head(db, PARENT, quiet=quiet, now=at(MONDAY, 22))
    assert told is not None and told.kind == Kind.TRAINING_CHANGED.value


async def test_a_cancel_tells_everyone_and_drops_every_reminder(db):
    session = await new_session(db)
    await people(db, PARENT)
    await sign_up(db, user_id=PARENT, session_id=session.id)
    cancelled = await cancel_session(db, actor_id=STAFF, session_id=session.id)
    assert cancelled.status == SessionStatus.CANCELLED
    assert {e.kind for e in await pending(db)} == {"training_changed"}
    assert sorted(e.chat_id for e in await pending(db)) == [TRAINER, PARENT]
    await cancel_session(db, actor_id=STAFF, session_id=session.id)
    assert len(await pending(db)) == 2
    with pytest.raises(TrainingRefused):
        await move_session(
            db, actor_id=STAFF, session_id=session.id,
            starts_at=at(day(4), 10), ends_at=at(day(4), 12),
        )  # fmt: skip
    with pytest.raises(TrainingRefused):
        await sign_up(db, user_id=PARENT, session_id=session.id)


async def test_a_session_begun_can_be_neither_moved_nor_cancelled(db):
    session = await new_session(db)
    freeze(at(day(2), 16))
    with pytest.raises(TrainingRefused) as refused:
        await cancel_session(db, actor_id=STAFF, session_id=session.id)
    assert refused.value.code == "not_open"


# --- reminders through the outbox -----------------------------------------------------------------


async def test_reminders_go_when_due_once_and_a_missed_one_while_the_session_is_ahead(db):
    session = await new_session(db)
    await people(db, PARENT)
    await sign_up(db, user_id=PARENT, session_id=session.id)
    assert await claim_head(db, PARENT, now=at(day(1), 14, 59)) is None
    freeze(at(day(1), 15))
    day_before = await claim_head(db, PARENT)
    assert (day_before.kind, day_before.payload["which"]) == (Kind.TRAINING_REMINDER, "day")
    await mark_sent(db, day_before, message_ids=[])
    assert await claim_head(db, PARENT) is None
    # Koldo was stopped over the hour-before reminder: it still goes, the session is ahead.
    freeze(at(day(2), 14, 30))
    hour = await claim_head(db, PARENT)
    assert hour.payload["which"] == "hour" and hour.training_session_id == session.id
    await mark_sent(db, hour, message_ids=[])
    assert await claim_head(db, PARENT) is None


async def test_a_reminder_due_after_the_session_began_is_dropped(db):
    session = await new_session(db)
    freeze(at(day(2), 15, 5))
    assert await claim_head(db, TRAINER) is None
    dropped = await rows(db, OutboxEntry, OutboxEntry.state == "dropped")
    assert [(e.kind, e.error) for e in dropped] == [("training_reminder", "session_upcoming")] * 2
    assert {e.training_session_id for e in dropped} == {session.id}


# --- trainers' answers ----------------------------------------------------------------------------


async def test_a_trainer_leads_or_drops_out_and_staff_are_told_at_once(db):
    session = await new_session(db, trainer_ids=(TRAINER, CO_TRAINER))
    leading = await answer_as_trainer(db, user_id=TRAINER, session_id=session.id, leading=True)
    again = await answer_as_trainer(db, user_id=TRAINER, session_id=session.id, leading=True)
    assert leading.trainers == again.trainers
    assert dict((t.user_id, t.answer) for t in leading.trainers)[TRAINER] == TrainerAnswer.LEADING
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=session.id, leading=False)
    [staff] = await pending(db, Kind.TRAINER_DROPPED)
    assert (staff.chat_id, staff.payload) == (
        STAFF_CHAT,
        {"session_id": session.id, "user_id": CO_TRAINER},
    )
    assert await pending(db, chat_id=CO_TRAINER) == []
    assert len(await pending(db, chat_id=TRAINER)) == 3
    # Changing one's mind back writes the reminders still ahead, once.
    freeze(at(day(1), 16))
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=session.id, leading=True)
    assert dues(await pending(db, chat_id=CO_TRAINER)) == [
        (CO_TRAINER, "hour", at(day(2), 14)),
        (CO_TRAINER, "training_report_due", at(day(3), 17)),
    ]
    assert len(await pending(db, Kind.TRAINER_DROPPED)) == 1
    answers = [a.action for a in await rows(db, AuditEntry) if a.object_type == "training_session"]
    assert answers.count("training.leading") == 2 and answers.count("training.declined") == 1


async def test_someone_not_named_for_the_session_cannot_answer_for_it(db):
    session = await new_session(db)
    await people(db, STRANGER)
    with pytest.raises(AccessDenied):
        await answer_as_trainer(db, user_id=STRANGER, session_id=session.id, leading=True)
    [refusal] = await rows(db, AuditEntry, AuditEntry.action == "training.access_denied")
    assert (refusal.actor_id, refusal.object_id) == (STRANGER, str(session.id))
    trainer = await rows(db, SessionTrainer)
    assert [t.answer for t in trainer] == ["pending"]


# --- erasure --------------------------------------------------------------------------------------


async def test_an_erased_parent_gives_back_their_places_and_the_counts_stay(db):
    session = await new_session(db)
    await people(db, PARENT)
    await sign_up(db, user_id=PARENT, session_id=session.id, people=3)
    await forget_user(db, PARENT, key=b"k" * 32)
    [training] = await rows(db, TrainingSession)
    assert training.signed_up == 0
    [signup] = await rows(db, TrainingSignup)
    assert (signup.user_id, signup.status, signup.people) == (None, "cancelled", 3)
    assert await pending(db, chat_id=PARENT) == []


async def test_an_erased_trainer_is_a_drop_out_staff_are_told_of_without_their_id(db):
    session = await new_session(db, trainer_ids=(TRAINER, CO_TRAINER))
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=session.id, leading=False)
    await forget_user(db, TRAINER, key=b"k" * 32)
    dropped = await pending(db, Kind.TRAINER_DROPPED)
    # The co-trainer's own drop-out, then the erased trainer's, who is not named.
    assert [e.payload["user_id"] for e in dropped] == [CO_TRAINER, 0]
    assert all(e.payload["session_id"] == session.id for e in dropped)
    assert await pending(db, chat_id=TRAINER) == []
