"""Which chat an update comes from, checked on the event loop.

aiogram runs every synchronous filter, magic `F.chat...` filters included, through
`asyncio.to_thread`: a thread hop and an extra turn of the loop for each check. The routers'
chat filters are checked for nearly every update, so they are plain async filters instead.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, ErrorEvent, Message, TelegramObject


def _chat_of(event: TelegramObject) -> Chat | None:
    if isinstance(event, ErrorEvent):  # an error handler asks about the update that failed
        return _chat_of(event.update.event)
    if isinstance(event, CallbackQuery):
        return event.message.chat if event.message is not None else None
    return getattr(event, "chat", None)


class InChat(Filter):
    """Updates from one chat (messages, button presses on its messages, membership changes)."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id

    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat_of(event)
        return chat is not None and chat.id == self.chat_id


class InPrivateChat(Filter):
    """Updates from a person's own chat with the bot (and errors raised while handling them)."""

    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat_of(event)
        return chat is not None and chat.type == "private"


class ContentIs(Filter):
    """Messages of these kinds (text, photo, …); for aiogram-dialog's MessageInput, whose own
    `content_types` check is a magic filter and so a thread hop per message."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = frozenset(kinds)

    async def __call__(self, message: Message) -> bool:
        return message.content_type in self.kinds
