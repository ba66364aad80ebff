"""People and their roles: one list of whom CPC knows by name, and what each may do.

A person may hold several roles, one row each (`storage.models.PersonRole`): staff (acts in the
staff group; `koldo staff`, core.staff) and peer trainer (asks with /trainer, staff approve;
core.trainers). Being a parent needs no row: whoever writes to the bot in a private chat is
served as one, and a row would add nothing the `users` table does not already say.

A role is never deleted. Declined, withdrawn and revoked roles stay with who decided and when:
CPC must be able to answer later whether an account was ever allowed to act in its name (a
trainer works with children), and who allowed it. That is also why erasure keeps them (see
`forget_person`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from storage.models import Person, PersonRole
from storage.repositories import Repositories

MAX_NAME = 128


class Role(StrEnum):
    STAFF = "staff"
    TRAINER = "trainer"


class RoleStatus(StrEnum):
    REQUESTED = "requested"  # asked for, staff have not decided
    ACTIVE = "active"
    DECLINED = "declined"  # staff said no to the request
    WITHDRAWN = "withdrawn"  # the person left before staff decided (erasure)
    REVOKED = "revoked"  # taken away after it was active


def clean_name(name: str) -> str:
    """A name as typed, with runs of spaces and line breaks made one space, cut to the column."""
    return " ".join(name.split())[:MAX_NAME]


async def person(repos: Repositories, user_id: int, now: datetime) -> Person:
    """The person's row, made now if CPC did not know them yet."""
    found = await repos.people.get(user_id)
    if found is None:
        found = Person(user_id=user_id, created_at=now)
        repos.people.add(found)
    return found


async def role(repos: Repositories, user_id: int, which: Role, now: datetime) -> PersonRole:
    """The person's row for `which`, made now (as requested) if they never held it."""
    found = await repos.people.role(user_id, which.value)
    if found is None:
        found = PersonRole(
            user_id=user_id,
            role=which.value,
            status=RoleStatus.REQUESTED.value,
            is_admin=False,
            on_duty=False,
            programmes=[],
            application=0,
            requested_at=now,
        )
        repos.people.add(found)
    return found


async def forget_person(repos: Repositories, user_id: int, now: datetime) -> None:
    """Erasure (core.erasure): the name and settlement go. The roles stay, for the reason in
    the module's docstring, but a trainer's role ends with them: nobody could tell any more who
    the trainer is. A staff role is CPC's own business, changed with `koldo staff` only (the
    name comes back from Telegram the next time they act in the group)."""
    found = await repos.people.get(user_id)
    if found is None:
        return
    found.name = found.settlement_code = None
    trainer = await repos.people.role(user_id, Role.TRAINER.value)
    if trainer is None:
        return
    ends = {RoleStatus.REQUESTED: RoleStatus.WITHDRAWN, RoleStatus.ACTIVE: RoleStatus.REVOKED}
    new = ends.get(RoleStatus(trainer.status))
    if new is None:
        return
    old = trainer.status
    trainer.status, trainer.decided_by, trainer.decided_at = new.value, None, now
    repos.audit.record(
        at=now,
        actor_id=None,
        action=f"trainer.{new.value}",
        object_type="trainer",
        object_id=user_id,
        details={"from": old, "erased": True},
    )
