"""One place that turns failures into polite words, without throwing the parent's flow away."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.handlers.commands import show_home
from bot.i18n import gettext_
from core.users import Profile

logger = logging.getLogger(__name__)


async def _tell(event: ErrorEvent, text: str) -> None:
    """Answer the button press (or the message) with `text`; never raise from here."""
    try:
        if event.update.callback_query is not None:
            await event.update.callback_query.answer(text, show_alert=False)
        elif event.update.message is not None:
            await event.update.message.answer(text)
    except TelegramAPIError:
        logger.warning("Could not tell the user about an error", exc_info=True)


async def on_stale_button(
    event: ErrorEvent, dialog_manager: DialogManager, profile: Profile
) -> None:
    """A button from an old message (or forged data): say so, and show where they really are."""
    logger.info("Stale or unknown dialog button: %r", event.exception)
    await _tell(event, gettext_("This button is out of date. Here is where you are now."))
    if dialog_manager.has_context():
        await dialog_manager.show(ShowMode.SEND)
    else:
        await show_home(dialog_manager, profile)


async def on_unexpected(event: ErrorEvent) -> None:
    logger.exception("Unhandled error while processing an update", exc_info=event.exception)
    await _tell(event, gettext_("Sorry, something went wrong on our side. Please try again."))


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(
        on_stale_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    router.errors.register(on_unexpected)
    return router
