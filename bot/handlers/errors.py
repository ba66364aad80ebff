"""One place that turns failures into polite words, without throwing the parent's flow away.

Words go only where Koldo speaks: a person's private chat and the staff group. In any other
group (where a button can only be forged) the bot stays silent; a button press there still
gets an empty answer, so the spinner on the phone stops.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter, or_f
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.filters import InChat, InPrivateChat
from bot.handlers.commands import show_home
from bot.i18n import gettext_
from core.users import Profile

logger = logging.getLogger(__name__)


async def _tell(event: ErrorEvent, text: str | None) -> None:
    """Answer the button press (or the message) with `text`, or only stop the button's
    spinner when `text` is None; never raise from here."""
    try:
        if event.update.callback_query is not None:
            await event.update.callback_query.answer(text, show_alert=False)
        elif event.update.message is not None and text is not None:
            await event.update.message.answer(text)
    except TelegramAPIError:
        logger.warning("Could not tell the user about an error", exc_info=True)


async def on_stale_button(
    event: ErrorEvent, dialog_manager: DialogManager, profile: Profile
) -> None:
    """A button from an old message (or forged data): say so, and show where they really are.

    A message can land here too (a reply to an old screen): it only gets the screen again,
    since "this button is out of date" would not describe what the person did."""
    logger.info("Stale or unknown dialog button: %r", event.exception)
    if event.update.callback_query is not None:
        await _tell(event, gettext_("This button is out of date. Here is where you are now."))
    if dialog_manager.has_context():
        try:
            await dialog_manager.show(ShowMode.SEND)
            return
        except Exception:  # the screen itself cannot be drawn: home is better than nothing
            logger.exception("Could not redraw the current screen after a stale button")
    await show_home(dialog_manager, profile)


async def on_stale_button_elsewhere(event: ErrorEvent) -> None:
    """A dialog button outside a private chat: parents' screens live only there."""
    logger.info("Dialog button outside a private chat ignored: %r", event.exception)
    await _tell(event, None)


async def on_unexpected(event: ErrorEvent) -> None:
    logger.exception("Unhandled error while processing an update", exc_info=event.exception)
    await _tell(event, gettext_("Sorry, something went wrong on our side. Please try again."))


async def on_unexpected_elsewhere(event: ErrorEvent) -> None:
    logger.exception(
        "Unhandled error while processing an update from another chat", exc_info=event.exception
    )
    await _tell(event, None)


def build_router(staff_chat_id: int | None) -> Router:
    router = Router(name="errors")
    stale = ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    router.errors.register(on_stale_button, stale, InPrivateChat())
    router.errors.register(on_stale_button_elsewhere, stale)
    where_we_speak = (
        InPrivateChat() if staff_chat_id is None else or_f(InPrivateChat(), InChat(staff_chat_id))
    )
    router.errors.register(on_unexpected, where_we_speak)
    router.errors.register(on_unexpected_elsewhere)
    return router
