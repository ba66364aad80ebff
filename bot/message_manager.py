"""aiogram-dialog's message manager, with a reply keyboard closed in words the parent reads.

To take a reply keyboard (the "share my number" screen) off a phone, Telegram needs a message;
aiogram-dialog sends "...". A parent who leaves that screen with /start or /cancel sees a short
acknowledgement in their language instead.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.manager.message_manager import MessageManager

from bot.i18n import gettext_


class KoldoMessageManager(MessageManager):
    async def remove_reply_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if not old_message:
            return None
        return await self.send_text(
            bot=bot,
            new_message=NewMessage(
                chat=old_message.chat,
                text=gettext_("👌 OK"),
                reply_markup=ReplyKeyboardRemove(),
                business_connection_id=old_message.business_connection_id,
            ),
        )
