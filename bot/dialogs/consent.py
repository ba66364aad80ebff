"""The privacy notice, shown before any personal data is asked for."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button

from bot.dialogs.problems import explain_problems
from bot.dialogs.states import ConsentSG
from bot.widgets import TP, B, T
from core.consent import answer_notice


async def notice_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    settings = dialog_manager.middleware_data["settings"]
    return {"years": settings.privacy.retention_days // 365}


async def _answer(manager: DialogManager, granted: bool) -> None:
    data = manager.middleware_data
    await answer_notice(data["db"], manager.event.from_user.id, granted=granted)
    data["profile"] = data["profile"].with_answer(granted)
    data["profiles"].remember(data["profile"])
    then = (manager.start_data or {}).get("then")
    await manager.done({"consented": granted, "then": then})


async def on_agree(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, True)


async def on_not_now(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, False)


def consent_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            T("🔒 <b>Your data and your privacy</b>"),
            T(
                "\nWe ask only for what each service needs: your phone number and settlement, "
                "your children's ages (and school grade), what happened (text, photos, voice), "
                "and the visits and trainings you book. A peer trainer also gives their name "
                "and programmes."
            ),
            T(
                "\n👀 Only staff of the Center for the Protection of Children (CPC) see this "
                "information. We do not give it to anyone else."
            ),
            TP(
                "\n🗓 We keep it while we work on your request and for up to {years} year "
                "afterwards, then we erase it.",
                "\n🗓 We keep it while we work on your request and for up to {years} years "
                "afterwards, then we erase it.",
                "years",
            ),
            T("\n🗑 You can erase it at any time with the command /forget."),
            T("\nDo you agree?"),
            # Translators: button under the privacy notice: the parent agrees to how their data is
            # used.
            Button(B("✅ I agree"), id="agree", on_click=on_agree),
            # Translators: button under the privacy notice: the parent does not agree for now (the
            # menu still works, requests do not).
            Button(B("Not now"), id="not_now", on_click=on_not_now),
            state=ConsentSG.notice,
            getter=notice_getter,
        ),
    )
    return explain_problems(dialog)
