"""Texts in a given language outside an update (the sender has no person in context)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import PoI18n, current_i18n, format_clock, format_moment, format_weekday_date
from bot.widgets import escape
from koldo.settings import Settings


class Words:
    """`say("…{name}…", name=value)`: translated, with every value HTML-escaped."""

    def __init__(self, i18n: PoI18n, language: str, zone: ZoneInfo) -> None:
        self.i18n = i18n
        self.language = language
        self.zone = zone

    def say(self, msgid: str, **params: Any) -> str:
        text = self.i18n.gettext(msgid, locale=self.language)
        return text.format(**_escaped(params)) if params else text

    def say_n(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self.i18n.gettext(singular, plural, n, locale=self.language)
        return text.format(**_escaped({"n": n, **params}))

    def label(self, msgid: str) -> str:
        """A label from bot.dialogs.labels (already marked for the catalogs there)."""
        return escape(self.i18n.gettext(msgid, locale=self.language))

    def pick(self, texts: dict[str, str], limit: int | None = None) -> str:
        """Reference data (a centre's name...) in this language, Russian if it lacks one, cut
        to `limit` characters with "…" where a line must stay short; HTML-escaped (after the
        cut, so an entity is never cut in half)."""
        text = texts.get(self.language) or texts.get("ru") or next(iter(texts.values()), "")
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "…"
        return escape(text)

    def moment(self, moment: datetime) -> str:
        return format_moment(moment, self.zone, self.language)

    def visit_time(self, moment: datetime) -> str:
        """When a visit is, with its weekday (a parent plans by the day of the week):
        «ср, 24 февраля, 12:00»."""
        local = moment.astimezone(self.zone)
        day = format_weekday_date(local.date(), self.language)
        return f"{day}, {format_clock(local, self.zone)}"


def staff_words(settings: Settings) -> Words:
    """Words for the staff group, in its language, while handling an update."""
    return Words(current_i18n(), settings.staff.language, settings.locale.zone)


def _escaped(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, int) else escape(value) for key, value in params.items()
    }
