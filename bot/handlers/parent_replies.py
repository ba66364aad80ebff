"""A parent answering in the chat itself: replying to a message about a request, rating a
resolved one, or choosing another day for a visit whose day closed. Each works outside any
flow, straight from the message that asked; a refusal (e.g. the request was withdrawn) is
explained by the error handlers (bot.handlers.errors)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from bot.content import content_of, source_key
from bot.dialogs.booking import start_at_calendar
from bot.i18n import gettext_
from bot.outbox.parent_texts import RebookDay, SatisfactionAnswer
from bot.widgets import escape
from core.bookings import get_my_booking
from core.requests import Added, add_parent_message, answer_satisfaction, request_replied_to
from core.urgency import UrgencyKeywords
from storage.database import Database


def _added_text(outcome: Added, reference: str) -> str:
    text = {
        Added.ADDED: gettext_("✅ Your message was added to request {reference}."),
        Added.DUPLICATE: gettext_("✅ Your message was added to request {reference}."),
        Added.REOPENED: gettext_(
            "✅ Your message was added and request {reference} is open again."
        ),
        Added.FOLLOW_UP: gettext_(
            "✅ That request was closed long ago, so this is a new request: {reference}."
        ),
    }[outcome]
    return text.format(reference=escape(reference))


async def on_reply(
    message: Message, db: Database, keywords: UrgencyKeywords, request_id: int
) -> None:
    content = content_of(message)
    added = await add_parent_message(
        db,
        user_id=message.from_user.id,
        request_id=request_id,
        text=content.text,
        attachment=content.attachment,
        file_id=content.file_id,
        source_key=source_key(message),
        keywords=keywords,
    )
    await message.answer(_added_text(added.outcome, added.reference))


async def replied_request(message: Message, db: Database) -> dict[str, int] | bool:
    """Filter: a reply to one of the bot's messages about a request of this parent."""
    reply = message.reply_to_message
    if (
        reply is None
        or message.from_user is None
        or not (
            message.text or message.caption or message.photo or message.document or message.voice
        )
    ):
        return False
    request_id = await request_replied_to(
        db, user_id=message.from_user.id, message_id=reply.message_id
    )
    return {"request_id": request_id} if request_id is not None else False


async def on_satisfaction(
    callback: CallbackQuery, callback_data: SatisfactionAnswer, db: Database
) -> None:
    await answer_satisfaction(
        db,
        user_id=callback.from_user.id,
        request_id=callback_data.request_id,
        answer=callback_data.answer,
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(gettext_("🙏 Thank you for your answer!"))


async def on_rebook(
    callback: CallbackQuery, callback_data: RebookDay, db: Database, dialog_manager: DialogManager
) -> None:
    """The notice of a closed day: the calendar of the same centre and service."""
    booking = await get_my_booking(
        db, user_id=callback.from_user.id, booking_id=callback_data.booking_id
    )
    await callback.answer()
    await start_at_calendar(dialog_manager, booking.centre_code, booking.service_code)


def build_router() -> Router:
    """For parents' private chats (the caller filters the chat)."""
    router = Router(name="parent-replies")
    router.message.register(on_reply, replied_request)
    router.callback_query.register(on_satisfaction, SatisfactionAnswer.filter())
    router.callback_query.register(on_rebook, RebookDay.filter())
    return router
