"""/forget: erase the parent's personal data after they confirm, and say what was erased."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel

from bot.dialogs.states import ForgetSG
from bot.widgets import TP, B, T
from core.erasure import forget_user


async def on_erase(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # /forget reset the dialog stack before asking, so no half-filled form is left in the
    # conversation state: the database is all there is to erase.
    report = await forget_user(manager.middleware_data["db"], callback.from_user.id)
    manager.middleware_data["profiles"].forget(callback.from_user.id)
    manager.dialog_data["requests"] = report.requests_anonymised
    await manager.switch_to(ForgetSG.done)


async def done_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"requests": dialog_manager.dialog_data.get("requests", 0)}


def forget_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    return Dialog(
        Window(
            T("🗑 <b>Erase my data?</b>"),
            T(
                "\nWe will erase your language choice and your consent, and from your "
                "requests: phone numbers, stories, photos, files, voice messages, children's "
                "ages and grades, and places you typed."
            ),
            T(
                "\nThe reference numbers and dates stay, with nothing about you, so that CPC's "
                "counts add up. This cannot be undone."
            ),
            Button(B("🗑 Yes, erase"), id="erase", on_click=on_erase),
            Cancel(B("✖️ No, keep my data")),
            state=ForgetSG.confirm,
        ),
        Window(
            T("✅ Done. Your language choice and consent were erased."),
            TP(
                "Personal data was removed from {requests} request.",
                "Personal data was removed from {requests} requests.",
                "requests",
            ),
            T("\nPress /start if you want to use the bot again."),
            state=ForgetSG.done,
            getter=done_getter,
        ),
    )
