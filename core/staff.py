"""Who may act in the staff group.

Being in the group is not enough: a person must also hold the staff role (core.people), given
by `koldo staff add` or, for the first admin, by the settings. Every refusal is written to the
audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from core.audit import record_refusal
from core.clock import utcnow
from core.errors import AccessDenied, InvalidInput, NotFound
from core.people import Role, RoleStatus, clean_name, person, role
from storage.database import Database
from storage.models import Person, PersonRole
from storage.repositories import Repositories

ACTIVE = (RoleStatus.ACTIVE.value,)


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str
    is_admin: bool
    on_duty: bool


def _staff(who: Person, member: PersonRole) -> Staff:
    return Staff(member.user_id, _name(who), member.is_admin, member.on_duty)


def _name(who: Person) -> str:
    """A staff member's name; one erased (core.people.forget_person) or never known shows as
    the placeholder until Koldo learns it again."""
    return who.name or _placeholder(who.user_id)


async def _listed(repos: Repositories) -> list[Staff]:
    return [_staff(*row) for row in await repos.people.holding(Role.STAFF.value, ACTIVE)]


async def list_staff(db: Database) -> list[Staff]:
    """The staff list for the operator (`koldo staff list`) and the outbox delivery."""
    async with db.transaction() as repos:
        return await _listed(repos)


async def staff_names(repos: Repositories) -> dict[int, str]:
    """Everyone who ever held the staff role, by id: a card still names who took a request
    after they left."""
    statuses = [status.value for status in RoleStatus]
    return {
        who.user_id: _name(who)
        for who, _role in await repos.people.holding(Role.STAFF.value, statuses)
    }


async def _active_staff(repos: Repositories, user_id: int) -> PersonRole | None:
    member = await repos.people.role(user_id, Role.STAFF.value)
    return member if member is not None and member.status == RoleStatus.ACTIVE else None


async def add_staff(
    db: Database,
    user_id: int,
    name: str,
    *,
    is_admin: bool = False,
    on_duty: bool = False,
    actor_id: int | None = None,
) -> Staff:
    """Add someone, or update their name and flags if they are listed already."""
    name = clean_name(name)
    if user_id <= 0:
        raise InvalidInput("user_id")
    if not name:
        raise InvalidInput("name")
    now = utcnow()
    async with db.transaction() as repos:
        who = await person(repos, user_id, now)
        who.name = name
        member = await role(repos, user_id, Role.STAFF, now)
        if member.status != RoleStatus.ACTIVE:
            _activate(member, actor_id, now)
        member.is_admin, member.on_duty = is_admin, on_duty
        _audit(repos, "staff.added", user_id, actor_id, {"admin": is_admin, "on_duty": on_duty})
        return _staff(who, member)


def _activate(member: PersonRole, actor_id: int | None, now: datetime) -> None:
    member.status = RoleStatus.ACTIVE.value
    member.application += 1
    member.requested_at = member.decided_at = now
    member.decided_by = actor_id


async def ensure_admin(db: Database, user_id: int) -> None:
    """The first admin from the settings is always listed (and stays an admin)."""
    now = utcnow()
    async with db.transaction() as repos:
        member = await _active_staff(repos, user_id)
        if member is None:
            await person(repos, user_id, now)
            member = await role(repos, user_id, Role.STAFF, now)
            _activate(member, None, now)
            member.is_admin = member.on_duty = True
            _audit(repos, "staff.added", user_id, None, {"admin": True, "from": "settings"})
        elif not member.is_admin:
            member.is_admin = True


async def learn_name(db: Database, user_id: int, telegram_name: str) -> None:
    """A listed member seen acting or writing in the group: the name Telegram shows replaces a
    placeholder (or an erased name), so cards and alerts name the first admin from the
    settings without anyone running `koldo staff add`. A name given by hand is kept."""
    name = clean_name(telegram_name)
    if not name:
        return
    async with db.transaction() as repos:
        if await _active_staff(repos, user_id) is None:
            return
        who = await repos.people.get(user_id)
        if who is not None and who.name in (None, _placeholder(user_id)):
            who.name = name


def _placeholder(user_id: int) -> str:
    """The name of the first admin from the settings until Koldo learns a real one."""
    return f"Admin {user_id}"


async def remove_staff(db: Database, user_id: int, *, actor_id: int | None = None) -> None:
    """The staff role ends (kept as revoked, see core.people); the person may still use Koldo
    as anyone else."""
    now = utcnow()
    async with db.transaction() as repos:
        member = await _active_staff(repos, user_id)
        if member is None:
            raise NotFound()
        member.status = RoleStatus.REVOKED.value
        member.on_duty = member.is_admin = False
        member.decided_by, member.decided_at = actor_id, now
        _audit(repos, "staff.removed", user_id, actor_id, None)


@asynccontextmanager
async def as_staff(
    db: Database, user_id: int, action: str, detail: str | None = None
) -> AsyncIterator[tuple[Repositories, PersonRole]]:
    """A transaction for a listed staff member; anyone else gets AccessDenied, and the attempt
    is logged (in a transaction of its own, since this one is rolled back)."""
    try:
        async with db.transaction() as repos:
            member = await _active_staff(repos, user_id)
            if member is None:
                raise AccessDenied(action=action)
            yield repos, member
    except AccessDenied:
        await record_refusal(
            db,
            actor_id=user_id,
            action="staff.access_denied",
            object_type="staff_action",
            object_id=action,
            details={"detail": detail} if detail else None,
        )
        raise


async def colleagues(db: Database, *, staff_id: int) -> list[Staff]:
    """The staff list as a staff member reads it (e.g. to pass a request to someone); anyone
    else is refused and logged, under the name the audit log has always used for it."""
    async with as_staff(db, staff_id, "card.reassign") as (repos, _member):
        return await _listed(repos)


async def is_listed(repos: Repositories, user_id: int) -> bool:
    """Whether `user_id` is on the staff list now (e.g. before passing a request to them)."""
    return await _active_staff(repos, user_id) is not None


async def toggle_duty(db: Database, user_id: int) -> Staff:
    """On duty ↔ off duty, for oneself."""
    async with as_staff(db, user_id, "staff.duty") as (repos, member):
        member.on_duty = not member.on_duty
        _audit(repos, "staff.duty", user_id, user_id, {"on_duty": member.on_duty})
        who = await repos.people.get(user_id)
        assert who is not None  # a role hangs on its person
        return _staff(who, member)


def _audit(
    repos: Repositories, action: str, user_id: int, actor_id: int | None, details: dict | None
) -> None:
    repos.audit.record(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type="staff",
        object_id=user_id,
        details=details,
    )
