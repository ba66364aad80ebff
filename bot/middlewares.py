"""Middlewares that put per-update data in place for handlers; they hold no rules."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, User
from aiogram_dialog.utils import REPLY_CALLBACK_SYMBOLS, remove_intent_id, split_reply_callback

from core.users import Profile, load_profile
from storage.database import Database


class Profiles:
    """Who each person is (language, consent): read from the database once, then from memory.

    A profile changes only through Koldo's own screens (language, privacy notice, /forget),
    and those hand the changed profile over (or `forget` it), so the copy is never stale in
    this process.
    With several bot processes (Redis) another process may change it, so nothing is kept.
    """

    def __init__(self, db: Database, *, keep: bool, size: int = 50_000) -> None:
        self.db = db
        self.keep = keep
        self.size = size
        self._known: OrderedDict[int, Profile] = OrderedDict()

    async def get(self, user_id: int) -> Profile:
        profile = self._known.get(user_id)
        if profile is not None:
            self._known.move_to_end(user_id)
            return profile
        profile = await load_profile(self.db, user_id)
        self.remember(profile)
        return profile

    def remember(self, profile: Profile) -> None:
        """Keep the profile as it now is in the database (after a change Koldo made itself)."""
        if not self.keep:
            return
        self._known[profile.user_id] = profile
        self._known.move_to_end(profile.user_id)
        if len(self._known) > self.size:
            self._known.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """The person's data was erased: read it again next time."""
        self._known.pop(user_id, None)


class ProfileMiddleware(BaseMiddleware):
    """Gives every handler and screen the `profile` of whoever sent the update."""

    def __init__(self, profiles: Profiles) -> None:
        self.profiles = profiles

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and "profile" not in data:
            data["profile"] = await self.profiles.get(user.id)
        return await handler(event, data)


class HiddenButtonDataMiddleware(BaseMiddleware):
    """Text that merely ends in invisible characters is text, not a reply-keyboard button.

    aiogram-dialog writes a reply button's callback data into the button's text as invisible
    characters and reads any message ending in two or more of them as that button's press; a
    story ending that way (copied from elsewhere, or typed on some keyboards) was taken for an
    unknown button and silently dropped. A press of a real button carries an aiogram-dialog
    callback (an intent id, a separator, the widget's data); anything else reaches the dialogs
    without those trailing characters. Registered on messages ahead of aiogram-dialog's own
    middleware, so it is the one place for every dialog and the staff group alike.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message) and _ends_in_hidden_data(event.text):
            text = _not_a_button(event.text)
            if text is not None:
                event = event.model_copy(update={"text": text})
        return await handler(event, data)


def _ends_in_hidden_data(text: str | None) -> bool:
    return bool(text) and text[-1] in REPLY_CALLBACK_SYMBOLS


def _not_a_button(text: str) -> str | None:
    """None for a real button press; otherwise the text without its trailing run of hidden
    characters. When nothing else is left, one of them stays (aiogram-dialog reads them in
    pairs, so a single one spells nothing): the message is still a text, and the screen
    answers it as an empty one."""
    try:
        _, callback_data = split_reply_callback(text)
    except UnicodeDecodeError:  # the characters do not spell any data at all
        callback_data = None
    intent_id, _ = remove_intent_id(callback_data or "")
    if intent_id:
        return None
    return text.rstrip(REPLY_CALLBACK_SYMBOLS) or text[-1]
