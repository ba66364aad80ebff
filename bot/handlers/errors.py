"""One place that turns failures into polite words, without throwing the parent's flow away."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.handlers.commands import show_home
from bot.i18n import N_, PoI18n, gettext_
from bot.middlewares import Profiles
from core.languages import supported
from core.users import Profile
from storage.outage import is_outage

logger = logging.getLogger(__name__)

SORRY = N_("Sorry, something went wrong on our side. Please try again.")
NOT_SAVED = N_("⚠️ We could not save that. Please try again in a minute.")


def failure_text(error: BaseException) -> str:
    """What a person is told when their update failed: a database or Redis outage passes,
    so they are asked to try again in a minute."""
    return gettext_(NOT_SAVED if is_outage(error) else SORRY)


async def _tell(update: Update, text: str) -> None:
    """Answer the button press (or the message) with `text`; never raise from here."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=False)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(text)
    except TelegramAPIError:
        logger.warning("Could not tell the user about an error", exc_info=True)


async def tell_about_failure(
    update: Update, error: BaseException, i18n: PoI18n, profiles: Profiles
) -> None:
    """The last word when an update failed beyond the error handlers (they need the
    conversation state, which an outage of Redis takes away): the person still hears that it
    failed, in their language (or their Telegram's, when even that cannot be read)."""
    user = getattr(update.event, "from_user", None)
    language = None
    if user is not None:
        with contextlib.suppress(Exception):
            language = (await profiles.get(user.id)).language
        language = language or supported(user.language_code)
    with i18n.context(), i18n.use_locale(language or i18n.default_locale):
        text = failure_text(error)
    await _tell(update, text)


async def on_stale_button(
    event: ErrorEvent, dialog_manager: DialogManager, profile: Profile
) -> None:
    """A button from an old message (or forged data): say so, and show where they really are."""
    logger.info("Stale or unknown dialog button: %r", event.exception)
    await _tell(event.update, gettext_("This button is out of date. Here is where you are now."))
    if dialog_manager.has_context():
        await dialog_manager.show(ShowMode.SEND)
    else:
        await show_home(dialog_manager, profile)


async def on_unexpected(event: ErrorEvent) -> None:
    if is_outage(event.exception):
        logger.warning("An update failed during an outage: %s", event.exception)
    else:
        logger.exception("Unhandled error while processing an update", exc_info=event.exception)
    await _tell(event.update, failure_text(event.exception))


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(
        on_stale_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    router.errors.register(on_unexpected)
    return router
