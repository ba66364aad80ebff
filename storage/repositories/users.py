"""People and their consents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def ensure(self, user_id: int, *, now: datetime) -> User:
        """The person's row, created on first need, with `last_seen_at` moved to `now`."""
        user = await self.session.get(User, user_id)
        if user is None:
            user = User(id=user_id, notice_granted=False, created_at=now, last_seen_at=now)
            self.session.add(user)
            await self.session.flush()
        else:
            user.last_seen_at = now
        return user

    def add_consent(self, consent: Consent) -> None:
        self.session.add(consent)

    async def delete(self, user_id: int) -> None:
        await self.session.execute(delete(Consent).where(Consent.user_id == user_id))
        await self.session.execute(delete(User).where(User.id == user_id))
