"""The person behind a chat: their language and whether they have agreed to the notice."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import utcnow
from core.consent import has_current_consent
from core.errors import InvalidInput
from core.languages import SUPPORTED_LANGUAGES
from storage.database import Database


@dataclass(frozen=True)
class Profile:
    user_id: int
    language: str | None  # None until the person has picked one
    consented: bool


async def load_profile(db: Database, user_id: int) -> Profile:
    """Read who this is; creates nobody (a row appears only once the person picks a language)."""
    async with db.transaction() as repos:
        user = await repos.users.get(user_id)
        if user is None:
            return Profile(user_id=user_id, language=None, consented=False)
        return Profile(
            user_id=user_id,
            language=user.language,
            consented=await has_current_consent(repos, user_id),
        )


async def choose_language(db: Database, user_id: int, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInput("unknown_language")
    async with db.transaction() as repos:
        user = await repos.users.ensure(user_id, now=utcnow())
        user.language = language
