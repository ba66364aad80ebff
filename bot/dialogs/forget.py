"""/forget: erase the parent's personal data after they confirm, and say what was erased."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel

from bot.dialogs.problems import explain_problems
from bot.dialogs.states import ForgetSG
from bot.i18n import gettext_, ngettext_
from bot.widgets import B, T
from core.erasure import forget_user


async def on_erase(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # /forget reset the dialog stack before asking, so no half-filled form is left in the
    # conversation state: the database is all there is to erase.
    data = manager.middleware_data
    user_id = callback.from_user.id
    report = await forget_user(data["db"], user_id, key=data["settings"].pseudonym_key())
    data["profiles"].forget(user_id)
    # The conversation ends here and the last words come as a message of their own: a dialog
    # left open on a "done" screen would stay in the conversation state, under their id.
    await manager.reset_stack()
    await callback.bot.send_message(chat_id=user_id, text=done_text(report.requests_anonymised))


def done_text(requests: int) -> str:
    """What was erased; the line about requests only when there were any."""
    lines = [gettext_("✅ Done. Your language choice and consent were erased.")]
    if requests:
        lines.append(
            ngettext_(
                "Personal data was removed from {requests} request.",
                "Personal data was removed from {requests} requests.",
                requests,
            ).format(requests=requests)
        )
    lines.append(gettext_("\nPress /start if you want to use the bot again."))
    return "\n".join(lines)


def forget_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            T("🗑 <b>Erase my data?</b>"),
            T(
                "\nWe will erase your language choice and your consent, and from your "
                "requests: phone numbers, stories, photos, files, voice messages, children's "
                "ages and grades, and places you typed."
            ),
            T("\nRequests still open are withdrawn: CPC will have no way to answer you."),
            T(
                "\nThe reference numbers and dates stay, with nothing about you, so that CPC's "
                "statistics stay correct. This cannot be undone."
            ),
            # Translators: button: confirms erasing the parent's personal data.
            Button(B("🗑 Yes, erase"), id="erase", on_click=on_erase),
            # Translators: button: nothing is erased.
            Cancel(B("✖️ No, keep my data")),
            state=ForgetSG.confirm,
        ),
    )
    return explain_problems(dialog)
