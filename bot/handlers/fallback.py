"""Whatever no dialog took. A message the current screen cannot use shows that screen again
(nothing the parent entered is dropped); outside any flow it shows the way home. A button that
belongs to nothing is answered, so the phone stops spinning; outside private chats and the staff
group (where a button can only be forged) that answer is empty."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode

from bot.handlers.commands import show_home
from bot.i18n import gettext_
from core.users import Profile

logger = logging.getLogger(__name__)


async def on_any_message(message: Message, dialog_manager: DialogManager, profile: Profile) -> None:
    if dialog_manager.has_context():
        await dialog_manager.show(ShowMode.SEND)
    else:
        await show_home(dialog_manager, profile)


async def on_unknown_button(callback: CallbackQuery) -> None:
    await callback.answer(gettext_("This button no longer works. Please use the newest message."))


async def on_button_elsewhere(callback: CallbackQuery) -> None:
    logger.debug("Button pressed outside a private chat ignored: %r", callback.data)
    await callback.answer()


def build_router() -> Router:
    """For parents' private chats (the caller filters the chat)."""
    router = Router(name="fallback")
    router.message.register(on_any_message)
    router.callback_query.register(on_unknown_button)
    return router


def build_elsewhere_router() -> Router:
    """For button presses no other router took: those outside parents' private chats."""
    router = Router(name="elsewhere")
    router.callback_query.register(on_button_elsewhere)
    return router
