"""People and their roles (staff, peer trainers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, PersonRole


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> Person | None:
        return await self.session.get(Person, user_id)

    def add(self, row: Person | PersonRole) -> None:
        self.session.add(row)

    async def role(self, user_id: int, role: str) -> PersonRole | None:
        return await self.session.get(PersonRole, (user_id, role))

    async def holding(self, role: str, statuses: Sequence[str]) -> list[tuple[Person, PersonRole]]:
        """Everyone whose `role` is in one of `statuses`, by name (unnamed last), then id."""
        rows = await self.session.execute(
            select(Person, PersonRole)
            .join(PersonRole, PersonRole.user_id == Person.user_id)
            .where(PersonRole.role == role, PersonRole.status.in_(statuses))
            .order_by(Person.name.is_(None), Person.name, Person.user_id)
        )
        return [(person, role_row) for person, role_row in rows]

    async def change_role(
        self, user_id: int, role: str, *, where: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        """Change the role only while its columns hold `where`, in one conditional UPDATE:
        of two staff deciding at once, exactly one changes it (the other's UPDATE finds the
        condition gone once the first commits). Returns whether it changed."""
        conditions = [getattr(PersonRole, column) == value for column, value in where.items()]
        result = await self.session.execute(
            update(PersonRole)
            .where(PersonRole.user_id == user_id, PersonRole.role == role, *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)
