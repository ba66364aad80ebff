"""The calendar of bookable days: aiogram-dialog's Calendar, speaking the parent's language.

Month and weekday names come from CLDR through Babel, as every date Koldo writes, not from
the server's locale (`%B` would be English on any server). Only the days of the booking window
are drawn as buttons; a closed or full day keeps its number with a mark, and pressing it is
explained rather than ignored. "Today" is the booking rules' today (core.clock), so a frozen
clock in tests and the centre's time zone both hold; the calendar's own idea of today (the
server's clock and zone) is never used. There is no month or year picker: the window is two
weeks long.

The window's getter gives `days` ({ISO date: core.bookings.DayState value}), `first` and
`last` (the window's first and last day).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.types import CallbackQuery, InlineKeyboardButton
from aiogram_dialog import DialogManager, DialogProtocol
from aiogram_dialog.widgets.kbd import Calendar
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CALLBACK_NEXT_MONTH,
    CALLBACK_PREV_MONTH,
    CALLBACK_SCOPE_MONTHS,
    CalendarDaysView,
    CalendarScope,
    CalendarScopeView,
    CalendarUserConfig,
    month_begin,
)
from aiogram_dialog.widgets.text import Text

from bot.i18n import format_month, weekday_abbreviation
from core.bookings import DayState

# What a day that cannot be picked shows beside its number (the screen explains the marks).
PAGER = (CALLBACK_PREV_MONTH, CALLBACK_NEXT_MONTH)
RAW_DAY_DIGITS = 10  # a day's button carries its seconds since 1970: ten digits until 2286
MARKS = {DayState.CLOSED.value: "✖", DayState.FULL.value: "🔴", DayState.OVER.value: "✖"}


class _DayText(Text):
    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        day: date = data["date"]
        state = data["data"]["days"].get(day.isoformat())
        return f"{day.day}{MARKS.get(state, '')}"


class _WeekdayText(Text):
    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return weekday_abbreviation(data["date"])


class _MonthText(Text):
    """The month and year, with an arrow for the pager buttons."""

    def __init__(self, before: str = "", after: str = "") -> None:
        super().__init__()
        self.before, self.after = before, after

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return f"{self.before}{format_month(data['date'])}{self.after}"


class _DaysView(CalendarDaysView):
    """The days of a month, a header and a pager to the window's other month, if any."""

    async def _render_days(
        self, config: Any, offset: date, data: dict, manager: DialogManager
    ) -> list[list[InlineKeyboardButton]]:
        # Weeks wholly outside the window would be rows of blank buttons.
        weeks = await super()._render_days(config, offset, data, manager)
        return [week for week in weeks if any(button.text.strip() for button in week)]

    async def _render_pager(
        self, config: Any, offset: date, data: dict, manager: DialogManager
    ) -> list[InlineKeyboardButton]:
        # The middle button would open the month picker, which this calendar does not have.
        buttons = await super()._render_pager(config, offset, data, manager)
        return [buttons[0], buttons[2]] if buttons else []


class BookingCalendar(Calendar):
    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        days = _DaysView(
            self._item_callback_data,
            date_text=_DayText(),
            today_text=_DayText(),
            weekday_text=_WeekdayText(),
            header_text=_MonthText("🗓 "),
            prev_month_text=_MonthText("⬅️ "),
            next_month_text=_MonthText(after=" ➡️"),
        )
        return {scope: days for scope in CalendarScope}

    async def _get_user_config(self, data: dict, manager: DialogManager) -> CalendarUserConfig:
        return CalendarUserConfig(
            min_date=date.fromisoformat(data["first"]), max_date=date.fromisoformat(data["last"])
        )

    async def _render_keyboard(self, data: dict, manager: DialogManager) -> Any:
        config = self.config.merge(await self._get_user_config(data, manager))
        offset = self.get_offset(manager)
        # A calendar left open overnight starts again from the window's first month.
        if offset is None or not month_begin(config.min_date) <= offset <= config.max_date:
            offset = config.min_date
            self.set_offset(offset, manager)
        return await self.views[CalendarScope.DAYS].render(config, offset, data, manager)

    async def _process_item_callback(
        self, callback: CallbackQuery, data: str, dialog: DialogProtocol, manager: DialogManager
    ) -> bool:
        """Only the pager and a day are buttons here. The month title (a button only because
        Calendar draws it so) does nothing; data that no button of ours carries (forged, or
        a day too far off to be a date) is let through to the window's other widgets, which
        ignore it."""
        if data in PAGER:
            return await super()._process_item_callback(callback, data, dialog, manager)
        if data.isdigit() and len(data) <= RAW_DAY_DIGITS:
            return await super()._process_item_callback(callback, data, dialog, manager)
        return data == CALLBACK_SCOPE_MONTHS
