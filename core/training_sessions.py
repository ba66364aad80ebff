"""Training sessions as staff run them and trainers answer them: create, move, cancel, list;
a trainer's "I will lead it" / "I can't".

Creating, moving and cancelling are for staff only (core.staff.as_staff; anyone else is
refused and the attempt audited). Each use case is one transaction with the outbox entries it
causes (core.training_reminders says which), audited; a repeated press changes nothing more.
A session's changes wait for one another (its row is locked), so a sign-up never schedules
reminders at a time a move has just replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import as_utc, utcnow
from core.errors import TrainingRefused
from core.staff import as_staff
from core.trainers import TRAINER, Standing, standing_of
from core.training_reminders import (
    Change,
    concerned,
    remind,
    tell_change,
    tell_staff_dropped,
    tell_subscribers,
)
from core.training_rules import (
    OPEN_STATUSES,
    UPCOMING_DAYS,
    Role,
    SessionDraft,
    SessionInfo,
    SessionStatus,
    TrainerAnswer,
    as_trainer,
    audit_session,
    check_draft,
    check_times,
    drop_messages,
    infos,
    is_open,
    load,
)
from storage.database import Database
from storage.models import SessionTrainer, TrainingSession
from storage.repositories import Repositories

ALL_STATUSES = tuple(status.value for status in SessionStatus)


async def add_session(
    repos: Repositories,
    draft: SessionDraft,
    *,
    actor_id: int | None,
    now: datetime,
    import_key: str | None = None,
    notices_before: int = 0,
) -> tuple[TrainingSession, int]:
    """Store a checked draft with its trainers, their reminders and the subscribers' notices
    (spaced after `notices_before` written already). Returns the session and the notices
    written so far."""
    training = await repos.trainings.add(
        TrainingSession(
            programme_code=draft.programme_code,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            settlement_code=draft.settlement_code,
            place_kind=draft.place_kind,
            place_name=draft.place_name,
            address=draft.address,
            audience=draft.audience,
            capacity=draft.capacity,
            signed_up=0,
            status=SessionStatus.PLANNED.value,
            import_key=import_key,
            created_by=actor_id,
            created_at=now,
            changed_at=now,
        )
    )
    for user_id in draft.trainer_ids:
        repos.trainings.add_trainer(
            SessionTrainer(session_id=training.id, user_id=user_id, answer=TrainerAnswer.PENDING)
        )
        remind(repos, training, user_id, Role.TRAINER, now)
    await repos.session.flush()
    notices = await tell_subscribers(repos, training, now, after=notices_before)
    audit_session(
        repos, "training.created", training, actor_id=actor_id, at=now,
        trainers=list(draft.trainer_ids), capacity=draft.capacity, imported=actor_id is None,
    )  # fmt: skip
    return training, notices


async def create_session(
    db: Database, *, actor_id: int, draft: SessionDraft, key: str | None = None
) -> SessionInfo:
    """A new session from the staff group; its trainers are reminded of it and asked to
    answer in "My sessions", and its programme's subscribers in its settlement hear of it.
    `key` names the press that created it (stored as its import key): the same press
    delivered again returns the session it made rather than making another."""
    now = utcnow()
    async with as_staff(db, actor_id, "training.create") as (repos, _member):
        made = (await repos.trainings.by_import_keys([key])).get(key) if key else None
        if made is not None:
            [info] = await infos(repos, [made])
            return info
        checked = await check_draft(repos, draft, now)
        training, _ = await add_session(repos, checked, actor_id=actor_id, now=now, import_key=key)
        [info] = await infos(repos, [training])
        return info


async def move_session(
    db: Database, *, actor_id: int, session_id: int, starts_at: datetime, ends_at: datetime
) -> SessionInfo:
    """Move a session still ahead to another time: everyone concerned is told at once, their
    reminders move with it. Moving it where it is already changes nothing."""
    now = utcnow()
    async with as_staff(db, actor_id, "training.move") as (repos, _member):
        training = await load(repos, session_id, for_update=True)
        starts_at, ends_at = check_times(starts_at, ends_at, now)
        was = as_utc(training.starts_at)
        if (was, as_utc(training.ends_at)) == (starts_at, ends_at):
            [info] = await infos(repos, [training])
            return info
        if not is_open(training, now):
            raise TrainingRefused("not_open", status=training.status)
        training.starts_at, training.ends_at = starts_at, ends_at
        training.status, training.changed_at = SessionStatus.MOVED.value, now
        await drop_messages(repos, training.id, "session_moved")
        people = await concerned(repos, training)
        tell_change(repos, training, people, Change.MOVED, was, now)
        for user_id, role in people:
            remind(repos, training, user_id, role, now)
        audit_session(
            repos, "training.moved", training, actor_id=actor_id, at=now,
            moved_from=was.isoformat(), told=len(people),
        )  # fmt: skip
        [info] = await infos(repos, [training])
        return info


async def cancel_session(db: Database, *, actor_id: int, session_id: int) -> SessionInfo:
    """Cancel a session still ahead: everyone concerned is told at once and every reminder
    of it is dropped. Cancelling it again changes nothing."""
    now = utcnow()
    async with as_staff(db, actor_id, "training.cancel") as (repos, _member):
        training = await load(repos, session_id, for_update=True)
        if training.status == SessionStatus.CANCELLED:
            [info] = await infos(repos, [training])
            return info
        if not is_open(training, now):
            raise TrainingRefused("not_open", status=training.status)
        training.status, training.changed_at = SessionStatus.CANCELLED.value, now
        await drop_messages(repos, training.id, "session_cancelled")
        people = await concerned(repos, training)
        tell_change(repos, training, people, Change.CANCELLED, as_utc(training.starts_at), now)
        audit_session(
            repos, "training.cancelled", training, actor_id=actor_id, at=now, told=len(people)
        )
        [info] = await infos(repos, [training])
        return info


# --- lists ----------------------------------------------------------------------------------------


async def sessions_between(
    db: Database,
    *,
    start: datetime,
    end: datetime,
    settlement_code: str | None = None,
    programme_code: str | None = None,
    statuses: tuple[str, ...] = ALL_STATUSES,
) -> list[SessionInfo]:
    """Sessions starting in [start, end), soonest first: the staff's `/sessions`, a trainer's
    schedule by settlement or programme."""
    async with db.transaction() as repos:
        found = await repos.trainings.between(
            as_utc(start), as_utc(end), statuses=statuses,
            settlement_code=settlement_code, programme_code=programme_code,
        )  # fmt: skip
        return await infos(repos, found)


async def sessions_on(db: Database, day: date, zone: ZoneInfo) -> list[SessionInfo]:
    """Every session of a local day, whatever its status (`/sessions 2027-03-01`)."""
    start = datetime.combine(day, datetime.min.time(), zone)
    return await sessions_between(db, start=start, end=start + timedelta(days=1))


async def upcoming_sessions(
    db: Database, *, settlement_code: str | None = None, programme_code: str | None = None
) -> list[SessionInfo]:
    """What a parent may still sign up for in the next `UPCOMING_DAYS` days."""
    now = utcnow()
    found = await sessions_between(
        db, start=now, end=now + timedelta(days=UPCOMING_DAYS),
        settlement_code=settlement_code, programme_code=programme_code, statuses=OPEN_STATUSES,
    )  # fmt: skip
    return [session for session in found if session.starts_at > now]


async def get_session(db: Database, session_id: int) -> SessionInfo:
    async with db.transaction() as repos:
        [info] = await infos(repos, [await load(repos, session_id)])
        return info


async def my_sessions(db: Database, user_id: int) -> list[SessionInfo]:
    """A trainer's sessions not yet over (declined ones too, to change their mind) and those
    over but not reported, soonest first."""
    now = utcnow()
    async with db.transaction() as repos:
        found = await repos.trainings.sessions_of_trainer(
            user_id, now - timedelta(days=UPCOMING_DAYS), OPEN_STATUSES
        )
        return await infos(repos, found)


@dataclass(frozen=True)
class TrainerSessions:
    """A trainer's sessions as their "My sessions" shows them: those not over yet, soonest
    first, and those over in the last `UPCOMING_DAYS` days, latest first, each reported (held)
    or still to report. Cancelled ones, and past ones they said they can't lead, are left out."""

    upcoming: list[SessionInfo]
    past: list[SessionInfo]


async def trainer_sessions(db: Database, user_id: int) -> TrainerSessions:
    now = utcnow()
    statuses = (*OPEN_STATUSES, SessionStatus.HELD.value)
    async with db.transaction() as repos:
        found = await infos(
            repos,
            await repos.trainings.sessions_of_trainer(
                user_id, now - timedelta(days=UPCOMING_DAYS), statuses
            ),
        )
    upcoming = [s for s in found if s.ends_at > now and s.status != SessionStatus.HELD]
    past = [
        s
        for s in reversed(found)
        if s not in upcoming and answer_of(s, user_id) != TrainerAnswer.DECLINED
    ]
    return TrainerSessions(upcoming=upcoming, past=past)


def answer_of(session: SessionInfo, user_id: int) -> TrainerAnswer | None:
    """The person's answer as a trainer of the session; None when they are not one."""
    return next((t.answer for t in session.trainers if t.user_id == user_id), None)


async def is_trainer(db: Database, user_id: int) -> bool:
    """Whether the person sees the peer trainers' screens ("My sessions" in the menu,
    /mysessions). The one place that decides it: the trainer role staff approved (/trainer),
    or being a trainer of a session not yet over or of one over in the last `UPCOMING_DAYS`
    days (so that a report just sent can still be seen)."""
    now = utcnow()
    async with db.transaction() as repos:
        if standing_of(await repos.people.role(user_id, TRAINER)) == Standing.TRAINER:
            return True
        return await repos.trainings.has_sessions_to_lead(
            user_id, now, now - timedelta(days=UPCOMING_DAYS),
            (*OPEN_STATUSES, SessionStatus.HELD.value), SessionStatus.HELD.value,
            TrainerAnswer.DECLINED.value,
        )  # fmt: skip


# --- a trainer's answer ---------------------------------------------------------------------------


async def answer_as_trainer(
    db: Database, *, user_id: int, session_id: int, leading: bool
) -> SessionInfo:
    """ "I will lead it" (`leading`) or "I can't". Saying one's answer again changes nothing.
    A drop-out is told at once to the staff group, and the trainer's reminders go; changing
    one's mind back writes them again (those still ahead)."""
    now = utcnow()
    answer = TrainerAnswer.LEADING if leading else TrainerAnswer.DECLINED
    async with as_trainer(db, user_id, session_id) as (repos, training, trainer):
        if trainer.answer == answer:
            [info] = await infos(repos, [training])
            return info
        if not is_open(training, now):
            raise TrainingRefused("not_open", status=training.status)
        declined_before = trainer.answer == TrainerAnswer.DECLINED
        trainer.answer, trainer.answered_at = answer.value, now
        if answer == TrainerAnswer.DECLINED:
            await drop_messages(repos, training.id, "trainer_declined", chat_id=user_id)
            tell_staff_dropped(repos, training, user_id, now)
        elif declined_before:
            remind(repos, training, user_id, Role.TRAINER, now)
        audit_session(repos, f"training.{answer.value}", training, actor_id=user_id, at=now)
        await repos.session.flush()
        [info] = await infos(repos, [training])
        return info
