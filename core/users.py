"""The person behind a chat: their language and where they stand with the privacy notice."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import utcnow
from core.consent import NOTICE_VERSION
from core.errors import InvalidInput
from core.languages import SUPPORTED_LANGUAGES
from storage.database import Database


@dataclass(frozen=True)
class Profile:
    user_id: int
    language: str | None  # None until the person has picked one
    consented: bool  # agreed to the current notice
    needs_notice: bool  # never answered the current notice: show it unasked

    def with_language(self, language: str) -> Profile:
        """As after `choose_language`."""
        return Profile(self.user_id, language, self.consented, self.needs_notice)

    def with_answer(self, granted: bool) -> Profile:
        """As after answering the current notice (core.consent.answer_notice)."""
        return Profile(self.user_id, self.language, consented=granted, needs_notice=False)


async def load_profile(db: Database, user_id: int) -> Profile:
    """Read who this is; creates nobody (a row appears once the person picks a language)."""
    async with db.transaction() as repos:
        user = await repos.users.get(user_id)
        if user is None:
            return Profile(user_id=user_id, language=None, consented=False, needs_notice=True)
        current = (user.notice_version or 0) >= NOTICE_VERSION
        return Profile(
            user_id=user_id,
            language=user.language,
            consented=current and user.notice_granted,
            needs_notice=not current,
        )


async def choose_language(db: Database, user_id: int, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInput("unknown_language")
    async with db.transaction() as repos:
        await repos.users.choose_language(user_id, language, now=utcnow())
