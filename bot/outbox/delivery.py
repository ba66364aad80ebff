"""Turning one outbox entry into Telegram calls, rendered from the database at sending time."""

from __future__ import annotations

import logging
from dataclasses import replace
from itertools import groupby
from operator import itemgetter
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CreateForumTopic,
    DeleteForumTopic,
    DeleteMessages,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import Message, ReplyParameters

from bot.i18n import PoI18n
from bot.outbox import parent_texts, staff_texts
from bot.outbox.pacing import Pacer
from bot.outbox.words import Words
from bot.widgets import escape
from core import erasure, inbox_views, outbox
from core.inbox_views import Card
from core.outbox import Delivery, Kind
from core.requests import Author, Status
from core.staff import list_staff
from storage.database import Database

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
DIGEST_SIZE = 30  # lines per digest message, well under Telegram's 4096 characters
DIGEST_LIMIT = 600  # requests listed at once; any beyond wait for the next digest
DELETE_BATCH = 100  # message ids one deleteMessages call takes
GONE_TOPIC = ("message thread not found", "topic_deleted", "topic_id_invalid")
NOT_A_FORUM = "not a forum"
MEDIA = {"photo": (SendPhoto, "photo"), "document": (SendDocument, "document"),
         "voice": (SendVoice, "voice")}  # fmt: skip


class TopicGone(Exception):
    """The request's topic was deleted in the group; its place has been forgotten."""


class Unreachable(Exception):
    """The staff group is not configured (or not reachable): group entries wait."""


class Deliverer:
    def __init__(
        self,
        *,
        db: Database,
        bot: Bot,
        pacer: Pacer,
        i18n: PoI18n,
        staff_chat_id: int | None,
        staff_language: str,
        zone: Any,
        digest_after: int,
    ) -> None:
        self.db = db
        self.bot = bot
        self.pacer = pacer
        self.i18n = i18n
        self.staff_chat_id = staff_chat_id
        self.staff_words = Words(i18n, staff_language, zone)
        self.zone = zone
        self.digest_after = digest_after
        # Topics are tried first; the group's answer "not a forum" switches to cards.
        self._forum = True

    async def deliver(self, delivery: Delivery) -> list[tuple[int, int]]:
        if delivery.kind == Kind.GROUP_ERASURE:
            return await self._erase_in_group(delivery)
        if delivery.chat_id == outbox.STAFF_CHAT:
            return await self._to_group(delivery)
        return await self._to_parent(delivery)

    # ------------------------------------------------------------------ calls

    async def _call(self, chat_id: int, method: TelegramMethod[Any]) -> Any:
        await self.pacer.wait_turn(chat_id)
        return await self.bot(method)

    async def _send(self, chat_id: int, method: TelegramMethod[Message]) -> tuple[int, int]:
        message: Message = await self._call(chat_id, method)
        return chat_id, message.message_id

    # ------------------------------------------------------------------ the staff group

    async def _group_id(self) -> int:
        if self.staff_chat_id is None:
            raise Unreachable("No staff group is configured (KOLDO_STAFF__CHAT_ID)")
        return self.staff_chat_id

    async def _to_group(self, delivery: Delivery) -> list[tuple[int, int]]:
        chat_id = await self._group_id()
        if delivery.request_id is None:
            return []
        card = await inbox_views.card(self.db, delivery.request_id)
        if card is None:
            return []
        names = await inbox_views.settlement_names(self.db, self.staff_words.language)
        if delivery.kind == Kind.URGENT_ALERT:
            text = staff_texts.urgent_alert(
                self.staff_words, card, names, await inbox_views.on_duty(self.db)
            )
            return [await self._send(chat_id, SendMessage(chat_id=chat_id, text=text))]
        if delivery.kind == Kind.ESCALATION:
            text = staff_texts.escalation(self.staff_words, card)
            return [await self._send(chat_id, SendMessage(chat_id=chat_id, text=text))]
        sent: list[tuple[int, int]] = []
        if delivery.kind == Kind.REQUEST_CARD and card.card_message_id is None:
            sent += await self._digest(chat_id, delivery, card, names)
        card = await self._ensure_place(chat_id, card, names, sent)
        if delivery.kind == Kind.CARD_REFRESH:
            if not sent:  # a card posted just now is already up to date
                sent += await self._refresh(chat_id, card, names)
        elif delivery.kind == Kind.PARENT_MESSAGE:
            sent += await self._parent_message(chat_id, card, int(delivery.payload["message_id"]))
        elif delivery.kind == Kind.STAFF_EVENT:
            text = await self._event_text(delivery.payload)
            sent.append(await self._into_place(chat_id, card, text))
        return sent

    async def _digest(
        self, chat_id: int, delivery: Delivery, card: Card, names: dict[str, str]
    ) -> list[tuple[int, int]]:
        """When many new requests wait for their topics and no digest has listed them yet, list
        them all first, so the group sees every one of them now while the topics open at
        Telegram's pace. Checked before each new card, so requests that keep arriving during a
        long queue get their own digest instead of waiting for their turn."""
        waiting = await outbox.pending_cards(self.db, limit=DIGEST_LIMIT)
        this_one = not delivery.payload.get("digested")
        if this_one + len(waiting) < self.digest_after:
            return []
        listed = [(delivery.id, card)] if this_one else []
        for entry in waiting:
            other = await inbox_views.card(self.db, entry.request_id or 0)
            if other is not None:
                listed.append((entry.id, other))
        for start in range(0, len(listed), DIGEST_SIZE):
            part = listed[start : start + DIGEST_SIZE]
            text = staff_texts.digest(
                self.staff_words, [c for _id, c in part], names, total=len(listed), first=not start
            )
            await self._send(chat_id, SendMessage(chat_id=chat_id, text=text))
            await outbox.mark_digested(self.db, [entry_id for entry_id, _c in part])
        return []  # about many requests: a reply to it continues none of them

    async def _ensure_place(
        self, chat_id: int, card: Card, names: dict[str, str], sent: list[tuple[int, int]]
    ) -> Card:
        """The request's topic and card, opened now if they do not exist (or were deleted)."""
        thread_id = card.thread_id
        if self._forum and thread_id is None:
            title = staff_texts.topic_title(self.staff_words, card, names)
            try:
                topic = await self._call(chat_id, CreateForumTopic(chat_id=chat_id, name=title))
                thread_id = topic.message_thread_id
            except TelegramBadRequest as error:
                if NOT_A_FORUM not in str(error).lower():
                    raise
                logger.warning("The staff group no longer has topics; cards go to the group")
                self._forum = False
            # Remember the topic at once: a failure below must not open a second one.
            await outbox.note_topic(
                self.db, card.id, chat_id=chat_id, thread_id=thread_id, card_id=None
            )
            card = replace(card, thread_id=thread_id, card_message_id=None)
        if card.card_message_id is None:
            text = staff_texts.card_text(self.staff_words, card, names)
            method = SendMessage(
                chat_id=chat_id,
                text=text,
                message_thread_id=thread_id if self._forum else None,
                reply_markup=staff_texts.card_keyboard(self.staff_words, card),
            )
            try:
                posted = await self._send(chat_id, method)
            except TelegramBadRequest as error:
                await self._check_topic(card, error)
                raise
            await outbox.note_topic(
                self.db, card.id, chat_id=chat_id, thread_id=thread_id, card_id=posted[1]
            )
            sent.append(posted)
            card = replace(card, thread_id=thread_id, card_message_id=posted[1])
        return card

    async def _check_topic(self, card: Card, error: TelegramBadRequest) -> None:
        if any(words in str(error).lower() for words in GONE_TOPIC):
            await outbox.note_topic(
                self.db, card.id, chat_id=self.staff_chat_id or 0, thread_id=None, card_id=None
            )
            raise TopicGone() from error

    def _place(self, card: Card) -> dict[str, Any]:
        """Where a message about the request goes: its topic, or a reply to its card."""
        if self._forum:
            return {"message_thread_id": card.thread_id}
        return {
            "reply_parameters": ReplyParameters(
                message_id=card.card_message_id or 0, allow_sending_without_reply=True
            )
        }

    async def _into_place(self, chat_id: int, card: Card, text: str) -> tuple[int, int]:
        try:
            return await self._send(
                chat_id, SendMessage(chat_id=chat_id, text=text, **self._place(card))
            )
        except TelegramBadRequest as error:
            await self._check_topic(card, error)
            raise

    async def _refresh(
        self, chat_id: int, card: Card, names: dict[str, str]
    ) -> list[tuple[int, int]]:
        text = staff_texts.card_text(self.staff_words, card, names)
        markup = staff_texts.card_keyboard(self.staff_words, card)
        try:
            await self._call(
                chat_id,
                EditMessageText(
                    chat_id=chat_id,
                    message_id=card.card_message_id,
                    text=text,
                    reply_markup=markup,
                ),
            )
        except TelegramBadRequest as error:
            message = str(error).lower()
            if "not modified" in message:
                return []
            if "message to edit not found" in message:
                await outbox.note_topic(
                    self.db, card.id, chat_id=chat_id, thread_id=card.thread_id, card_id=None
                )
                sent: list[tuple[int, int]] = []
                await self._ensure_place(chat_id, replace(card, card_message_id=None), names, sent)
                return sent
            raise
        return []

    async def _parent_message(
        self, chat_id: int, card: Card, message_id: int
    ) -> list[tuple[int, int]]:
        message = await inbox_views.message_to_pass_on(self.db, message_id)
        if message is None:
            return []
        header = staff_texts.parent_message_header(self.staff_words, card.reference)
        try:
            return await self._send_content(
                chat_id, header, message.kind, message.text, message.file_id, self._place(card)
            )
        except TelegramBadRequest as error:
            await self._check_topic(card, error)
            raise

    async def _event_text(self, payload: dict[str, Any]) -> str:
        names = {member.user_id: member.name for member in await list_staff(self.db)}
        event = str(payload["event"])
        actor = names.get(int(payload.get("actor_id") or 0), "")
        if event == "satisfaction":
            answer = staff_texts.satisfaction_word(self.staff_words, str(payload["answer"]))
            return staff_texts.event_text(self.staff_words, event, name=actor, answer=answer)
        if event == "reply_failed":
            reason = staff_texts.delivery_problem(self.staff_words, payload.get("reason"))
            return staff_texts.event_text(self.staff_words, event, name=actor, reason=reason)
        to = names.get(int(payload.get("to_id") or 0), "")
        return staff_texts.event_text(self.staff_words, event, name=actor, to=to)

    async def _erase_in_group(self, delivery: Delivery) -> list[tuple[int, int]]:
        """An erased request leaves the group: its topic with everything in it, then the bot's
        other messages about it (without topics the card and all it passed on; alerts posted
        outside the topic), then a line where the topic was. Each step can be repeated after a
        retry. The line is not linked to the request: a reply to it continues nothing."""
        traces = await erasure.group_traces(self.db, delivery.request_id or 0)
        if traces is None:
            return []
        if traces.thread_id is not None:
            method = DeleteForumTopic(chat_id=traces.chat_id, message_thread_id=traces.thread_id)
            try:
                await self._call(traces.chat_id, method)
            except TelegramBadRequest as error:
                if not any(words in str(error).lower() for words in GONE_TOPIC):
                    raise
        for chat_id, messages in groupby(traces.messages, key=itemgetter(0)):
            ids = [message_id for _chat, message_id in messages]
            for start in range(0, len(ids), DELETE_BATCH):
                batch = ids[start : start + DELETE_BATCH]
                await self._call(chat_id, DeleteMessages(chat_id=chat_id, message_ids=batch))
        text = staff_texts.erased_note(
            self.staff_words, traces.reference, str(delivery.payload.get("reason"))
        )
        await self._call(traces.chat_id, SendMessage(chat_id=traces.chat_id, text=text))
        await erasure.group_traces_removed(self.db, traces.request_id)
        return []

    # ------------------------------------------------------------------ a parent's chat

    async def _to_parent(self, delivery: Delivery) -> list[tuple[int, int]]:
        if delivery.request_id is None:
            return []
        to = await inbox_views.addressee(self.db, delivery.request_id)
        if to is None or to.user_id != delivery.chat_id:
            return []  # the parent was forgotten meanwhile
        words = Words(self.i18n, to.language, self.zone)
        chat_id = to.user_id
        if delivery.kind == Kind.STAFF_REPLY:
            message = await inbox_views.message_to_pass_on(
                self.db, int(delivery.payload["message_id"])
            )
            if message is None or message.author != Author.STAFF:
                return []
            header = parent_texts.reply_header(words, to.reference)
            footer = parent_texts.reply_hint(words)
            return await self._send_content(
                chat_id, header, message.kind, message.text, message.file_id, {}, footer=footer
            )
        if delivery.kind == Kind.STATUS_NOTICE:
            text = parent_texts.status_notice(
                words, to.reference, Status(delivery.payload["status"])
            )
            return [await self._send(chat_id, SendMessage(chat_id=chat_id, text=text))]
        if delivery.kind == Kind.SATISFACTION_QUESTION:
            text, markup = parent_texts.satisfaction_question(
                words, to.reference, delivery.request_id
            )
            return [
                await self._send(
                    chat_id, SendMessage(chat_id=chat_id, text=text, reply_markup=markup)
                )
            ]
        logger.error(
            "Outbox entry %d has a kind a parent cannot get: %s", delivery.id, delivery.kind
        )
        return []

    # ------------------------------------------------------------------ content

    async def _send_content(
        self,
        chat_id: int,
        header: str,
        kind: str,
        text: str | None,
        file_id: str | None,
        place: dict[str, Any],
        *,
        footer: str | None = None,
    ) -> list[tuple[int, int]]:
        """A header in the reader's language, then what was written or sent, as it was."""
        body = "\n\n".join(
            part for part in (header, escape(text) if text else None, footer) if part
        )
        if kind not in MEDIA or not file_id:
            return [await self._send(chat_id, SendMessage(chat_id=chat_id, text=body, **place))]
        method_type, field = MEDIA[kind]
        if len(body) <= CAPTION_LIMIT:
            method = method_type(chat_id=chat_id, caption=body, **{field: file_id}, **place)
            return [await self._send(chat_id, method)]
        # Too long for a caption: the file under the header, then the words on their own.
        caption = "\n\n".join(part for part in (header, footer) if part)
        sent = [
            await self._send(
                chat_id, method_type(chat_id=chat_id, caption=caption, **{field: file_id}, **place)
            )
        ]
        rest = escape(text or "")
        sent.append(await self._send(chat_id, SendMessage(chat_id=chat_id, text=rest, **place)))
        return sent
