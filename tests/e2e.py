"""Helpers for end-to-end tests: the words a parent sees, looked up in the real catalogs, and
reading back what the database holds."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import select

from bot.i18n import PoI18n, build_i18n
from storage.database import Database
from storage.models import AuditEntry, Consent, Request, RequestMessage, StatusChange, User
from tests.emulator import SimulatedPerson

LANGUAGE_BUTTON = {"ru": "Русский", "ky": "Кыргызча", "en": "English"}


@cache
def catalogs() -> PoI18n:
    return build_i18n("ru")


def tr(language: str, msgid: str, **params: Any) -> str:
    """The catalog's words for `msgid` in `language`, formatted like the bot does."""
    text = catalogs().gettext(msgid, locale=language)
    return text.format(**params) if params else text


def trn(language: str, singular: str, plural: str, n: int, **params: Any) -> str:
    """As `tr`, choosing the plural form for `n` (available to the text as `{n}` too)."""
    return catalogs().gettext(singular, plural, n, locale=language).format(**{"n": n, **params})


async def onboard(parent: SimulatedPerson, language: str, *, agree: bool = True) -> None:
    """/start, pick the language, answer the privacy notice: the parent lands on the menu."""
    await parent.send_command("/start")
    await parent.press(_language_button(parent, language))
    if agree:
        await parent.press(tr(language, "✅ I agree"))
    else:
        await parent.press(tr(language, "Not now"))


def _language_button(parent: SimulatedPerson, language: str) -> str:
    name = LANGUAGE_BUTTON[language]
    return next(b for b in parent.buttons() if b.endswith(name))


async def start_documents_form(
    parent: SimulatedPerson, language: str, *, settlement: str | None = None
) -> None:
    """From the menu to the story question of a Documents request for a 9-year-old."""
    await parent.press(tr(language, "📄 Documents"))
    await parent.press(tr(language, "👶 Birth certificate"))
    await parent.press(tr(language, "🧒 For a child"))
    await parent.send_text("9")
    await parent.press(settlement or parent.buttons()[0])


async def fill_documents_form(
    parent: SimulatedPerson,
    language: str,
    *,
    story: str = "Мы потеряли свидетельство о рождении сына",
    settlement: str | None = None,
    danger: bool = False,
) -> None:
    """From the menu to the summary screen of a Documents request for a 9-year-old."""
    await start_documents_form(parent, language, settlement=settlement)
    await parent.send_text(story)
    await parent.press(tr(language, "➡️ Next"))
    await parent.press(tr(language, "📱 Share my number"))
    await parent.press(tr(language, "🆘 Yes, a child is in danger" if danger else "✅ No"))


async def rows(db: Database, model: type, *where: Any) -> list[Any]:
    async with db.transaction() as repos:
        query = select(model).where(*where) if where else select(model)
        return list(await repos.session.scalars(query.order_by(*model.__table__.primary_key)))


__all__ = [
    "AuditEntry",
    "Consent",
    "Request",
    "RequestMessage",
    "StatusChange",
    "User",
    "catalogs",
    "fill_documents_form",
    "onboard",
    "rows",
    "start_documents_form",
    "tr",
    "trn",
]
