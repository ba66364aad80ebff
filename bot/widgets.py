"""Translated text widgets for aiogram-dialog.

Screens are sent with HTML parse mode, and anything a person typed may contain `<` or `&`: so
`T` escapes every value it formats in, unless the getter marked it `Safe` (HTML we built
ourselves from escaped parts). Button labels are not parsed as HTML, so `B` does not escape.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Select
from aiogram_dialog.widgets.text import Format, Text

from bot.i18n import gettext_, ngettext_


class Safe(str):
    """A string that is already valid Telegram HTML."""

    __slots__ = ()


def escape(value: Any) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


class _Escaped(Mapping[str, str]):
    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> str:
        return escape(self._data[key])

    def __iter__(self):  # pragma: no cover - format_map only looks keys up
        return iter(self._data)

    def __len__(self) -> int:  # pragma: no cover
        return len(self._data)


class T(Text):
    """A translated message text; `{name}` fields come from the window's getter, escaped."""

    def __init__(self, msgid: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return gettext_(self.msgid).format_map(_Escaped(data))


class TP(Text):
    """A translated message text with plural forms chosen by the getter's `count` field."""

    def __init__(self, singular: str, plural: str, count: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.singular = singular
        self.plural = plural
        self.count = count

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        text = ngettext_(self.singular, self.plural, int(data[self.count]))
        return text.format_map(_Escaped(data))


class B(Text):
    """A translated button label."""

    def __init__(self, msgid: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        return gettext_(self.msgid).format_map(data)


def choices(widget_id: str, items: str, on_click: Any) -> Select:
    """Buttons for a getter's list of (id, label) pairs; the id comes back to `on_click`."""
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        item_id_getter=itemgetter(0),
        items=items,
        on_click=on_click,
    )
