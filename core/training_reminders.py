"""What the outbox says about training sessions, and when.

Everything goes through the one outbox and its worker, as for day-centre bookings
(core.reminders): each entry names its session (`training_session_id`) so it moves and drops
with it, and names what must still hold when it falls due (`Wanted`), so a reminder of a
session cancelled, begun, left or declined is dropped rather than sent. An entry that fell due
while Koldo was stopped goes out after a restart if that still holds (the session is ahead),
and none is ever written twice: a change drops the unsent ones before writing new ones, and
only those still ahead are written.

- Reminders: `BEFORE` the session (24 hours and 1 hour), to each trainer who has not declined
  and each person signed up. They keep quiet hours (the outbox holds one due at night until
  the morning, then sends it if the session is still ahead).
- A trainer who has not reported attendance `REPORT_AFTER` the end is reminded once.
- A new session is told to the subscribers of its programme in its settlement, `SPACING`
  apart, so a long list of them never crowds out replies and reminders, and never at night.
- A move or a cancellation is told at once to everyone concerned (quiet hours kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.clock import as_utc
from core.outbox import STAFF_CHAT, Kind, Wanted, enqueue
from core.training_rules import Role, SessionInfo, TrainerAnswer, infos
from storage.database import Database
from storage.models import Programme, Settlement, TrainingSession
from storage.repositories import Repositories


class Which(StrEnum):
    DAY = "day"  # 24 hours before
    HOUR = "hour"  # 1 hour before


class Change(StrEnum):
    MOVED = "moved"
    CANCELLED = "cancelled"


BEFORE = {Which.DAY: timedelta(hours=24), Which.HOUR: timedelta(hours=1)}
REPORT_AFTER = timedelta(hours=24)
SPACING = timedelta(milliseconds=100)  # between two subscribers' notices: 10 a second


def reminder_times(starts_at: datetime, now: datetime) -> dict[Which, datetime]:
    """The reminders of a session starting at `starts_at` still ahead at `now`."""
    times = {which: as_utc(starts_at) - before for which, before in BEFORE.items()}
    return {which: due for which, due in times.items() if due > now}


def remind(
    repos: Repositories, training: TrainingSession, user_id: int, role: Role, now: datetime
) -> None:
    """Write one person's reminders of the session (and a trainer's report reminder)."""
    for which, due in reminder_times(training.starts_at, now).items():
        enqueue(
            repos, chat_id=user_id, kind=Kind.TRAINING_REMINDER, now=now,
            training_session_id=training.id, due=due, wanted_while=Wanted.SESSION_UPCOMING,
            which=which.value, role=role.value,
        )  # fmt: skip
    if role == Role.TRAINER:
        enqueue(
            repos, chat_id=user_id, kind=Kind.TRAINING_REPORT_DUE, now=now,
            training_session_id=training.id, due=as_utc(training.ends_at) + REPORT_AFTER,
            wanted_while=Wanted.REPORT_MISSING,
        )  # fmt: skip


async def concerned(repos: Repositories, training: TrainingSession) -> list[tuple[int, Role]]:
    """Who hears of the session's changes: its trainers who have not declined, then the
    people signed up (a trainer signed up too hears once, as the trainer)."""
    people = [
        (trainer.user_id, Role.TRAINER)
        for trainer in await repos.trainings.trainers([training.id])
        if trainer.answer != TrainerAnswer.DECLINED
    ]
    trainers = {user_id for user_id, _ in people}
    people += [
        (signup.user_id, Role.PARENT)
        for signup in await repos.trainings.signed_up(training.id)
        if signup.user_id is not None and signup.user_id not in trainers
    ]
    return people


def tell_change(
    repos: Repositories,
    training: TrainingSession,
    people: list[tuple[int, Role]],
    change: Change,
    was: datetime,
    now: datetime,
) -> None:
    for user_id, role in people:
        enqueue(
            repos, chat_id=user_id, kind=Kind.TRAINING_CHANGED, now=now,
            training_session_id=training.id, change=change.value, was=as_utc(was).isoformat(),
            role=role.value,
        )  # fmt: skip


async def tell_subscribers(
    repos: Repositories, training: TrainingSession, now: datetime, *, after: int = 0
) -> int:
    """A new session for those who asked to hear of one; the notices are spaced `SPACING`
    apart, the first `after` notices already written in this transaction (several sessions
    imported at once). Returns how many are written now, with those before."""
    subscribers = await repos.trainings.subscribers(
        training.programme_code, training.settlement_code
    )
    trainers = {t.user_id for t in await repos.trainings.trainers([training.id])}
    count = after
    for user_id in subscribers:
        if user_id in trainers:
            continue
        enqueue(
            repos, chat_id=user_id, kind=Kind.TRAINING_NEW, now=now,
            training_session_id=training.id, due=now + SPACING * count,
            wanted_while=Wanted.SESSION_OPEN,
        )  # fmt: skip
        count += 1
    return count


# Who dropped out, for a trainer erased with /forget: their id must not stay in the outbox.
ERASED_TRAINER = 0


def tell_staff_dropped(
    repos: Repositories, training: TrainingSession, user_id: int, now: datetime
) -> None:
    enqueue(
        repos, chat_id=STAFF_CHAT, kind=Kind.TRAINER_DROPPED, now=now,
        session_id=training.id, user_id=user_id,
    )  # fmt: skip


# --- what the sender reads when it sends ----------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A session as a message tells of it, in the addressee's language as it is now."""

    session: SessionInfo
    language: str
    programme: dict[str, str]
    programme_summary: dict[str, str]
    settlement: dict[str, str]


async def notice(db: Database, session_id: int, user_id: int | None) -> Notice | None:
    """None when the session is gone. `user_id` None: for the staff group (language "")."""
    async with db.transaction() as repos:
        training = await repos.trainings.get(session_id)
        if training is None:
            return None
        [info] = await infos(repos, [training])
        user = await repos.users.get(user_id) if user_id is not None else None
        programme = await repos.reference.get(Programme, training.programme_code)
        settlement = await repos.reference.get(Settlement, training.settlement_code)
        return Notice(
            session=info,
            language=((user.language if user else None) or "ru") if user_id else "",
            programme=dict(programme.name) if programme else {},
            programme_summary=dict(programme.summary) if programme else {},
            settlement=dict(settlement.name) if settlement else {},
        )
