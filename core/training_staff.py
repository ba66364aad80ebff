"""What the staff group reads about training sessions around creating, moving and cancelling
them (core.training_sessions) and correcting a report (core.training_reports): the choices
of the `/session new` dialog, the `/sessions` list with the names to show, one session
before a Move, Cancel or report correction is asked for.

Every one of them is for staff only (core.staff.as_staff; anyone else is refused and the
attempt audited), so a person not on the list is stopped at the first step of a dialog, not
after typing every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import as_utc
from core.staff import as_staff
from core.training_reports import Report, get_report
from core.training_rules import SessionInfo, infos, load
from core.training_sessions import ALL_STATUSES
from storage.database import Database
from storage.models import Programme, Settlement, TrainingSession
from storage.repositories import Repositories

Localized = dict[str, str]


@dataclass(frozen=True)
class Named:
    code: str
    name: Localized


@dataclass(frozen=True)
class Choices:
    """The programmes and settlements a new session may have, in the reference file's order."""

    programmes: list[Named]
    settlements: list[Named]


@dataclass(frozen=True)
class StaffList:
    """Sessions with the names of their programmes and settlements (inactive ones too: a
    session keeps the programme it was created with)."""

    sessions: list[SessionInfo]
    programmes: dict[str, Localized]
    settlements: dict[str, Localized]


@dataclass(frozen=True)
class StaffSession:
    session: SessionInfo
    programme: Localized
    settlement: Localized
    report: Report | None


async def session_choices(db: Database, *, actor_id: int) -> Choices:
    async with as_staff(db, actor_id, "training.create") as (repos, _member):
        programmes = await repos.reference.active(Programme)
        settlements = await repos.reference.active(Settlement)
        return Choices(
            programmes=[Named(row.code, dict(row.name)) for row in programmes],
            settlements=[Named(row.code, dict(row.name)) for row in settlements],
        )


async def staff_sessions(
    db: Database, *, actor_id: int, start: datetime, end: datetime
) -> StaffList:
    """Every session starting in [start, end), whatever its status, soonest first."""
    async with as_staff(db, actor_id, "training.list") as (repos, _member):
        found = await repos.trainings.between(as_utc(start), as_utc(end), statuses=ALL_STATUSES)
        return StaffList(
            sessions=await infos(repos, found),
            programmes=await _names(repos, Programme, found, "programme_code"),
            settlements=await _names(repos, Settlement, found, "settlement_code"),
        )


async def staff_session(db: Database, *, actor_id: int, session_id: int) -> StaffSession:
    """One session as staff are asked about it before moving, cancelling or correcting it."""
    async with as_staff(db, actor_id, "training.view") as (repos, _member):
        training = await load(repos, session_id)
        [info] = await infos(repos, [training])
        programmes = await _names(repos, Programme, [training], "programme_code")
        settlements = await _names(repos, Settlement, [training], "settlement_code")
    return StaffSession(
        session=info,
        programme=programmes.get(info.programme_code, {}),
        settlement=settlements.get(info.settlement_code, {}),
        report=await get_report(db, session_id),
    )


async def _names(
    repos: Repositories,
    model: type[Programme] | type[Settlement],
    found: list[TrainingSession],
    column: str,
) -> dict[str, Localized]:
    codes = {getattr(training, column) for training in found}
    names: dict[str, Localized] = {}
    for row in await repos.reference.every(model):
        if row.code in codes:
            names[row.code] = dict(row.name)
    return names
