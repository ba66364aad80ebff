"""What a Telegram message carries, in core's terms: its words and at most one file."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import Message

from core.forms import AttachmentKind


@dataclass(frozen=True)
class Content:
    text: str | None
    attachment: AttachmentKind | None
    file_id: str | None


def content_of(message: Message) -> Content:
    """The largest photo size, a document or a voice note, and the text or caption."""
    attachment, file_id = None, None
    if message.photo:
        attachment, file_id = AttachmentKind.PHOTO, message.photo[-1].file_id
    elif message.document:
        attachment, file_id = AttachmentKind.DOCUMENT, message.document.file_id
    elif message.voice:
        attachment, file_id = AttachmentKind.VOICE, message.voice.file_id
    text = message.text if message.text is not None else message.caption
    return Content(text, attachment, file_id)


def source_key(message: Message) -> str:
    """Unique per Telegram message: storing it twice is how a repeated update is noticed."""
    return f"tg:{message.chat.id}:{message.message_id}"
