"""A simulated member of a group chat (e.g. CPC staff in the staff supergroup)."""

from __future__ import annotations

from typing import Any

from .person import SimulatedPerson
from .server import BotApiEmulator
from .views import BotMessage

__all__ = ["SimulatedGroupMember"]


class SimulatedGroupMember(SimulatedPerson):
    """Acts in `group_id`; `in_topic(thread_id)` chooses the topic the next messages go to,
    `replying_to(message_id)` makes the next message a reply (as after a swipe in the app)."""

    def __init__(
        self, emulator: BotApiEmulator, group_id: int, user_id: int, first_name: str, **kwargs: Any
    ) -> None:
        super().__init__(emulator, user_id, first_name, **kwargs)
        self.chat_id = group_id
        self.thread_id: int | None = None
        self._reply_to: int | None = None

    def in_topic(self, thread_id: int | None) -> SimulatedGroupMember:
        self.thread_id = thread_id
        return self

    def replying_to(self, message_id: int | None) -> SimulatedGroupMember:
        self._reply_to = message_id
        return self

    def topic_messages(self, thread_id: int | None = None) -> list[BotMessage]:
        """The bot's messages in a topic (the current one by default), oldest first."""
        return self.emulator.chat_messages(
            self.chat_id, message_thread_id=thread_id or self.thread_id
        )

    async def press_on(self, message_id: int, button_text: str, *, wait: bool = True) -> int:
        """Press a button on a given message (a card), not just on the newest one."""
        payload = self.emulator.message_payload(self.chat_id, message_id)
        if payload is None:
            raise AssertionError(f"message #{message_id} does not exist in {self.chat_id}")
        message = next(
            m for m in self.emulator.chat_messages(self.chat_id) if m.message_id == message_id
        )
        for row in message.inline_buttons:
            for button in row:
                if button.text == button_text:
                    return await self._press_inline(message, button, wait=wait)
        raise AssertionError(f"no button {button_text!r} on #{message_id}: {message.buttons}")

    async def _send(self, content: dict[str, Any], *, wait: bool) -> int:
        if self._reply_to is not None and "reply_to_message" not in content:
            target = self.emulator.message_payload(self.chat_id, self._reply_to)
            if target is not None:
                content = {**content, "reply_to_message": target}
        message = self.emulator.store_incoming(
            self.chat_id, self.user, content, message_thread_id=self.thread_id
        )
        return await self._deliver({"message": message}, wait=wait)
