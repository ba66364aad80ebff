"""Language picker: each language named in itself, the current one ticked."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Column

from bot.dialogs.states import ConsentSG, LanguageSG, MenuSG
from bot.widgets import T, choices
from core.languages import SUPPORTED_LANGUAGES
from core.users import choose_language

LANGUAGE_NAMES = {"ru": "Русский", "ky": "Кыргызча", "en": "English"}
ONBOARDING = "onboarding"


async def languages_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    current = dialog_manager.middleware_data["i18n"].current_locale
    return {
        "languages": [
            (code, ("✅ " if code == current else "") + LANGUAGE_NAMES[code])
            for code in SUPPORTED_LANGUAGES
        ]
    }


async def on_language(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    if item not in SUPPORTED_LANGUAGES:
        return
    data = manager.middleware_data
    await choose_language(data["db"], manager.event.from_user.id, item)
    # The rest of this update already speaks the new language.
    data["i18n"].current_locale = item
    data["profile"] = data["profile"].with_language(item)
    data["profiles"].remember(data["profile"])
    start_data = manager.start_data or {}
    if start_data.get("then") == ONBOARDING:
        if data["profile"].needs_notice:
            # The menu waits under the notice; drawing it first would cost a screen nobody sees.
            await manager.start(
                MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.NO_UPDATE
            )
            await manager.start(ConsentSG.notice, show_mode=ShowMode.AUTO)
        else:
            await manager.start(MenuSG.main, mode=StartMode.RESET_STACK)
    else:
        await manager.done()


def language_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    return Dialog(
        Window(
            T("🌐 Choose your language"),
            Column(choices("language", "languages", on_language)),
            state=LanguageSG.pick,
            getter=languages_getter,
        ),
    )
