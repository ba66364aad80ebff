"""Turning one outbox entry into Telegram calls, rendered from the database at sending time.

Every text goes through `bot.outbox.fit`, so nothing Koldo sends is longer than Telegram takes:
a long text becomes several messages, a caption too long for a file goes below it. An entry of
several messages writes down how far it got after each one, so a retry neither repeats nor
skips any of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
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

from bot.client_middlewares import paced_by_caller
from bot.i18n import PoI18n
from bot.outbox import parent_texts, staff_texts, training_texts
from bot.outbox.bookkeeping import until_done
from bot.outbox.fit import CAPTION_LIMIT, split_html, visible_length
from bot.outbox.pacing import Pacer
from bot.outbox.words import Words
from bot.widgets import escape
from core import (
    day_roster,
    erasure,
    inbox_views,
    morning_summary,
    outbox,
    overflow_notice,
    reference,
    reminders,
    trainers,
    training_reminders,
)
from core.inbox_views import Addressee, Card
from core.outbox import PROGRESS, Delivery, Kind
from core.people import RoleStatus
from core.requests import Author, Status
from core.staff import list_staff
from core.trainers import Decision
from storage.database import Database
from storage.outage import Outage

logger = logging.getLogger(__name__)

DIGEST_SIZE = 30  # lines per digest message at most (fewer when the lines are long)
DIGEST_LIMIT = 600  # requests listed at once; any beyond wait for the next digest
DELETE_BATCH = 100  # message ids one deleteMessages call takes
GONE_TOPIC = ("message thread not found", "topic_deleted", "topic_id_invalid")
NOT_A_FORUM = "not a forum"
MEDIA = {"photo": (SendPhoto, "photo"), "document": (SendDocument, "document"),
         "voice": (SendVoice, "voice")}  # fmt: skip
# Entries with words of their own to place after the card: when the card has just been posted
# again, they wait behind what completes it.
PLACED_AFTER_CARD = (Kind.PARENT_MESSAGE, Kind.STAFF_EVENT, Kind.CARD_FOLLOW_UP)
Sent = list[tuple[int, int]]


class TopicGone(Exception):
    """The request's topic was deleted in the group; its place has been forgotten."""


class Unreachable(Exception):
    """The staff group is not configured (or not reachable): group entries wait."""


class AfterFollowUps(Exception):
    """The request's card was just posted (again) and what completes it is queued to go next:
    this entry waits for its turn behind that."""


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
        # The database as the outbox sees it; shared with the sender (one log line an outage).
        self.outage = Outage(logger, "The outbox")
        # Topics are tried first; the group's answer "not a forum" switches to cards.
        self._forum = True
        self._digest_lock = asyncio.Lock()

    async def deliver(self, delivery: Delivery) -> Sent:
        """Render and send the entry with its kind's renderer (`RENDERERS`)."""
        return await RENDERERS[delivery.kind](self, delivery)

    # ------------------------------------------------------------------ calls

    async def _call(self, chat_id: int, method: TelegramMethod[Any]) -> Any:
        """One paced call. A 429 comes back to the sender (which tries the entry again after
        `retry_after`) and holds every later call for as long: Telegram asked the whole bot
        to slow down."""
        await self.pacer.wait_turn(chat_id)
        token = paced_by_caller.set(True)
        try:
            return await self.bot(method)
        except TelegramRetryAfter as error:
            self.pacer.hold(float(error.retry_after))
            raise
        finally:
            paced_by_caller.reset(token)

    async def _send(self, chat_id: int, method: TelegramMethod[Message]) -> tuple[int, int]:
        message: Message = await self._call(chat_id, method)
        return chat_id, message.message_id

    async def _send_all(
        self, delivery: Delivery, chat_id: int, methods: list[TelegramMethod[Message]]
    ) -> Sent:
        """The messages of one entry, each once: before each next one, how many went out is
        written down, so a retry goes on from there."""
        done = int(delivery.payload.get(PROGRESS, 0))
        sent: Sent = []
        for index in range(done, len(methods)):
            if sent:
                progress = partial(
                    outbox.note_progress, self.db, delivery, done=index, message_ids=sent[-1:]
                )
                await until_done(progress, self.outage)
            sent.append(await self._send(chat_id, methods[index]))
        return sent

    @staticmethod
    def _texts(chat_id: int, text: str, place: dict[str, Any]) -> list[TelegramMethod[Message]]:
        return [SendMessage(chat_id=chat_id, text=part, **place) for part in split_html(text)]

    def _content(
        self,
        chat_id: int,
        header: str,
        kind: str,
        text: str | None,
        file_id: str | None,
        place: dict[str, Any],
        *,
        footer: str | None = None,
    ) -> list[TelegramMethod[Message]]:
        """A header in the reader's language, then what was written or sent, as it was: a file
        with its words as the caption when they fit one, else under a caption of the header
        alone with the words below it, in as many messages as they need."""
        words = escape(text) if text else None
        body = "\n\n".join(part for part in (header, words, footer) if part)
        if kind not in MEDIA or not file_id:
            return self._texts(chat_id, body, place)
        method_type, field = MEDIA[kind]
        if visible_length(body) <= CAPTION_LIMIT:
            return [method_type(chat_id=chat_id, caption=body, **{field: file_id}, **place)]
        caption = "\n\n".join(part for part in (header, footer) if part)
        return [
            method_type(chat_id=chat_id, caption=caption, **{field: file_id}, **place),
            *self._texts(chat_id, words or "", place),
        ]

    # ------------------------------------------------------------------ the staff group

    async def _group_id(self) -> int:
        if self.staff_chat_id is None:
            raise Unreachable("No staff group is configured (KOLDO_STAFF__CHAT_ID)")
        return self.staff_chat_id

    async def _request_in_group(
        self, delivery: Delivery
    ) -> tuple[int, Card, dict[str, str]] | None:
        """The group, the request's card as it is now and the settlement names; None when the
        request is gone (erased), so there is nothing left to say about it."""
        chat_id = await self._group_id()
        card = await inbox_views.card(self.db, delivery.request_id or 0)
        if card is None:
            return None
        return chat_id, card, await inbox_views.settlement_names(self.db, self.staff_words.language)

    async def alert(self, delivery: Delivery) -> Sent:
        """An urgent request, or one nobody has taken: in the group, outside any topic."""
        found = await self._request_in_group(delivery)
        if found is None:
            return []
        chat_id, card, names = found
        if delivery.kind == Kind.URGENT_ALERT:
            on_duty = await inbox_views.on_duty(self.db)
            text = staff_texts.urgent_alert(self.staff_words, card, names, on_duty)
        else:
            text = staff_texts.escalation(self.staff_words, card)
        return await self._send_all(delivery, chat_id, self._texts(chat_id, text, {}))

    async def about_request(self, delivery: Delivery) -> Sent:
        """Something in the request's topic (or under its card): the card itself, what
        completes it, a redraw of it, a line about an event, what the parent added. The topic
        and card are opened first when they do not exist yet (or were deleted)."""
        found = await self._request_in_group(delivery)
        if found is None:
            return []
        chat_id, card, names = found
        sent: Sent = []
        if delivery.kind == Kind.REQUEST_CARD and card.card_message_id is None:
            await self._digest(chat_id, names)
        card, followed = await self._ensure_place(chat_id, card, names, sent)
        if followed and delivery.kind in PLACED_AFTER_CARD:
            raise AfterFollowUps()
        if delivery.kind == Kind.CARD_REFRESH:
            if not sent:  # a card posted just now is already up to date
                sent += await self._refresh(chat_id, card, names)
        elif delivery.kind in PLACED_AFTER_CARD:
            methods = await self._placed_after_card(chat_id, delivery, card)
            sent += await self._in_place(delivery, chat_id, card, methods)
        return sent

    async def _placed_after_card(
        self, chat_id: int, delivery: Delivery, card: Card
    ) -> list[TelegramMethod[Message]]:
        place = self._place(card)
        if delivery.kind == Kind.STAFF_EVENT:
            return self._texts(chat_id, await self._event_text(delivery.payload), place)
        if delivery.kind == Kind.PARENT_MESSAGE:
            return await self._parent_message(chat_id, card, int(delivery.payload["message_id"]))
        story = [
            SendMessage(chat_id=chat_id, text=part, **place)
            for part in staff_texts.story_parts(self.staff_words, card)
        ]
        files = [
            method
            for message_id in delivery.payload.get("message_ids", [])
            for method in await self._parent_message(chat_id, card, int(message_id))
        ]
        return story + files

    async def _digest(self, chat_id: int, names: dict[str, str]) -> None:
        """When many new requests wait for their topics and no digest has listed them yet, list
        them all first, so the group sees every one of them now while the topics open at
        Telegram's pace. Checked before each new card, so requests that keep arriving during a
        long queue get their own digest instead of waiting for their turn."""
        async with self._digest_lock:
            listed = await self._waiting_cards()
            if len(listed) < self.digest_after:
                return
            for text, count in staff_texts.digest_messages(
                self.staff_words, [card for _id, card in listed], names, size=DIGEST_SIZE
            ):
                await self._send(chat_id, SendMessage(chat_id=chat_id, text=text))
                await outbox.mark_digested(self.db, [entry_id for entry_id, _c in listed[:count]])
                listed = listed[count:]

    async def list_held_back(self) -> None:
        """The group's pace holds new cards back: list them in one digest now, from the share
        of the pace kept for this, so every new request shows in the group within seconds."""
        if self.staff_chat_id is None or not await self._waiting_cards():
            return
        chat_id = self.staff_chat_id
        await self.pacer.wait_turn(chat_id, reserved=True)
        async with self._digest_lock:
            listed = await self._waiting_cards()
            if not listed:
                return
            names = await inbox_views.settlement_names(self.db, self.staff_words.language)
            [(text, count), *_rest] = staff_texts.digest_messages(
                self.staff_words, [card for _id, card in listed], names, size=DIGEST_SIZE
            )
            await self.bot(SendMessage(chat_id=chat_id, text=text))
            await outbox.mark_digested(self.db, [entry_id for entry_id, _c in listed[:count]])

    async def _waiting_cards(self) -> list[tuple[int, Card]]:
        """New requests not in the group yet and not listed in a digest, oldest first."""
        listed = []
        for entry in await outbox.waiting_cards(self.db, limit=DIGEST_LIMIT):
            card = await inbox_views.card(self.db, entry.request_id or 0)
            if card is not None and card.card_message_id is None:
                listed.append((entry.id, card))
        return listed

    async def _ensure_place(
        self,
        chat_id: int,
        card: Card,
        names: dict[str, str],
        sent: Sent,
        *,
        follow_ups: bool = True,
    ) -> tuple[Card, bool]:
        """The request's topic and card, opened now if they do not exist (or were deleted).
        Returns the card, and whether what completes it was queued to go next."""
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
        if card.card_message_id is not None:
            return card, False
        method = SendMessage(
            chat_id=chat_id,
            text=staff_texts.card_text(self.staff_words, card, names),
            message_thread_id=thread_id if self._forum else None,
            reply_markup=staff_texts.card_keyboard(self.staff_words, card),
        )
        try:
            posted = await self._send(chat_id, method)
        except TelegramBadRequest as error:
            await self._check_topic(card, error)
            raise
        sent.append(posted)
        followed = await until_done(
            lambda: outbox.card_posted(
                self.db,
                card.id,
                chat_id=chat_id,
                thread_id=thread_id,
                card_id=posted[1],
                long_story=follow_ups and staff_texts.story_follows(card),
                form_files=[a.message_id for a in card.attachments] if follow_ups else [],
            ),
            self.outage,
        )
        return replace(card, thread_id=thread_id, card_message_id=posted[1]), followed

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

    async def _in_place(
        self,
        delivery: Delivery,
        chat_id: int,
        card: Card,
        methods: list[TelegramMethod[Message]],
    ) -> Sent:
        try:
            return await self._send_all(delivery, chat_id, methods)
        except TelegramBadRequest as error:
            await self._check_topic(card, error)
            raise

    async def _refresh(self, chat_id: int, card: Card, names: dict[str, str]) -> Sent:
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
                # Only the card was deleted: what followed it is still there.
                sent: Sent = []
                await self._ensure_place(
                    chat_id, replace(card, card_message_id=None), names, sent, follow_ups=False
                )
                return sent
            raise
        return []

    async def _parent_message(
        self, chat_id: int, card: Card, message_id: int
    ) -> list[TelegramMethod[Message]]:
        message = await inbox_views.message_to_pass_on(self.db, message_id)
        if message is None:
            return []
        header = staff_texts.parent_message_header(self.staff_words, card.reference)
        return self._content(
            chat_id, header, message.kind, message.text, message.file_id, self._place(card)
        )

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

    async def morning_summary(self, delivery: Delivery) -> Sent:
        """A centre's day, counted as it is when the summary goes out."""
        chat_id = await self._group_id()
        summary = await morning_summary.summary_of(
            self.db, str(delivery.payload["centre"]), date.fromisoformat(delivery.payload["day"]),
            self.zone,
        )  # fmt: skip
        if summary is None:
            return []
        text = staff_texts.morning_summary(self.staff_words, summary)
        return await self._send_all(delivery, chat_id, self._texts(chat_id, text, {}))

    async def erase_in_group(self, delivery: Delivery) -> Sent:
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

    async def trainer_application(self, delivery: Delivery) -> Sent:
        """An application to be a peer trainer, drawn as it is now: one decided, withdrawn or
        replaced by a newer one before its turn came is not posted (the newer has its own)."""
        found = await trainers.application_of(self.db, int(delivery.payload["user_id"]))
        if (
            found is None
            or found.status != RoleStatus.REQUESTED
            or found.application != int(delivery.payload["application"])
        ):
            return []
        chat_id = await self._group_id()
        text, markup = staff_texts.trainer_application(
            self.staff_words, found, *await trainer_names(self.db, self.staff_words.language)
        )
        method = SendMessage(chat_id=chat_id, text=text, reply_markup=markup)
        return [await self._send(chat_id, method)]

    async def say_refused(self, delivery: Delivery, error: str) -> None:
        """Telegram refused a group entry for good: say so where its request lives (or in the
        group), so staff know something is missing and why. When it was the card itself, the
        line takes the card's place, so what comes later about the request still has one (and
        the next change of the card tries to turn the line into the card)."""
        chat_id = await self._group_id()
        card = await inbox_views.card(self.db, delivery.request_id or 0)
        if card is None:
            return
        text = staff_texts.refused(self.staff_words, delivery.id, card.reference, error)
        place = self._place(card) if card.thread_id or card.card_message_id else {}
        posted = await self._send(chat_id, SendMessage(chat_id=chat_id, text=text, **place))
        if card.card_message_id is None:
            await outbox.note_topic(
                self.db, card.id, chat_id=chat_id, thread_id=card.thread_id, card_id=posted[1]
            )

    async def data_overflow(self, delivery: Delivery) -> Sent:
        """Booked visits the reference data no longer allows: in the group, outside any
        topic."""
        chat_id = await self._group_id()
        lines = await overflow_notice.overflow_lines(self.db, delivery.payload)
        text = staff_texts.overflow_text(self.staff_words, lines)
        return await self._send_all(delivery, chat_id, self._texts(chat_id, text, {}))

    # ------------------------------------------------------------------ a parent's chat

    async def _addressee(self, delivery: Delivery) -> tuple[Addressee, Words] | None:
        """Whom the entry is for, and words in their language as it is now; None when the
        parent was forgotten meanwhile."""
        to = await inbox_views.addressee(self.db, delivery.request_id or 0)
        if to is None or to.user_id != delivery.chat_id:
            return None
        return to, Words(self.i18n, to.language, self.zone)

    async def staff_reply(self, delivery: Delivery) -> Sent:
        found = await self._addressee(delivery)
        message = await inbox_views.message_to_pass_on(self.db, int(delivery.payload["message_id"]))
        if found is None or message is None or message.author != Author.STAFF:
            return []
        to, words = found
        header = parent_texts.reply_header(words, to.reference)
        footer = parent_texts.reply_hint(words)
        methods = self._content(
            to.user_id, header, message.kind, message.text, message.file_id, {}, footer=footer
        )
        return await self._send_all(delivery, to.user_id, methods)

    async def status_notice(self, delivery: Delivery) -> Sent:
        found = await self._addressee(delivery)
        if found is None:
            return []
        to, words = found
        text = parent_texts.status_notice(words, to.reference, Status(delivery.payload["status"]))
        return [await self._send(to.user_id, SendMessage(chat_id=to.user_id, text=text))]

    async def satisfaction_question(self, delivery: Delivery) -> Sent:
        found = await self._addressee(delivery)
        if found is None:
            return []
        to, words = found
        text, markup = parent_texts.satisfaction_question(
            words, to.reference, delivery.request_id or 0
        )
        method = SendMessage(chat_id=to.user_id, text=text, reply_markup=markup)
        return [await self._send(to.user_id, method)]

    async def day_closed(self, delivery: Delivery) -> Sent:
        notice = await day_roster.closure_notice(self.db, delivery.booking_id or 0, self.zone)
        if notice is None or notice.user_id != delivery.chat_id:
            return []
        words = Words(self.i18n, notice.language or self.i18n.default_locale, self.zone)
        text, markup = parent_texts.day_closed(words, notice)
        method = SendMessage(chat_id=notice.user_id, text=text, reply_markup=markup)
        return [await self._send(notice.user_id, method)]

    async def booking_reminder(self, delivery: Delivery) -> Sent:
        """Read at sending time: the booking as it is and the parent's language now."""
        reminded = await reminders.to_remind(self.db, delivery.booking_id or 0)
        if reminded is None:
            return []
        words = Words(self.i18n, reminded.language, self.zone)
        which = reminders.Which(delivery.payload.get("which", reminders.Which.EVENING))
        text, markup = parent_texts.booking_reminder(words, reminded, which)
        chat_id = delivery.chat_id
        return [
            await self._send(chat_id, SendMessage(chat_id=chat_id, text=text, reply_markup=markup))
        ]

    async def waiting_offer(self, delivery: Delivery) -> Sent:
        offered = await reminders.to_offer(self.db, int(delivery.payload["entry_id"]))
        if offered is None:
            return []
        words = Words(self.i18n, offered.language, self.zone)
        text, markup = parent_texts.waiting_offer(words, offered)
        chat_id = delivery.chat_id
        return [
            await self._send(chat_id, SendMessage(chat_id=chat_id, text=text, reply_markup=markup))
        ]

    # ------------------------------------------------------------------ training sessions

    async def training_notice(self, delivery: Delivery) -> Sent:
        """A new session, a change, a reminder, a request to report: from the session as it
        is now, in the addressee's language now."""
        notice = await training_reminders.notice(
            self.db, delivery.training_session_id or 0, delivery.chat_id
        )
        if notice is None:
            return []
        words = Words(self.i18n, notice.language, self.zone)
        text = training_texts.for_person(words, notice, delivery.kind, delivery.payload)
        chat_id = delivery.chat_id
        return await self._send_all(delivery, chat_id, self._texts(chat_id, text, {}))

    async def trainer_dropped(self, delivery: Delivery) -> Sent:
        """In the staff group, outside any topic: a trainer can't lead a session."""
        chat_id = await self._group_id()
        session_id = int(delivery.payload["session_id"])
        notice = await training_reminders.notice(self.db, session_id, None)
        if notice is None:
            return []
        user_id = int(delivery.payload["user_id"])
        text = training_texts.trainer_dropped(self.staff_words, notice, user_id)
        return await self._send_all(delivery, chat_id, self._texts(chat_id, text, {}))

    async def trainer_decision(self, delivery: Delivery) -> Sent:
        notice = await trainers.notice_for(self.db, delivery.chat_id)
        if notice is None:
            return []
        words = Words(self.i18n, notice.language or self.i18n.default_locale, self.zone)
        text = parent_texts.trainer_decision(words, Decision(delivery.payload["decision"]))
        return [await self._send(notice.user_id, SendMessage(chat_id=notice.user_id, text=text))]


async def trainer_names(db: Database, language: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settlement and programme names by code in `language`, to draw trainers for staff."""
    programmes = {
        p.code: p.name.get(language) or p.name.get("ru", p.code)
        for p in await reference.programmes(db)
    }
    return await inbox_views.settlement_names(db, language), programmes


Renderer = Callable[[Deliverer, Delivery], Awaitable[Sent]]

# How each kind of outbox entry reaches Telegram. A kind declared in core without a renderer
# here stops the worker at start-up (`check_renderers`), rather than being marked sent unsaid.
RENDERERS: dict[Kind, Renderer] = {
    Kind.REQUEST_CARD: Deliverer.about_request,
    Kind.CARD_FOLLOW_UP: Deliverer.about_request,
    Kind.CARD_REFRESH: Deliverer.about_request,
    Kind.PARENT_MESSAGE: Deliverer.about_request,
    Kind.STAFF_EVENT: Deliverer.about_request,
    Kind.URGENT_ALERT: Deliverer.alert,
    Kind.ESCALATION: Deliverer.alert,
    Kind.GROUP_ERASURE: Deliverer.erase_in_group,
    Kind.DATA_OVERFLOW: Deliverer.data_overflow,
    Kind.STAFF_REPLY: Deliverer.staff_reply,
    Kind.STATUS_NOTICE: Deliverer.status_notice,
    Kind.SATISFACTION_QUESTION: Deliverer.satisfaction_question,
    Kind.DAY_CLOSED: Deliverer.day_closed,
    Kind.BOOKING_REMINDER: Deliverer.booking_reminder,
    Kind.WAITING_OFFER: Deliverer.waiting_offer,
    Kind.MORNING_SUMMARY: Deliverer.morning_summary,
    Kind.TRAINING_NEW: Deliverer.training_notice,
    Kind.TRAINING_CHANGED: Deliverer.training_notice,
    Kind.TRAINING_REMINDER: Deliverer.training_notice,
    Kind.TRAINING_REPORT_DUE: Deliverer.training_notice,
    Kind.TRAINER_DROPPED: Deliverer.trainer_dropped,
    Kind.TRAINER_APPLICATION: Deliverer.trainer_application,
    Kind.TRAINER_DECISION: Deliverer.trainer_decision,
}


def check_renderers() -> None:
    missing = sorted(set(Kind) - RENDERERS.keys())
    if missing:
        raise RuntimeError(f"Outbox kinds without a renderer: {', '.join(missing)}")
