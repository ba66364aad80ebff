"""After a session: the trainer's attendance report, staff's correction of it, and the figures
donors ask for (`koldo report trainings`).

A report counts who came twice over: by gender (girls, boys, women, men) and by age band
(6–9, 10–13, 14–16, adults); both ways must give the same total. Reporting marks the session
held and drops the trainers' "please report" reminders. A staff correction keeps who made it
and when on the report, and the numbers before it in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TypeVar

from core.clock import as_utc, utcnow
from core.errors import InvalidInput, TrainingRefused
from core.outbox import DROPPED, Kind
from core.staff import as_staff
from core.training_rules import (
    OPEN_STATUSES,
    SessionStatus,
    TrainerAnswer,
    as_trainer,
    audit_session,
    load,
)
from storage.database import Database
from storage.models import AttendanceReport, TrainingSession
from storage.repositories import Repositories

MAX_NOTE = 1_000
K = TypeVar("K")
MAX_COUNT = 10_000  # people one session can have had


@dataclass(frozen=True)
class Attendance:
    """Who came, counted by gender and by age band."""

    girls: int = 0
    boys: int = 0
    women: int = 0
    men: int = 0
    age_6_9: int = 0
    age_10_13: int = 0
    age_14_16: int = 0
    adults: int = 0

    @property
    def total(self) -> int:
        return self.girls + self.boys + self.women + self.men

    @property
    def by_age(self) -> int:
        return self.age_6_9 + self.age_10_13 + self.age_14_16 + self.adults

    def check(self) -> Attendance:
        """Whole numbers, none negative, the age bands adding up to the genders' total."""
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidInput("count", field=field.name)
            if not 0 <= value <= MAX_COUNT:
                raise InvalidInput("count", field=field.name, low=0, high=MAX_COUNT)
        if self.by_age != self.total:
            raise InvalidInput("age_bands_total", total=self.total, by_age=self.by_age)
        return self

    def __add__(self, other: Attendance) -> Attendance:
        return Attendance(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class Report:
    session_id: int
    attendance: Attendance
    note: str
    reported_by: int | None
    reported_at: datetime
    corrected_by: int | None
    corrected_at: datetime | None


def _attendance(row: AttendanceReport) -> Attendance:
    return Attendance(**{f.name: getattr(row, f.name) for f in fields(Attendance)})


def _report(row: AttendanceReport) -> Report:
    return Report(
        session_id=row.session_id,
        attendance=_attendance(row),
        note=row.note,
        reported_by=row.reported_by,
        reported_at=as_utc(row.reported_at),
        corrected_by=row.corrected_by,
        corrected_at=as_utc(row.corrected_at) if row.corrected_at else None,
    )


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput("note", most=MAX_NOTE)
    return note


async def report_attendance(
    db: Database, *, user_id: int, session_id: int, attendance: Attendance, note: str = ""
) -> Report:
    """A trainer of the session (who has not declined) reports, once it is over. The same
    report sent again (a repeated press) changes nothing; a different one is for staff to
    correct."""
    attendance, note, now = attendance.check(), _note(note), utcnow()
    async with as_trainer(db, user_id, session_id) as (repos, training, trainer):
        if trainer.answer == TrainerAnswer.DECLINED:
            raise TrainingRefused("declined")
        existing = await repos.trainings.report(session_id)
        if existing is not None:
            if _attendance(existing) == attendance and existing.note == note:
                return _report(existing)
            raise TrainingRefused("already_reported")
        if training.status not in OPEN_STATUSES:
            raise TrainingRefused("not_open", status=training.status)
        if as_utc(training.ends_at) > now:
            raise TrainingRefused("not_ended")
        row = AttendanceReport(
            session_id=session_id, note=note, reported_by=user_id, reported_at=now,
            **asdict(attendance),
        )  # fmt: skip
        repos.trainings.add_report(row)
        await _held(repos, training, now)
        audit_session(
            repos, "training.reported", training, actor_id=user_id, at=now,
            **asdict(attendance),
        )  # fmt: skip
        return _report(row)


async def _held(repos: Repositories, training: TrainingSession, now: datetime) -> None:
    training.status, training.changed_at = SessionStatus.HELD.value, now
    await repos.trainings.drop_unsent_messages(
        training.id, kinds=(Kind.TRAINING_REPORT_DUE.value,), dropped=DROPPED, why="reported"
    )


async def correct_report(
    db: Database, *, actor_id: int, session_id: int, attendance: Attendance, note: str | None = None
) -> Report:
    """Staff set the numbers right (and the note, when given). A session nobody reported gets
    its report this way too, once it is over."""
    attendance, now = attendance.check(), utcnow()
    async with as_staff(db, actor_id, "training.correct") as (repos, _member):
        training = await load(repos, session_id, for_update=True)
        row = await repos.trainings.report(session_id)
        if row is None:
            if training.status not in OPEN_STATUSES:
                raise TrainingRefused("not_open", status=training.status)
            if as_utc(training.ends_at) > now:
                raise TrainingRefused("not_ended")
            row = AttendanceReport(
                session_id=session_id, note=_note(note or ""), reported_by=None,
                reported_at=now, **asdict(attendance),
            )  # fmt: skip
            repos.trainings.add_report(row)
            await _held(repos, training, now)
            before = None
        else:
            before = asdict(_attendance(row))
            for name, value in asdict(attendance).items():
                setattr(row, name, value)
            if note is not None:
                row.note = _note(note)
        row.corrected_by, row.corrected_at = actor_id, now
        audit_session(
            repos, "training.report_corrected", training, actor_id=actor_id, at=now,
            before=before, after=asdict(attendance),
        )  # fmt: skip
        return _report(row)


async def get_report(db: Database, session_id: int) -> Report | None:
    async with db.transaction() as repos:
        row = await repos.trainings.report(session_id)
        return _report(row) if row else None


# --- figures for donors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Held sessions, who came to them, and how many trainers led them."""

    sessions: int
    attendance: Attendance
    trainers: int


@dataclass(frozen=True)
class TrainingsReport:
    start: datetime
    end: datetime
    total: Figures
    by_programme: dict[str, Figures]
    by_settlement: dict[str, Figures]
    by_both: dict[tuple[str, str], Figures]  # (programme, settlement)


async def trainings_report(db: Database, *, start: datetime, end: datetime) -> TrainingsReport:
    """Sessions held that started in [start, end). A trainer is active in a group of them
    when they led or reported one of its sessions."""
    async with db.transaction() as repos:
        held = await repos.trainings.between(
            as_utc(start), as_utc(end), statuses=(SessionStatus.HELD.value,)
        )
        ids = [training.id for training in held]
        reports = {row.session_id: _attendance(row) for row in await repos.trainings.reports(ids)}
        leaders: dict[int, set[int]] = defaultdict(set)
        for trainer in await repos.trainings.trainers(ids):
            if trainer.answer == TrainerAnswer.LEADING:
                leaders[trainer.session_id].add(trainer.user_id)
        for row in await repos.trainings.reports(ids):
            if row.reported_by is not None:
                leaders[row.session_id].add(row.reported_by)

    def figures(sessions: Iterable[TrainingSession]) -> Figures:
        chosen = list(sessions)
        attendance = sum((reports.get(s.id, Attendance()) for s in chosen), Attendance())
        trainers = set().union(*(leaders[s.id] for s in chosen)) if chosen else set()
        return Figures(len(chosen), attendance, len(trainers))

    def grouped(key: Callable[[TrainingSession], K]) -> dict[K, Figures]:
        groups: dict[K, list[TrainingSession]] = defaultdict(list)
        for training in held:
            groups[key(training)].append(training)
        return {name: figures(group) for name, group in sorted(groups.items())}

    return TrainingsReport(
        start=as_utc(start),
        end=as_utc(end),
        total=figures(held),
        by_programme=grouped(lambda s: s.programme_code),
        by_settlement=grouped(lambda s: s.settlement_code),
        by_both=grouped(lambda s: (s.programme_code, s.settlement_code)),
    )
