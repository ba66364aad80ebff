"""A simulated Telegram user chatting with the bot in a private chat.

Tests speak in terms of what a person does ("press Отмена", "send a voice
note") and what they see, not in terms of update JSON.  Each action builds the
update the Telegram app would produce, pushes it to the emulator and waits
until the bot has finished reacting, so the next line of a test can look at
the screen without sleeps.
"""

from __future__ import annotations

import itertools
import unicodedata
from typing import Any

from .server import BotApiEmulator
from .telegram_html import utf16_len
from .views import Alert, BotMessage, InlineButton

__all__ = ["SimulatedPerson"]

_file_numbers = itertools.count(1)
BISHKEK = (42.8746, 74.5698)
"""Where ``request_location`` buttons put the person by default."""


def visible_text(text: str) -> str:
    """The text as a person reads it: without invisible format characters (some bots, like
    aiogram-dialog, hide data in reply-button texts with them)."""
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


class SimulatedPerson:
    """One user in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        first_name: str = "Айгуль",
        language_code: str = "ru",
        phone: str = "+996700123456",
        *,
        last_name: str | None = None,
        username: str | None = None,
        quiet: float = 0.05,
        timeout: float = 10.0,
        location: tuple[float, float] = BISHKEK,
    ) -> None:
        """Register the user's private chat with the emulator.

        ``quiet`` and ``timeout`` are passed to ``emulator.settle`` after each
        action; raise ``quiet`` for handlers that think for long before their
        first API call when the bot handles updates as tasks.
        """
        self.emulator = emulator
        self.user_id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.phone = phone
        self.location = location
        self.quiet = quiet
        self.timeout = timeout
        self.user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if last_name:
            self.user["last_name"] = last_name
        if username:
            self.user["username"] = username
        self.chat_instance = str((user_id * 2_654_435_761) % (1 << 62))
        self.last_update_id: int | None = None
        self._query_ids: list[str] = []
        emulator.register_user(self.user)

    def __repr__(self) -> str:
        return f"SimulatedPerson({self.first_name!r}, id={self.user_id})"

    # ------------------------------------------------------------------ state

    @property
    def blocked(self) -> bool:
        """True while the person has blocked the bot: sends to them fail with 403."""
        return self.emulator.is_blocked(self.chat_id)

    @blocked.setter
    def blocked(self, value: bool) -> None:
        self.emulator.set_blocked(self.chat_id, value)

    # ------------------------------------------------------------------ actions

    async def send_text(self, text: str, *, wait: bool = True) -> int:
        """Type and send a text; a leading "/word" gets a bot_command entity like in the app."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return await self._send(content, wait=wait)

    async def send_command(
        self, command: str, args: str | None = None, *, wait: bool = True
    ) -> int:
        """Send ``/command`` (the slash is optional), optionally followed by arguments."""
        text = command if command.startswith("/") else f"/{command}"
        if args:
            text = f"{text} {args}"
        return await self.send_text(text, wait=wait)

    async def press(self, button_text: str, *, wait: bool = True) -> int:
        """Press a button the person can see, by its exact text.

        Inline buttons are looked for on the bot's messages newest first, so
        the newest message with an inline keyboard wins; then the reply
        keyboard (a button there is sent as text, a request_contact button as
        the person's own contact, a request_location one as their location).
        """
        for message in self.emulator.bot_messages_newest_first(self.chat_id):
            for row in message.inline_buttons:
                for button in row:
                    if button.text == button_text:
                        return await self._press_inline(message, button, wait=wait)
        keyboard = self.emulator.reply_keyboard_of(self.chat_id)
        if keyboard is not None:
            for row in keyboard["keyboard"]:
                for button in row:
                    if visible_text(button["text"]) == visible_text(button_text):
                        return await self._press_reply(keyboard, button, wait=wait)
        raise AssertionError(self._no_such_button(button_text))

    async def press_data(
        self, data: str, message_id: int | None = None, *, wait: bool = True
    ) -> int:
        """Send a callback query with any data, e.g. forged or from an old keyboard.

        Without ``message_id`` it is attached to the newest bot message.  A
        deleted or unknown message is sent as an InaccessibleMessage, the way
        Telegram reports presses on messages the bot can no longer see.
        """
        if message_id is None:
            newest = next(self.emulator.bot_messages_newest_first(self.chat_id), None)
            if newest is None:
                raise AssertionError(f"{self} has no bot message to press a button on")
            payload = newest.payload
        else:
            stored = self.emulator.message_payload(self.chat_id, message_id)
            payload = stored or {
                "chat": self.emulator.chat_info(self.chat_id) or {"id": self.chat_id},
                "message_id": message_id,
                "date": 0,
            }
        return await self._callback(payload, data, wait=wait)

    async def send_sticker(
        self, file_id: str | None = None, emoji: str = "🙂", *, wait: bool = True
    ) -> int:
        file_id = file_id or self._new_file_id("sticker")
        unique = self._register(file_id, "sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "EmulatorStickers",
        }
        return await self._send({"sticker": sticker}, wait=wait)

    async def send_photo(
        self,
        file_id: str | None = None,
        caption: str | None = None,
        *,
        media_group_id: str | None = None,
        wait: bool = True,
    ) -> int:
        """Send a photo; like the app, it arrives in three sizes, the largest last. Photos of
        one album share a ``media_group_id`` and arrive as separate messages."""
        file_id = file_id or self._new_file_id("photo")
        sizes = []
        for suffix, (width, height) in (("_s", (90, 68)), ("_m", (320, 240)), ("", (1280, 960))):
            size_id = f"{file_id}{suffix}"
            unique = self._register(size_id, "photo")
            sizes.append(
                {
                    "file_id": size_id,
                    "file_unique_id": unique,
                    "width": width,
                    "height": height,
                    "file_size": width * height // 10,
                }
            )
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return await self._send(content, wait=wait)

    async def send_document(
        self,
        file_id: str | None = None,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        wait: bool = True,
    ) -> int:
        file_id = file_id or self._new_file_id("document")
        unique = self._register(file_id, "document", file_name=file_name, mime_type=mime_type)
        document = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 20480,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return await self._send(content, wait=wait)

    async def send_voice(
        self, file_id: str | None = None, duration: int = 3, *, wait: bool = True
    ) -> int:
        file_id = file_id or self._new_file_id("voice")
        unique = self._register(file_id, "voice", mime_type="audio/ogg")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4000 * duration,
        }
        return await self._send({"voice": voice}, wait=wait)

    async def send_location(self, latitude: float, longitude: float, *, wait: bool = True) -> int:
        return await self._send(
            {"location": {"latitude": latitude, "longitude": longitude}}, wait=wait
        )

    async def send_contact(
        self,
        phone: str,
        user_id: int | None = None,
        first_name: str | None = None,
        *,
        wait: bool = True,
    ) -> int:
        """Share a contact; pass ``user_id=self.user_id`` to share one's own, as the button does."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or self.first_name,
        }
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._send({"contact": contact}, wait=wait)

    # ------------------------------------------------------------------ reading

    def screen(self) -> BotMessage:
        """The newest visible bot message: what the person looks at right now."""
        newest = next(self.emulator.bot_messages_newest_first(self.chat_id), None)
        if newest is None:
            raise AssertionError(
                f"The bot has not sent {self} anything visible.\n" + self.transcript()
            )
        return newest

    def messages(self) -> list[BotMessage]:
        """All visible (not deleted) bot messages, oldest first."""
        return self.emulator.chat_messages(self.chat_id)

    def texts(self) -> list[str]:
        """Visible texts (or captions) of the bot's messages, oldest first."""
        return [message.text for message in self.messages()]

    def buttons(self) -> list[str]:
        """Inline button texts of the screen message, row by row; [] if there is none."""
        newest = next(self.emulator.bot_messages_newest_first(self.chat_id), None)
        return newest.flat_buttons() if newest else []

    def reply_keyboard(self) -> list[list[str]] | None:
        """Rows of the reply keyboard currently shown, or None."""
        keyboard = self.emulator.reply_keyboard_of(self.chat_id)
        if keyboard is None:
            return None
        return [[visible_text(button["text"]) for button in row] for row in keyboard["keyboard"]]

    def alerts(self) -> list[Alert]:
        """Notifications the bot showed for this person's button presses, oldest first."""
        return [
            Alert(query.text, query.show_alert, query.query_id)
            for query in self.emulator.callback_answers(self._query_ids)
            if query.text
        ]

    def unanswered_queries(self) -> list[str]:
        """Callback query ids the bot never answered (the app would show a spinner)."""
        answered = {q.query_id for q in self.emulator.callback_answers(self._query_ids)}
        return [qid for qid in self._query_ids if qid not in answered]

    def transcript(self) -> str:
        """Readable recent history of this chat, for assertion messages."""
        return self.emulator.transcript(self.chat_id, update_id=self.last_update_id)

    # ------------------------------------------------------------------ internals

    async def _send(self, content: dict[str, Any], *, wait: bool) -> int:
        message = self.emulator.store_incoming(self.chat_id, self.user, content)
        return await self._deliver({"message": message}, wait=wait)

    async def _deliver(self, update: dict[str, Any], *, wait: bool) -> int:
        update_id = self.emulator.push_update(update)
        self.last_update_id = update_id
        if wait:
            await self.emulator.settle(
                update_id, self.chat_id, quiet=self.quiet, timeout=self.timeout
            )
        return update_id

    async def _callback(self, message: dict[str, Any], data: str, *, wait: bool) -> int:
        query_id = self.emulator.new_callback_query(self.chat_id, self.user_id)
        self._query_ids.append(query_id)
        query = {
            "id": query_id,
            "from": self.user,
            "message": message,
            "chat_instance": self.chat_instance,
            "data": data,
        }
        return await self._deliver({"callback_query": query}, wait=wait)

    async def _press_inline(self, message: BotMessage, button: InlineButton, *, wait: bool) -> int:
        if button.callback_data is None:
            raise AssertionError(
                f"{button.text!r} on message #{message.message_id} is a {button.kind} button: "
                "pressing it sends nothing to the bot"
            )
        return await self._callback(message.payload, button.callback_data, wait=wait)

    async def _press_reply(
        self, keyboard: dict[str, Any], button: dict[str, Any], *, wait: bool
    ) -> int:
        if keyboard.get("one_time_keyboard"):
            self.emulator.hide_reply_keyboard(self.chat_id)
        if button.get("request_contact"):
            return await self.send_contact(self.phone, user_id=self.user_id, wait=wait)
        if button.get("request_location"):
            return await self.send_location(*self.location, wait=wait)
        unsupported = [k for k in button if k.startswith("request_") or k == "web_app"]
        if unsupported:
            raise AssertionError(
                f"Reply button {button['text']!r} uses {unsupported}, which SimulatedPerson "
                "cannot act out"
            )
        return await self.send_text(button["text"], wait=wait)

    def _no_such_button(self, button_text: str) -> str:
        lines = [f"{self} sees no button {button_text!r}."]
        newest = itertools.islice(self.emulator.bot_messages_newest_first(self.chat_id), 10)
        inline = [
            f"  #{message.message_id} {message.text[:60]!r}: {message.buttons}"
            for message in newest
            if message.buttons
        ]
        lines.append("Inline buttons (newest message first):")
        lines.extend(inline or ["  (none)"])
        lines.append(f"Reply keyboard: {self.reply_keyboard()}")
        lines.append(self.transcript())
        return "\n".join(lines)

    def _new_file_id(self, kind: str) -> str:
        return f"USR{kind[:3].upper()}{self.user_id}x{next(_file_numbers):06d}"

    def _register(self, file_id: str, kind: str, **extra: Any) -> str:
        unique = f"UQ{file_id}"[:32]
        self.emulator.register_file(file_id, kind, file_unique_id=unique, **extra)
        return unique
