"""What a training session is and what every step with one checks: its draft (from the staff's
dialog or an imported line), its statuses, who is concerned by it, and whether an outbox entry
about it is still wanted when it falls due. Shared by core.training_sessions,
core.training_signups, core.training_reports and core.training_import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.audit import record_refusal
from core.clock import as_utc, utcnow
from core.errors import AccessDenied, InvalidInput, NotFound
from core.outbox import DROPPED, Kind, Wanted
from storage.database import Database
from storage.models import Programme, SessionTrainer, Settlement, TrainingSession
from storage.repositories import Repositories
from storage.repositories.trainings import ANY_SETTLEMENT, SIGNED_UP

MAX_CAPACITY = 1_000
MAX_TRAINERS = 5
MAX_LENGTH = timedelta(hours=12)  # one session, from its start to its end
MAX_PLACE_NAME = 200
MAX_ADDRESS = 300
UPCOMING_DAYS = 30  # how far ahead a parent sees sessions

__all__ = ["ANY_SETTLEMENT", "SIGNED_UP"]


class SessionStatus(StrEnum):
    PLANNED = "planned"
    MOVED = "moved"
    CANCELLED = "cancelled"
    HELD = "held"  # its attendance was reported


OPEN_STATUSES = (SessionStatus.PLANNED.value, SessionStatus.MOVED.value)


class PlaceKind(StrEnum):
    SCHOOL = "school"
    DAY_CENTRE = "day_centre"
    SETTLEMENT = "settlement"  # a community room, a yard...
    OTHER = "other"


class Audience(StrEnum):
    CHILDREN = "children"
    PARENTS = "parents"
    TEACHERS = "teachers"


class TrainerAnswer(StrEnum):
    PENDING = "pending"
    LEADING = "leading"  # "I will lead it"
    DECLINED = "declined"  # "I can't"


class SignupStatus(StrEnum):
    SIGNED_UP = SIGNED_UP
    CANCELLED = "cancelled"


class Role(StrEnum):
    """Why a person hears of a session."""

    TRAINER = "trainer"
    PARENT = "parent"


# The outbox entries a session owns for the people concerned: dropped when it changes.
PERSONAL_KINDS = (
    Kind.TRAINING_REMINDER.value,
    Kind.TRAINING_REPORT_DUE.value,
    Kind.TRAINING_CHANGED.value,
)


@dataclass(frozen=True)
class SessionDraft:
    """A session as staff describe it, before it is checked and stored. Times are aware."""

    programme_code: str
    starts_at: datetime
    ends_at: datetime
    settlement_code: str
    place_kind: str
    place_name: str
    address: str
    audience: str
    capacity: int
    trainer_ids: tuple[int, ...]


@dataclass(frozen=True)
class Trainer:
    user_id: int
    answer: TrainerAnswer


@dataclass(frozen=True)
class SessionInfo:
    id: int
    programme_code: str
    starts_at: datetime  # UTC
    ends_at: datetime
    settlement_code: str
    place_kind: PlaceKind
    place_name: str
    address: str
    audience: Audience
    capacity: int
    signed_up: int
    status: SessionStatus
    trainers: tuple[Trainer, ...]

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.signed_up)


def session_info(training: TrainingSession, trainers: list[SessionTrainer]) -> SessionInfo:
    return SessionInfo(
        id=training.id,
        programme_code=training.programme_code,
        starts_at=as_utc(training.starts_at),
        ends_at=as_utc(training.ends_at),
        settlement_code=training.settlement_code,
        place_kind=PlaceKind(training.place_kind),
        place_name=training.place_name,
        address=training.address,
        audience=Audience(training.audience),
        capacity=training.capacity,
        signed_up=training.signed_up,
        status=SessionStatus(training.status),
        trainers=tuple(
            Trainer(t.user_id, TrainerAnswer(t.answer))
            for t in trainers
            if t.session_id == training.id
        ),
    )


async def infos(repos: Repositories, trainings: list[TrainingSession]) -> list[SessionInfo]:
    """Sessions with their trainers, in two queries whatever their number."""
    trainers = await repos.trainings.trainers([training.id for training in trainings])
    return [session_info(training, trainers) for training in trainings]


async def load(
    repos: Repositories, session_id: int, *, for_update: bool = False
) -> TrainingSession:
    training = await repos.trainings.get(session_id, for_update=for_update)
    if training is None:
        raise NotFound("training_session")
    return training


def is_open(training: TrainingSession, now: datetime) -> bool:
    """Planned or moved, and not begun: one may still sign up, move it, be reminded of it."""
    return training.status in OPEN_STATUSES and as_utc(training.starts_at) > now


@asynccontextmanager
async def as_trainer(
    db: Database, user_id: int, session_id: int
) -> AsyncIterator[tuple[Repositories, TrainingSession, SessionTrainer]]:
    """A transaction over a session the person is a trainer of (locked, so their answers and
    reports wait for one another); anyone else, or a session that does not exist, is refused
    as not_your_session and the attempt kept in the audit log."""
    try:
        async with db.transaction() as repos:
            training = await load(repos, session_id, for_update=True)
            trainer = await repos.trainings.trainer(session_id, user_id)
            if trainer is None:
                raise AccessDenied("not_your_session")
            yield repos, training, trainer
    except (AccessDenied, NotFound):
        await record_refusal(
            db, actor_id=user_id, action="training.access_denied",
            object_type="training_session", object_id=session_id,
        )  # fmt: skip
        raise


def audit_session(
    repos: Repositories,
    action: str,
    training: TrainingSession,
    *,
    actor_id: int | None,
    at: datetime,
    **details: Any,
) -> None:
    """What happened to a session: what, where and when; never who signed up."""
    repos.audit.record(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type="training_session",
        object_id=training.id,
        details={
            "programme": training.programme_code,
            "settlement": training.settlement_code,
            "starts_at": as_utc(training.starts_at).isoformat(),
            **details,
        },
    )


async def drop_messages(
    repos: Repositories, session_id: int, why: str, *, chat_id: int | None = None
) -> None:
    """What the outbox still owes the people concerned (their reminders, a notice of an
    earlier change) is no longer right once the session changes or they leave it."""
    await repos.trainings.drop_unsent_messages(
        session_id, kinds=PERSONAL_KINDS, dropped=DROPPED, why=why, chat_id=chat_id
    )


# --- checking a draft -----------------------------------------------------------------------------


def check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """A session ahead, ending after it starts and within a day's length; returns them in UTC."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("time")
    starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)
    if starts_at <= now:
        raise InvalidInput("in_the_past")
    if not starts_at < ends_at <= starts_at + MAX_LENGTH:
        raise InvalidInput("ends", hours=int(MAX_LENGTH.total_seconds() // 3600))
    return starts_at, ends_at


async def check_draft(repos: Repositories, draft: SessionDraft, now: datetime) -> SessionDraft:
    """Every field of a new session, against the reference data and the people Koldo knows;
    returns it with times in UTC and the texts trimmed. Raises InvalidInput naming the field."""
    programme = await repos.reference.get(Programme, draft.programme_code)
    if programme is None or not programme.active:
        raise InvalidInput("programme", value=draft.programme_code)
    settlement = await repos.reference.get(Settlement, draft.settlement_code)
    if settlement is None or not settlement.active:
        raise InvalidInput("settlement", value=draft.settlement_code)
    starts_at, ends_at = check_times(draft.starts_at, draft.ends_at, now)
    if draft.place_kind not in set(PlaceKind):
        raise InvalidInput("place_kind", value=draft.place_kind)
    if draft.audience not in set(Audience):
        raise InvalidInput("audience", value=draft.audience)
    place_name, address = " ".join(draft.place_name.split()), " ".join(draft.address.split())
    if not 0 < len(place_name) <= MAX_PLACE_NAME:
        raise InvalidInput("place_name", most=MAX_PLACE_NAME)
    if len(address) > MAX_ADDRESS:
        raise InvalidInput("address", most=MAX_ADDRESS)
    if not 1 <= draft.capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity", low=1, high=MAX_CAPACITY)
    trainer_ids = tuple(dict.fromkeys(draft.trainer_ids))
    if not 1 <= len(trainer_ids) <= MAX_TRAINERS:
        raise InvalidInput("trainers", low=1, high=MAX_TRAINERS)
    for user_id in trainer_ids:
        if await repos.users.get(user_id) is None:
            raise InvalidInput("unknown_trainer", user_id=user_id)
    return SessionDraft(
        programme_code=draft.programme_code,
        starts_at=starts_at,
        ends_at=ends_at,
        settlement_code=draft.settlement_code,
        place_kind=draft.place_kind,
        place_name=place_name,
        address=address,
        audience=draft.audience,
        capacity=draft.capacity,
        trainer_ids=trainer_ids,
    )


# --- whether an outbox entry about a session is still wanted --------------------------------------


async def still_wanted(
    repos: Repositories, session_id: int | None, chat_id: int, wanted: str
) -> bool:
    """For core.outbox: `session_open` — the session is still on and ahead; `session_upcoming`
    — and the addressee still leads it or is signed up for it; `report_missing` — the session
    was not cancelled, nobody reported it yet and the addressee is still one of its trainers."""
    training = await repos.trainings.get(session_id) if session_id else None
    if training is None:
        return False
    if wanted == Wanted.REPORT_MISSING:
        trainer = await repos.trainings.trainer(training.id, chat_id)
        return (
            training.status in OPEN_STATUSES
            and await repos.trainings.report(training.id) is None
            and trainer is not None
            and trainer.answer != TrainerAnswer.DECLINED
        )
    if not is_open(training, utcnow()):
        return False
    if wanted == Wanted.SESSION_OPEN:
        return True
    return await is_concerned(repos, training.id, chat_id)


async def is_concerned(repos: Repositories, session_id: int, user_id: int) -> bool:
    """A trainer who has not said they can't, or a person signed up."""
    trainer = await repos.trainings.trainer(session_id, user_id)
    if trainer is not None and trainer.answer != TrainerAnswer.DECLINED:
        return True
    signup = await repos.trainings.signup(session_id, user_id)
    return signup is not None and signup.status == SignupStatus.SIGNED_UP
