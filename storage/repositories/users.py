"""People and their consents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent, User
from storage.upsert import upsert


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, user_id: int) -> None:
        """Make this person's changes wait for one another until the transaction ends (two
        presses of Confirm on different times would otherwise both pass the "at most N" check,
        two of Send both apply). PostgreSQL locks their row; SQLite has a single writer anyway."""
        await self.session.execute(select(User.id).where(User.id == user_id).with_for_update())

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def choose_language(self, user_id: int, language: str, *, now: datetime) -> None:
        await self._save(user_id, now, {"language": language})

    async def answer_notice(
        self, user_id: int, version: int, granted: bool, *, now: datetime
    ) -> None:
        """Keep the latest answer on the person's row (the `consents` rows keep all of them)."""
        await self._save(user_id, now, {"notice_version": version, "notice_granted": granted})

    async def seen(self, user_id: int, *, now: datetime) -> None:
        await self._save(user_id, now, {})

    async def _save(self, user_id: int, now: datetime, changes: dict[str, Any]) -> None:
        """Write the changes to the person's row, created on first need, with `last_seen_at`
        moved to `now`: one statement, where reading the row first took two or three."""
        changes = {**changes, "last_seen_at": now}
        statement = upsert(self.session.bind.dialect.name, User, User.id, tuple(changes))
        await self.session.execute(statement, {"id": user_id, "created_at": now, **changes})

    def add_consent(self, consent: Consent) -> None:
        self.session.add(consent)

    async def delete(self, user_id: int) -> None:
        await self.session.execute(delete(Consent).where(Consent.user_id == user_id))
        await self.session.execute(delete(User).where(User.id == user_id))
