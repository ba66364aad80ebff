"""aiogram-dialog's message manager, with a reply keyboard closed in words the parent reads.

To take a reply keyboard (the "share my number" screen) off a phone, Telegram needs a message;
aiogram-dialog sends "...". Koldo says what just happened instead ("Thank you, we have your
number", "Back to the previous question"), or a short acknowledgement when the parent leaves the
screen with /start or /cancel. That message is the one that closes the keyboard, so leaving the
screen costs no call beyond it and the next screen.
"""

from __future__ import annotations

from contextvars import ContextVar

from aiogram import Bot
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.manager.message_manager import MessageManager

from bot.i18n import gettext_

# Per update: each update is handled in a task of its own, with its own copy of the context.
_closing_words: ContextVar[str | None] = ContextVar("reply_keyboard_closing_words", default=None)


def close_reply_keyboard_with(text: str) -> None:
    """The words that take the reply keyboard off the phone if this update leaves its screen."""
    _closing_words.set(text)


class KoldoMessageManager(MessageManager):
    async def remove_reply_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if not old_message:
            return None
        return await self.send_text(
            bot=bot,
            new_message=NewMessage(
                chat=old_message.chat,
                # Translators: a short message of its own, sent when the bot takes its phone
                # keyboard away: "all right".
                text=_closing_words.get() or gettext_("👌 OK"),
                reply_markup=ReplyKeyboardRemove(),
                business_connection_id=old_message.business_connection_id,
            ),
        )
