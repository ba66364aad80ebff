"""Who may act in the staff group.

Being in the group is not enough: a person must also be listed here (by `koldo staff add` or
as the first admin from the settings). Every refusal is written to the audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.audit import record_refusal
from core.clock import utcnow
from core.errors import AccessDenied, InvalidInput, NotFound
from storage.database import Database
from storage.models import StaffMember
from storage.repositories import Repositories

MAX_NAME = 128


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str
    is_admin: bool
    on_duty: bool


def _staff(member: StaffMember) -> Staff:
    return Staff(member.user_id, member.name, member.is_admin, member.on_duty)


async def list_staff(db: Database) -> list[Staff]:
    """The staff list for the operator (`koldo staff list`) and the outbox delivery."""
    async with db.transaction() as repos:
        return [_staff(member) for member in await repos.staff.all()]


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
    name = _clean_name(name)
    if user_id <= 0:
        raise InvalidInput("user_id")
    if not name:
        raise InvalidInput("name")
    now = utcnow()
    async with db.transaction() as repos:
        member = await repos.staff.get(user_id)
        if member is None:
            member = StaffMember(user_id=user_id, name=name, added_at=now)
            repos.staff.add(member)
        member.name, member.is_admin, member.on_duty = name, is_admin, on_duty
        _audit(repos, "staff.added", user_id, actor_id, {"admin": is_admin, "on_duty": on_duty})
        return _staff(member)


async def ensure_admin(db: Database, user_id: int) -> None:
    """The first admin from the settings is always listed (and stays an admin)."""
    async with db.transaction() as repos:
        member = await repos.staff.get(user_id)
        if member is None:
            repos.staff.add(
                StaffMember(
                    user_id=user_id, name=_placeholder(user_id), is_admin=True, on_duty=True,
                    added_at=utcnow(),
                )
            )  # fmt: skip
            _audit(repos, "staff.added", user_id, None, {"admin": True, "from": "settings"})
        elif not member.is_admin:
            member.is_admin = True


async def learn_name(db: Database, user_id: int, telegram_name: str) -> None:
    """A listed member seen acting or writing in the group: the name Telegram shows replaces a
    placeholder, so cards and alerts name the first admin from the settings without anyone
    running `koldo staff add`. A name given by hand is kept."""
    name = _clean_name(telegram_name)
    if not name:
        return
    async with db.transaction() as repos:
        member = await repos.staff.get(user_id)
        if member is not None and member.name == _placeholder(user_id):
            member.name = name


def _placeholder(user_id: int) -> str:
    """The name of the first admin from the settings until Koldo learns a real one."""
    return f"Admin {user_id}"


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:MAX_NAME]


async def remove_staff(db: Database, user_id: int, *, actor_id: int | None = None) -> None:
    async with db.transaction() as repos:
        member = await repos.staff.get(user_id)
        if member is None:
            raise NotFound()
        await repos.staff.remove(member)
        _audit(repos, "staff.removed", user_id, actor_id, None)


@asynccontextmanager
async def as_staff(
    db: Database, user_id: int, action: str, detail: str | None = None
) -> AsyncIterator[tuple[Repositories, StaffMember]]:
    """A transaction for a listed staff member; anyone else gets AccessDenied, and the attempt
    is logged (in a transaction of its own, since this one is rolled back)."""
    try:
        async with db.transaction() as repos:
            member = await repos.staff.get(user_id)
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
        return [_staff(member) for member in await repos.staff.all()]


async def toggle_duty(db: Database, user_id: int) -> Staff:
    """On duty ↔ off duty, for oneself."""
    async with as_staff(db, user_id, "staff.duty") as (repos, member):
        member.on_duty = not member.on_duty
        _audit(repos, "staff.duty", user_id, user_id, {"on_duty": member.on_duty})
        return _staff(member)


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
