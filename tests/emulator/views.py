"""Snapshots of what a Telegram user would see, handed to tests.

They are plain frozen dataclasses copied out of the emulator's state, so a test
can keep one, let the bot act, take another and compare the two without the
first one changing under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Alert", "ApiCall", "BotMessage", "ForumTopic", "InlineButton"]


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button; exactly one of the action fields is usually set."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    kind: str = "callback_data"
    """Name of the action field (``callback_data``, ``url``, ``web_app``, ...)."""


@dataclass(frozen=True)
class BotMessage:
    """A message in a chat as its reader sees it (not deleted, latest edit)."""

    message_id: int
    text: str
    """Visible text (or caption): tags removed, HTML entities unescaped."""
    raw_text: str | None
    """Text or caption exactly as the bot sent it, before parsing."""
    buttons: list[list[str]]
    """Inline keyboard as rows of button texts; empty if there is none."""
    button_data: list[list[str | None]]
    """callback_data (or url for link buttons) behind each button of ``buttons``."""
    inline_buttons: list[list[InlineButton]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    media: str | None = None
    """``photo``, ``document``, ``voice``, ... when the message carries a file."""
    message_thread_id: int | None = None
    from_bot: bool = True
    edited: bool = False
    payload: dict[str, Any] = field(default_factory=dict)
    """The full Telegram Message object, as the Bot API would return it."""

    def flat_buttons(self) -> list[str]:
        """All inline button texts, row by row."""
        return [text for row in self.buttons for text in row]


@dataclass(frozen=True)
class Alert:
    """A notification or alert the bot showed in answer to a button press."""

    text: str
    show_alert: bool
    callback_query_id: str


@dataclass(frozen=True)
class ForumTopic:
    """A forum topic created in a supergroup."""

    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None
    closed: bool


@dataclass
class ApiCall:
    """One HTTP request of the bot to the emulator, kept for assertions and transcripts.

    The record is appended when the request arrives (``status`` 0 while it is
    still in progress) and completed when the answer is sent, so the log keeps
    the order in which the bot made its calls.
    """

    method: str
    params: dict[str, Any]
    time: float
    """``time.monotonic()`` when the request arrived."""
    chat_id: int | None
    status: int = 0
    description: str | None = None
    result: Any = None
    finished: float | None = None

    @property
    def ok(self) -> bool:
        """True when Telegram would have answered ``{"ok": true}``."""
        return self.status == 200

    def summary(self, width: int = 120) -> str:
        """One readable line for transcripts."""
        shown = {k: v for k, v in self.params.items() if k not in ("chat_id",)}
        text = f"{self.method} {shown}"
        if len(text) > width:
            text = text[: width - 1] + "…"
        outcome = "…" if self.status == 0 else str(self.status)
        if self.description:
            outcome += f" {self.description}"
        return f"{text} -> {outcome}"
