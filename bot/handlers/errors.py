"""One place that turns failures into polite words, without throwing the parent's flow away.

A domain error (core.errors: a refusal, a step the request's status does not allow, input that
does not fit) is explained here in words from bot.error_texts, so handlers catch none of them;
the dialogs explain theirs on the screen (bot.dialogs.problems). Anything else is our failure
and is said to be so.

Words go only where Koldo speaks: a person's private chat and the staff group. In any other
group (where a button can only be forged) the bot stays silent; a button press there still
gets an empty answer, so the spinner on the phone stops.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter, or_f
from aiogram.types import ErrorEvent, Update
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from bot.error_texts import SORRY, problem_text, staff_problem_text
from bot.filters import InChat, InPrivateChat
from bot.handlers.commands import show_home
from bot.i18n import PoI18n, gettext_
from bot.middlewares import Profiles
from bot.outbox.words import staff_words
from core.errors import CoreError
from core.languages import supported
from core.users import Profile
from koldo.i18n import N_
from koldo.settings import Settings
from storage.outage import is_outage

logger = logging.getLogger(__name__)

NOT_SAVED = N_("⚠️ We could not save that. Please try again in a minute.")


def failure_text(error: BaseException) -> str:
    """What a person is told when their update failed: a database or Redis outage passes,
    so they are asked to try again in a minute."""
    return gettext_(NOT_SAVED if is_outage(error) else SORRY)


async def _tell(
    update: Update, text: str | None, *, alert: bool = False, reply: bool = False
) -> None:
    """Answer the button press (in a pop-up the person must close, if `alert`) or the message
    (quoting it, if `reply`) with `text`, or only stop the button's spinner when `text` is
    None; never raise from here."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=alert and text is not None)
        elif update.message is not None and text is not None:
            if reply:
                await update.message.reply(text)
            else:
                await update.message.answer(text)
    except TelegramAPIError:
        logger.warning("Could not tell the user about an error", exc_info=True)


async def tell_about_failure(
    update: Update, error: BaseException, i18n: PoI18n, profiles: Profiles
) -> None:
    """The last word when an update failed beyond the error handlers (they need the
    conversation state, which an outage of Redis takes away): the person still hears that it
    failed, in their language (or their Telegram's, when even that cannot be read). A message
    in a group gets no words: the group may not be one where Koldo speaks."""
    private = update.message is None or update.message.chat.type == "private"
    user = getattr(update.event, "from_user", None)
    language = None
    if user is not None:
        with contextlib.suppress(Exception):
            language = (await profiles.get(user.id)).language
        language = language or supported(user.language_code)
    with i18n.context(), i18n.use_locale(language or i18n.default_locale):
        text = failure_text(error)
    await _tell(update, text if private else None)


async def on_staff_problem(event: ErrorEvent, settings: Settings) -> None:
    """A domain error in the staff group, a refusal of someone not on the staff list included
    (core has written it to the audit log): the person hears why in the group's language, in a
    pop-up over the button they pressed or in a reply to what they wrote."""
    text = staff_problem_text(staff_words(settings), event.exception)
    await _tell(event.update, text, alert=True, reply=True)


async def on_parent_problem(event: ErrorEvent) -> None:
    """A domain error in a parent's chat outside the dialogs (a reply to a message about a
    request, a rating button): said in their language, in a pop-up over the button pressed or
    in a message after the one they sent."""
    error = event.exception
    await _tell(event.update, problem_text(error.code, error.params), alert=True)


async def on_stale_button(
    event: ErrorEvent, dialog_manager: DialogManager, profile: Profile
) -> None:
    """A button from an old message (or forged data): say so, and show where they really are.

    A message can land here too (a reply to an old screen): it only gets the screen again,
    since "this button is out of date" would not describe what the person did."""
    logger.info("Stale or unknown dialog button: %r", event.exception)
    if event.update.callback_query is not None:
        await _tell(
            event.update, gettext_("This button is out of date. Please use the new message below.")
        )
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
    await _tell(event.update, None)


async def on_unexpected(event: ErrorEvent) -> None:
    if is_outage(event.exception):
        logger.warning("An update failed during an outage: %s", event.exception)
    else:
        logger.exception("Unhandled error while processing an update", exc_info=event.exception)
    await _tell(event.update, failure_text(event.exception))


async def on_unexpected_elsewhere(event: ErrorEvent) -> None:
    logger.exception(
        "Unhandled error while processing an update from another chat", exc_info=event.exception
    )
    await _tell(event.update, None)


def build_router(staff_chat_id: int | None) -> Router:
    router = Router(name="errors")
    stale = ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    router.errors.register(on_stale_button, stale, InPrivateChat())
    router.errors.register(on_stale_button_elsewhere, stale)
    problem = ExceptionTypeFilter(CoreError)
    if staff_chat_id is not None:
        router.errors.register(on_staff_problem, problem, InChat(staff_chat_id))
    router.errors.register(on_parent_problem, problem, InPrivateChat())
    where_we_speak = (
        InPrivateChat() if staff_chat_id is None else or_f(InPrivateChat(), InChat(staff_chat_id))
    )
    router.errors.register(on_unexpected, where_we_speak)
    router.errors.register(on_unexpected_elsewhere)
    return router
