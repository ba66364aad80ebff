"""Every date a person reads is written the way their language writes it (CLDR, via Babel)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import (
    build_i18n,
    format_day,
    format_moment,
    format_month,
    format_short_day,
    format_weekday_date,
    weekday_abbreviation,
)

BISHKEK = ZoneInfo("Asia/Bishkek")
# 20:30 UTC on 13 September is already the 14th in Bishkek.
MOMENT = datetime(2026, 9, 13, 20, 30, tzinfo=UTC)
EXPECTED = {
    # CLDR puts a narrow no-break space before «г.»: the year never ends a line alone.
    "ru": ("14 сентября 2026\u202fг.", "14 сент.", "14 сент. 2025\u202fг.", "14 сент., 02:30"),
    "ky": ("2026-ж. 14-сентябрь", "14-сен.", "2025-ж. 14-сен.", "14-сен., 02:30"),
    "en": ("September 14, 2026", "Sep 14", "Sep 14, 2025", "Sep 14, 02:30"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_dates_in_each_languages_own_form(language: str) -> None:
    full, short, last_year, moment = EXPECTED[language]
    i18n = build_i18n("ru")
    with i18n.context(), i18n.use_locale(language):
        assert format_day(MOMENT, BISHKEK) == full
        assert format_short_day(MOMENT, BISHKEK, now=MOMENT) == short
        assert format_short_day(MOMENT.replace(year=2025), BISHKEK, now=MOMENT) == last_year
    assert format_moment(MOMENT, BISHKEK, language) == moment


CALENDAR = {
    # A booking calendar's title, the Monday column, and a day to come with its weekday.
    "ru": ("февраль 2027\u202fг.", "пн", "ср, 24 февраля"),
    "ky": ("2027-ж., февраль", "дш.", "февраль 24, шарш."),
    "en": ("February 2027", "Mo", "Wed, February 24"),
}


@pytest.mark.parametrize("language", sorted(CALENDAR))
def test_calendar_words_in_each_languages_own_form(language: str) -> None:
    month, monday, day = CALENDAR[language]
    i18n = build_i18n("ru")
    with i18n.context(), i18n.use_locale(language):
        assert format_month(date(2027, 2, 22)) == month
        assert weekday_abbreviation(date(2027, 2, 22)) == monday
        assert format_weekday_date(date(2027, 2, 24)) == day


def test_every_date_shown_goes_through_the_locale_helpers() -> None:
    """Dates reach people only through bot/i18n.py's helpers (durations through Babel's
    format_timedelta): a pattern written anywhere else would bypass the language's own form."""
    root = Path(__file__).resolve().parent.parent
    calls = re.compile(r"\b(strftime|format_date|format_datetime|format_skeleton|format_time)\(")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("bot", "core")
        for path in sorted((root / folder).rglob("*.py"))
        if path != root / "bot" / "i18n.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if calls.search(line)
    ]
    assert offenders == []
