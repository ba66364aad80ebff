"""Peer trainers: someone asks for the role (/trainer), staff approve or decline it in the staff
group, and may revoke it later; the person is told each decision in their language.

An application is one state of the person's trainer role (core.people): asking again while
one waits, or once one is a trainer, asks nothing new. Each application has a number, carried
by the Approve / Decline buttons: a button under an old application cannot decide a new one.
A decision is a conditional change of the role (requested → active | declined), so of two
staff pressing at once exactly one decides, and the other is told who did. Every change is
audited; refusals of someone not on the staff list are audited by core.staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import ConsentRequired, InvalidInput, InvalidTransition, NotFound
from core.outbox import STAFF_CHAT, Kind, enqueue
from core.people import MAX_NAME, Role, RoleStatus, person, role
from core.staff import as_staff, staff_names
from storage.database import AlreadyStored, Database
from storage.models import Person, PersonRole, Programme, Settlement
from storage.repositories import Repositories

MIN_NAME = 2
TRAINER = Role.TRAINER.value


class Standing(StrEnum):
    """Where a person stands after /trainer's Send."""

    APPLIED = "applied"  # the application went to staff now
    PENDING = "pending"  # one was waiting already: nothing new was sent
    TRAINER = "trainer"  # they are a trainer already


class Decision(StrEnum):
    """What the person is told (the payload of Kind.TRAINER_DECISION)."""

    APPROVED = "approved"
    DECLINED = "declined"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Application:
    """A person's trainer role as staff see it."""

    user_id: int
    name: str | None  # None once erased
    settlement_code: str | None
    programmes: tuple[str, ...]
    status: RoleStatus
    application: int
    requested_at: datetime
    decided_by: str | None  # the staff member's name
    decided_at: datetime | None


@dataclass(frozen=True)
class Decided:
    application: Application
    now: bool  # decided by this press; False: someone had decided it before


@dataclass(frozen=True)
class TrainerNotice:
    """What the outbox needs to tell a person of a decision."""

    user_id: int
    language: str | None


def parse_name(text: str | None) -> str:
    """A name as the person typed it: at least two characters with a letter among them."""
    name = " ".join((text or "").split())
    if len(name) > MAX_NAME:
        raise InvalidInput("too_long", limit=MAX_NAME, length=len(name))
    if len(name) < MIN_NAME or not any(char.isalpha() for char in name):
        raise InvalidInput("trainer_name")
    return name


async def standing(db: Database, user_id: int) -> Standing | None:
    """PENDING or TRAINER when /trainer has nothing to ask; None when it may ask."""
    async with db.transaction() as repos:
        found = await repos.people.role(user_id, TRAINER)
        return standing_of(found)


def standing_of(found: PersonRole | None) -> Standing | None:
    """Where a person with this trainer role row stands: a trainer, waiting, or free to ask."""
    if found is None:
        return None
    return {RoleStatus.ACTIVE: Standing.TRAINER, RoleStatus.REQUESTED: Standing.PENDING}.get(
        RoleStatus(found.status)
    )


async def apply_as_trainer(
    db: Database,
    *,
    user_id: int,
    name: str,
    settlement_code: str,
    programmes: list[str],
) -> Standing:
    """Ask to be a peer trainer: the application goes to the staff group with Approve /
    Decline. Asking again while one waits (a second press, an update delivered again) or once
    a trainer changes nothing and says where the person stands."""
    name = parse_name(name)
    try:
        return await _apply(db, user_id, name, settlement_code, programmes)
    except AlreadyStored:
        # The same person's first application sent twice at once (a tap on two devices): the
        # other one went, and this one asks nothing new.
        return await standing(db, user_id) or Standing.PENDING


async def _apply(
    db: Database, user_id: int, name: str, settlement_code: str, programmes: list[str]
) -> Standing:
    now = utcnow()
    async with db.transaction() as repos:
        # Two presses of Send at once: the second waits here, then finds the first's application.
        await repos.users.lock(user_id)
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        current = await repos.people.role(user_id, TRAINER)
        already = standing_of(current)
        if already is not None:
            return already
        await _check_settlement(repos, settlement_code)
        chosen = await _check_programmes(repos, programmes)
        who = await person(repos, user_id, now)
        who.name, who.settlement_code = name, settlement_code
        trainer = current or await role(repos, user_id, Role.TRAINER, now)
        trainer.status, trainer.programmes = RoleStatus.REQUESTED.value, chosen
        trainer.application += 1
        trainer.requested_at, trainer.decided_by, trainer.decided_at = now, None, None
        _audit(repos, "trainer.applied", user_id, user_id, now, programmes=chosen,
               application=trainer.application)  # fmt: skip
        enqueue(
            repos, chat_id=STAFF_CHAT, kind=Kind.TRAINER_APPLICATION, now=now,
            user_id=user_id, application=trainer.application,
        )  # fmt: skip
        return Standing.APPLIED


async def _check_settlement(repos: Repositories, code: str) -> None:
    settlement = await repos.reference.get(Settlement, code)
    if settlement is None or not settlement.active:
        raise InvalidInput("unknown_settlement")


async def _check_programmes(repos: Repositories, codes: list[str]) -> list[str]:
    """The chosen programmes in the reference file's order; at least one, all on offer."""
    if not codes:
        raise InvalidInput("no_programme")
    offered = [programme.code for programme in await repos.reference.active(Programme)]
    if not set(codes) <= set(offered):
        raise InvalidInput("unknown_programme")
    return [code for code in offered if code in codes]


async def decide(
    db: Database, *, staff_id: int, user_id: int, application: int, approve: bool
) -> Decided:
    """Approve or decline application number `application`. Only staff may (anyone else is
    refused and audited); one already decided stays as it was, and says who decided it."""
    action = "trainer.approve" if approve else "trainer.decline"
    detail = f"trainer {user_id}"
    now = utcnow()
    async with as_staff(db, staff_id, action, detail) as (repos, _member):
        new = RoleStatus.ACTIVE if approve else RoleStatus.DECLINED
        decided = await repos.people.change_role(
            user_id,
            TRAINER,
            where={"status": RoleStatus.REQUESTED.value, "application": application},
            values={"status": new.value, "decided_by": staff_id, "decided_at": now},
        )
        if decided:
            _audit(repos, "trainer.approved" if approve else "trainer.declined", user_id,
                   staff_id, now, application=application)  # fmt: skip
            decision = Decision.APPROVED if approve else Decision.DECLINED
            enqueue(repos, chat_id=user_id, kind=Kind.TRAINER_DECISION, now=now,
                    decision=decision.value)  # fmt: skip
        found = await _application(repos, user_id)
        if found is None:
            raise NotFound("trainer")
        return Decided(found, now=decided)


async def revoke_trainer(db: Database, *, staff_id: int, user_id: int) -> Application:
    """Take the trainer role away; the person is told. Only an active trainer's role can be
    revoked: a second /revoke_trainer changes nothing and tells no one twice."""
    now = utcnow()
    async with as_staff(db, staff_id, "trainer.revoke", f"trainer {user_id}") as (repos, _m):
        revoked = await repos.people.change_role(
            user_id,
            TRAINER,
            where={"status": RoleStatus.ACTIVE.value},
            values={"status": RoleStatus.REVOKED.value, "decided_by": staff_id, "decided_at": now},
        )
        if not revoked:
            raise InvalidTransition("not_trainer")
        _audit(repos, "trainer.revoked", user_id, staff_id, now)
        enqueue(repos, chat_id=user_id, kind=Kind.TRAINER_DECISION, now=now,
                decision=Decision.REVOKED.value)  # fmt: skip
        found = await _application(repos, user_id)
        assert found is not None  # it was just changed
        return found


async def trainers(db: Database, *, staff_id: int) -> list[Application]:
    """Active trainers and waiting applications, for `/trainers` in the staff group."""
    statuses = (RoleStatus.REQUESTED.value, RoleStatus.ACTIVE.value)
    async with as_staff(db, staff_id, "command.trainers") as (repos, _member):
        names = await staff_names(repos)
        return [
            _view(who, found, names) for who, found in await repos.people.holding(TRAINER, statuses)
        ]


# ---------------------------------------------------------------------- the outbox delivery's reads


async def application_of(db: Database, user_id: int) -> Application | None:
    """The person's trainer role as it is now, to draw the application in the staff group."""
    async with db.transaction() as repos:
        return await _application(repos, user_id)


async def notice_for(db: Database, user_id: int) -> TrainerNotice | None:
    """None once the person was forgotten: nothing may be sent to them."""
    async with db.transaction() as repos:
        user = await repos.users.get(user_id)
        if user is None:
            return None
        return TrainerNotice(user_id, user.language)


async def _application(repos: Repositories, user_id: int) -> Application | None:
    who = await repos.people.get(user_id)
    found = await repos.people.role(user_id, TRAINER)
    if who is None or found is None:
        return None
    return _view(who, found, await staff_names(repos))


def _view(who: Person, found: PersonRole, names: dict[int, str]) -> Application:
    return Application(
        user_id=who.user_id,
        name=who.name,
        settlement_code=who.settlement_code,
        programmes=tuple(found.programmes or ()),
        status=RoleStatus(found.status),
        application=found.application,
        requested_at=as_utc(found.requested_at),
        decided_by=names.get(found.decided_by) if found.decided_by is not None else None,
        decided_at=as_utc(found.decided_at) if found.decided_at else None,
    )


def _audit(
    repos: Repositories,
    action: str,
    user_id: int,
    actor_id: int | None,
    now: datetime,
    **details: object,
) -> None:
    repos.audit.record(
        at=now, actor_id=actor_id, action=action, object_type="trainer", object_id=user_id,
        details=details or None,
    )  # fmt: skip
