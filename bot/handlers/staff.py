"""The staff group: card buttons, staff commands, and what staff write in a request's topic.

Every core call made here checks that the person is listed as staff (anyone else is refused
and the attempt is logged); a refusal or any other domain error is answered by the error
handlers (bot.handlers.errors), in words from bot.error_texts. Replies go to the parent through
the outbox (core.inbox), never from here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject, User
from babel.dates import format_timedelta

from bot.content import content_of, source_key
from bot.filters import InChat
from bot.handlers import staff_days, staff_session_new, staff_sessions, staff_trainers
from bot.outbox import staff_texts
from bot.outbox.words import Words, staff_words
from bot.widgets import escape
from core import inbox, inbox_views, outbox
from core.clock import utcnow
from core.inbox_views import QueueItem
from core.staff import colleagues, learn_name, toggle_duty
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database

logger = logging.getLogger(__name__)

NOTE_PREFIXES = ("/note", "!")
HELP = N_(
    "<b>Koldo in the staff group</b>\n"
    "Write in a request's topic (or reply to its card) to answer the parent.\n"
    "/note or ! at the start: an internal note, never sent.\n"
    "/queue: open requests, oldest first\n"
    "/my: requests taken by you\n"
    "/find K-000123 or a phone number\n"
    "/stats: figures of the week\n"
    "/duty: go on or off duty (urgent requests mention those on duty)\n"
    "/today or /today and a centre's code: today's visits, to mark who came\n"
    "/close, a centre's code, a date and a reason: close the centre that day\n"
    "/session new: add a training session (a few questions)\n"
    "/sessions, /sessions 2027-03-01 or /sessions week: training sessions, to move or cancel\n"
    "/report_fix and a session's number: correct its attendance report\n"
    "/cancel: stop the questions of a command"
)


# ---------------------------------------------------------------------- card buttons

ACTIONS: dict[str, Callable[..., Awaitable[None]]] = {
    "take": inbox.take,
    "wait": inbox.wait_for_parent,
    "resolve": inbox.resolve,
}
DONE = {
    "take": N_("🙋 The request is yours."),
    "wait": N_("⏳ Marked as waiting for the parent."),
    "resolve": N_("✅ Resolved. The parent will be asked if the problem was solved."),
    # Translators: answer to the staff member who passed a request on to a colleague.
    "to": N_("👥 Reassigned."),
}


async def on_card_button(
    callback: CallbackQuery, callback_data: staff_texts.CardAction, db: Database, settings: Settings
) -> None:
    action = callback_data.action
    words = staff_words(settings)
    staff_id, request_id = callback.from_user.id, callback_data.request_id
    message = callback.message if isinstance(callback.message, Message) else None
    if action in ACTIONS:
        await ACTIONS[action](db, staff_id=staff_id, request_id=request_id)
    elif action == "to":
        await inbox.reassign(
            db, staff_id=staff_id, request_id=request_id, to_staff_id=callback_data.to
        )
    elif action in ("reassign", "back") and message is not None:
        keyboard = await _keyboard(db, words, action, staff_id, request_id)
        await callback.answer()
        await message.edit_reply_markup(reply_markup=keyboard)
        return
    else:
        await callback.answer()
        return
    await callback.answer(words.say(DONE[action]))


async def _keyboard(db: Database, words: Words, action: str, staff_id: int, request_id: int) -> Any:
    if action == "reassign":
        return staff_texts.reassign_keyboard(
            words, request_id, await colleagues(db, staff_id=staff_id)
        )
    card = await inbox_views.staff_card(db, staff_id=staff_id, request_id=request_id)
    return staff_texts.card_keyboard(words, card) if card else None


# ---------------------------------------------------------------------- commands


def _age(words: Words, item: QueueItem) -> str:
    return format_timedelta(utcnow() - item.created_at, threshold=1.5, locale=words.language)


def _topic_link(settings: Settings, item: QueueItem) -> str | None:
    chat_id = settings.staff.chat_id
    if chat_id is None or item.thread_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id)[4:]}/{item.thread_id}"


def _queue_lines(words: Words, settings: Settings, items: list[QueueItem]) -> str:
    lines = []
    for item in items:
        reference = escape(item.reference)
        link = _topic_link(settings, item)
        if link:
            reference = f'<a href="{link}">{reference}</a>'
        parts = [
            ("🚨 " if item.urgent else "") + reference,
            words.label(staff_texts.CATEGORY[item.category]),
            words.label(staff_texts.STATUS[item.status]),
            escape(_age(words, item)),
        ]
        if item.assignee_name:
            parts.append(escape(item.assignee_name))
        lines.append(" · ".join(parts))
    return "\n".join(lines)


async def on_queue(message: Message, db: Database, settings: Settings) -> None:
    items = await inbox_views.queue(db, staff_id=message.from_user.id)
    await _reply_list(message, settings, items, N_("<b>Open requests</b>"))


async def on_my(message: Message, db: Database, settings: Settings) -> None:
    items = await inbox_views.my_queue(db, staff_id=message.from_user.id)
    await _reply_list(message, settings, items, N_("<b>Your open requests</b>"))


async def _reply_list(
    message: Message, settings: Settings, items: list[QueueItem], title: str
) -> None:
    words = staff_words(settings)
    if not items:
        # Translators: answer to /queue or /my in the staff group: no open requests.
        await message.reply(words.say("Nothing here. 🎉"))
        return
    await message.reply(words.say(title) + "\n" + _queue_lines(words, settings, items))


async def on_find(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    items = await inbox_views.find(db, staff_id=message.from_user.id, query=command.args or "")
    words = staff_words(settings)
    if not items:
        # Translators: answer to /find in the staff group: no request matches.
        await message.reply(words.say("Nothing found."))
        return
    await message.reply(_queue_lines(words, settings, items))


async def on_stats(message: Message, db: Database, settings: Settings) -> None:
    figures = await inbox_views.stats(db, staff_id=message.from_user.id, zone=settings.locale.zone)
    words = staff_words(settings)
    median = (
        format_timedelta(figures.median_first_answer, threshold=1.5, locale=words.language)
        if figures.median_first_answer is not None
        else "—"
    )
    await message.reply(
        words.say(
            "<b>Figures</b>\nOpen: {open}\nTaken: {taken}\nResolved this week: {resolved}\n"
            "Median time to the first answer (30 days): {median}",
            open=figures.open,
            taken=figures.taken,
            resolved=figures.resolved_this_week,
            median=median,
        )
    )


async def on_duty(message: Message, db: Database, settings: Settings) -> None:
    member = await toggle_duty(db, message.from_user.id)
    words = staff_words(settings)
    await message.reply(
        words.say("🟢 You are on duty: urgent requests will mention you.")
        if member.on_duty
        else words.say("⚪ You are off duty.")
    )


async def on_help(message: Message, settings: Settings) -> None:
    words = staff_words(settings)
    await message.reply(words.say(HELP) + "\n" + words.say(staff_trainers.HELP))


# ---------------------------------------------------------------------- topic messages


async def on_topic_message(message: Message, db: Database, settings: Settings) -> None:
    """A message about a request: a note when it starts with /note or !, else a reply."""
    request_id = await inbox_views.request_at(
        db,
        chat_id=message.chat.id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to=message.reply_to_message.message_id if message.reply_to_message else None,
    )
    if request_id is None:
        return  # talk among staff, not about a request
    content = content_of(message)
    if content.text is None and content.attachment is None:
        await message.reply(staff_words(settings).say(
            "Only text, photos, files and voice messages can be passed on to the parent."
        ))  # fmt: skip
        return
    note = content.text is not None and content.text.lstrip().startswith(NOTE_PREFIXES)
    text = content.text
    use_case = inbox.add_note if note else inbox.reply
    if note and text is not None:
        text = _strip_note_prefix(text) or (None if content.attachment else text)
    await use_case(
        db,
        staff_id=message.from_user.id,
        request_id=request_id,
        text=text,
        attachment=content.attachment,
        file_id=content.file_id,
        source_key=source_key(message),
    )
    if note:
        await message.reply(staff_words(settings).say("📝 Note saved. The parent does not see it."))


def _strip_note_prefix(text: str) -> str:
    text = text.lstrip()
    for prefix in NOTE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


async def on_other_button(callback: CallbackQuery) -> None:
    await callback.answer()


async def on_bot_membership(event: ChatMemberUpdated, db: Database) -> None:
    """The bot was added to (or promoted in) the staff group again: what waited goes now.
    Removed: cards and events wait in the outbox until it is back."""
    status = event.new_chat_member.status
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED):
        logger.error(
            "The bot was removed from the staff group by user %s; messages for the group wait "
            "in the outbox until it is added again",
            event.from_user.id,
        )
        return
    waiting = await outbox.staff_group_back(db)
    logger.info("The bot is %s in the staff group; %d waiting entries go now", status, waiting)


async def learn_staff_name(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Whoever acts or writes in the group: core keeps their Telegram name if they are staff
    known only by a placeholder."""
    user: User | None = data.get("event_from_user")
    if user is not None:
        await learn_name(data["db"], user.id, user.full_name)
    return await handler(event, data)


def build_router(staff_chat_id: int | None) -> Router:
    router = Router(name="staff")
    if staff_chat_id is None:
        return router
    in_staff_group = InChat(staff_chat_id)
    router.message.filter(in_staff_group)
    router.callback_query.filter(in_staff_group)
    router.my_chat_member.filter(in_staff_group)
    router.my_chat_member.register(on_bot_membership)
    router.message.middleware(learn_staff_name)
    router.callback_query.middleware(learn_staff_name)
    router.callback_query.register(on_card_button, staff_texts.CardAction.filter())
    staff_days.register(router)
    staff_sessions.register(router)
    staff_session_new.register(router)
    staff_trainers.register(router)
    router.callback_query.register(on_other_button)
    router.message.register(on_queue, Command("queue"))
    router.message.register(on_my, Command("my"))
    router.message.register(on_find, Command("find"))
    router.message.register(on_stats, Command("stats"))
    router.message.register(on_duty, Command("duty"))
    router.message.register(on_help, Command("help", "start"))
    router.message.register(on_topic_message)
    return router
