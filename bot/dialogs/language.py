"""Language picker: each language named in itself, the current one ticked."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Column
from aiogram_dialog.widgets.text import Format

from bot.dialogs.problems import explain_problems
from bot.dialogs.states import ConsentSG, LanguageSG, MenuSG
from bot.i18n import PoI18n
from bot.widgets import choices
from core.languages import SUPPORTED_LANGUAGES
from core.users import choose_language
from koldo.i18n import N_

LANGUAGE_NAMES = {"ru": "Русский", "ky": "Кыргызча", "en": "English"}
ONBOARDING = "onboarding"
CHOOSE = N_("Choose your language")
# Most Kyrgyz speakers run Telegram in Russian, so Telegram's language says little about what
# they read best: the picker asks in every language, Kyrgyz first.
TITLE_ORDER = ("ky", "ru", "en")


def picker_title(i18n: PoI18n) -> str:
    """«Тилди тандаңыз / Выберите язык / Choose your language», from the catalogs."""
    return " / ".join(i18n.gettext(CHOOSE, locale=language) for language in TITLE_ORDER)


async def languages_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    i18n = dialog_manager.middleware_data["i18n"]
    current = i18n.current_locale
    return {
        "title": picker_title(i18n),
        "languages": [
            (code, ("✅ " if code == current else "") + LANGUAGE_NAMES[code])
            for code in SUPPORTED_LANGUAGES
        ],
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
    dialog = Dialog(
        Window(
            Format("🌐 {title}"),
            Column(choices("language", "languages", on_language)),
            state=LanguageSG.pick,
            getter=languages_getter,
        ),
    )
    return explain_problems(dialog)
