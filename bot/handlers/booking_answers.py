"""A parent answering a message the outbox brought about a day-centre visit: "I'm coming" or
"Cancel" under a reminder, "Take the place" under a waiting-list offer. They work outside any
dialog, straight from the message; a refusal is explained by the error handlers
(bot.handlers.errors), with another family's visit or offer (a forged button) and one that does
not exist reading the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import gettext_
from bot.outbox.parent_texts import ReminderAnswer, TakeOffer
from bot.widgets import escape
from core.bookings import cancel
from core.centres import BookingRules
from core.errors import AccessDenied, NotFound
from core.reminders import confirm_coming
from core.waiting_list import accept_offer
from koldo.settings import Settings
from storage.database import Database


def _rules(settings: Settings) -> BookingRules:
    zone = settings.locale.zone
    return settings.booking.rules(zone, settings.outbox.quiet(zone))


@asynccontextmanager
async def _own(code: str) -> AsyncIterator[None]:
    """Someone else's visit or offer, and one that does not exist, are refused alike."""
    try:
        yield
    except (AccessDenied, NotFound) as error:
        raise AccessDenied(code) from error


async def _say(callback: CallbackQuery, text: str) -> None:
    """The answer takes the place of the message's buttons, so they cannot be pressed again."""
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text)


async def on_reminder(
    callback: CallbackQuery, callback_data: ReminderAnswer, db: Database, settings: Settings
) -> None:
    user_id, booking_id = callback.from_user.id, callback_data.booking_id
    async with _own("booking_not_yours"):
        if callback_data.coming:
            booking = await confirm_coming(db, user_id=user_id, booking_id=booking_id)
            text = gettext_("✅ Thank you! We are expecting you: {reference}.")
        else:
            changed = await cancel(
                db, user_id=user_id, booking_id=booking_id, rules=_rules(settings)
            )
            booking = changed.booking
            text = gettext_("✖️ Visit {reference} is cancelled. Thank you for letting us know.")
    await _say(callback, text.format(reference=escape(booking.reference)))


async def on_take_offer(
    callback: CallbackQuery, callback_data: TakeOffer, db: Database, settings: Settings
) -> None:
    async with _own("offer_not_yours"):
        booking = await accept_offer(
            db,
            user_id=callback.from_user.id,
            entry_id=callback_data.entry_id,
            rules=_rules(settings),
        )
    text = gettext_("✅ <b>Your visit is booked.</b>\nBooking number: <b>{reference}</b>")
    await _say(callback, text.format(reference=escape(booking.reference)))


def build_router() -> Router:
    """For parents' private chats (the caller filters the chat)."""
    router = Router(name="booking-answers")
    router.callback_query.register(on_reminder, ReminderAnswer.filter())
    router.callback_query.register(on_take_offer, TakeOffer.filter())
    return router
