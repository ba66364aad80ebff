"""Who is staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StaffMember


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> StaffMember | None:
        return await self.session.get(StaffMember, user_id)

    async def all(self) -> list[StaffMember]:
        return list(await self.session.scalars(select(StaffMember).order_by(StaffMember.name)))

    def add(self, member: StaffMember) -> None:
        self.session.add(member)

    async def remove(self, member: StaffMember) -> None:
        await self.session.delete(member)
