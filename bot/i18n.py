"""Translations and locale-aware formatting for the Telegram front.

The catalogs themselves are read by `koldo.i18n`, which every front shares.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.dates import format_skeleton, format_time, get_day_names
from babel.numbers import format_decimal

from core.languages import supported
from core.users import Profile
from koldo.i18n import DOMAIN, LOCALES_DIR, read_catalogs


class PoI18n(I18n):
    """aiogram's I18n, reading `.po` catalogs directly."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return read_catalogs(self.path, self.domain)


def build_i18n(default_language: str, path: Path = LOCALES_DIR) -> PoI18n:
    return PoI18n(path=path, default_locale=default_language, domain=DOMAIN)


def current_i18n() -> PoI18n:
    """The catalogs of this update (aiogram keeps one context slot per I18n class)."""
    i18n = PoI18n.get_current()
    if i18n is None:
        raise RuntimeError("No I18n context: is ProfileLocaleMiddleware registered?")
    return i18n


def gettext_(message: str) -> str:
    return current_i18n().gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return current_i18n().gettext(singular, plural, n)


def current_language() -> str:
    return current_i18n().current_locale


def pick(texts: dict[str, str]) -> str:
    """The text of reference data in the current language (Russian if a language is missing)."""
    return texts.get(current_language()) or texts.get("ru") or next(iter(texts.values()), "")


# Dates are written as each language writes them (CLDR, through Babel): a pattern of our own
# wrote Kyrgyz dates the Russian way («14 сентябрь» for «14-сентябрь»).


def format_day(moment: datetime, zone: ZoneInfo) -> str:
    """The full date: «14 сентября 2026 г.», «2026-ж. 14-сентябрь», «September 14, 2026»."""
    return format_skeleton("yMMMMd", moment.astimezone(zone), locale=current_language())


def format_short_day(moment: datetime, zone: ZoneInfo, *, now: datetime) -> str:
    """A date for a button that must fit a small phone: the year only when it is not this
    year's («14 сент.», «14-сен.», «Sep 14»; «14.09.2025» style is left to CLDR's yMMMd)."""
    local = moment.astimezone(zone)
    skeleton = "MMMd" if local.year == now.astimezone(zone).year else "yMMMd"
    return format_skeleton(skeleton, local, locale=current_language())


def format_moment(moment: datetime, zone: ZoneInfo, language: str | None = None) -> str:
    """Day, month and time in `language` (the current person's by default): «14 сент., 02:30»,
    «14-сен., 02:30», «Sep 14, 02:30»."""
    local, locale = moment.astimezone(zone), language or current_language()
    return f"{format_skeleton('MMMd', local, locale=locale)}, {format_time(local, 'HH:mm')}"


def format_weekday_date(day: date, language: str | None = None) -> str:
    """A day to come, with its weekday, in `language` (the current person's by default):
    «пн, 22 февраля», «февраль 22, дүй.», «Mon, February 22»."""
    return format_skeleton("MMMMEEEEd", day, locale=language or current_language())


def format_month(day: date) -> str:
    """A calendar's title: «февраль 2027 г.», «2027-ж., февраль», «February 2027»."""
    return format_skeleton("yMMMM", day, locale=current_language())


def weekday_abbreviation(day: date) -> str:
    """A calendar column's weekday: «пн», «дш.», «Mo»."""
    names = get_day_names("short", context="stand-alone", locale=current_language())
    return names[day.weekday()]


def format_clock(moment: datetime, zone: ZoneInfo) -> str:
    """The time of day, 24-hour everywhere Koldo speaks: «10:00»."""
    return format_time(moment.astimezone(zone), "HH:mm")


def format_number(number: int) -> str:
    return format_decimal(number, locale=current_language())


class ProfileLocaleMiddleware(I18nMiddleware):
    """Speak the language the person chose; before they choose, Telegram's if we speak it."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        profile: Profile | None = data.get("profile")
        if profile is not None and profile.language:
            return profile.language
        user: User | None = data.get("event_from_user")
        return supported(user.language_code if user else None) or self.i18n.default_locale
