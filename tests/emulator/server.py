"""A local Telegram Bot API server for end-to-end tests and benchmarks.

The real bot process talks to it over HTTP exactly as it talks to
api.telegram.org (aiogram long polling, multipart and urlencoded requests), so
the tests exercise the same code path as production, including aiogram's own
request building, response parsing and error classes.  Tests drive it from the
other side: they push updates (usually through ``SimulatedPerson``), inject
faults and read back what each chat would show.

Design notes:

* Everything lives in one asyncio loop with the test, so state is plain dicts
  and no locks are needed.  Every request does O(1) work in the size of the
  history (per-chat dicts, a deque of pending updates), because the benchmark
  runs a thousand simulated users against one instance.
* Long polls and ``settle`` wait on ``asyncio.Event`` objects that are replaced
  after each signal, so waiters wake immediately and nobody polls with sleep.
* Validation and error texts copy real Telegram, because the point is to catch
  the bot doing something production would reject.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import socket
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .telegram_html import EntityParseError, ParsedText, normalize_text, parse_html
from .views import ApiCall, BotMessage, ForumTopic, InlineButton

__all__ = ["ApiError", "BotApiEmulator"]

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
KICKED = "Forbidden: bot was kicked from the supergroup chat"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Form fields are strings; these stay strings even when they look like JSON
# (a text "123" must not turn into an int).  Everything else is JSON-decoded.
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "name", "url", "action",
        "language_code", "icon_custom_emoji_id", "title", "description", "emoji",
        "inline_message_id", "business_connection_id", "photo", "document", "voice",
        "audio", "video", "animation", "sticker", "video_note", "thumbnail", "performer",
        "message_effect_id", "file_id", "phone_number", "first_name", "last_name", "vcard",
        "address", "secret_token", "short_description", "query", "duration_text",
    }
)  # fmt: skip
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "media", "allowed_updates",
        "commands", "scope", "menu_button", "message_ids", "link_preview_options",
        "reply_parameters",
    }
)  # fmt: skip
_MEDIA_KINDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "animation",
    "video_note",
    "sticker",
)
_CAPTIONED = frozenset({"photo", "document", "voice", "audio", "video", "animation"})
_COPYABLE = (
    "text", "entities", "caption", "caption_entities", "photo", "document", "voice", "audio",
    "video", "animation", "video_note", "sticker", "location", "contact", "venue",
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_DEFAULT_TOPIC_COLOR = 7322096
_FILE_EXTENSIONS = {
    "photo": "jpg", "voice": "oga", "audio": "mp3", "video": "mp4", "animation": "mp4",
    "video_note": "mp4", "sticker": "webp", "document": "bin",
}  # fmt: skip
_FAKE_SIZES = {"photo": (1280, 960), "video": (1280, 720), "animation": (480, 480)}


class ApiError(Exception):
    """A Bot API error answer; raised by method handlers, turned into JSON by the server."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Upload:
    """A file that arrived in a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _StoredMessage:
    message_id: int
    payload: dict[str, Any]
    """The Message object; replaced (never mutated) on edit, so snapshots stay valid."""
    from_bot: bool
    raw_text: str | None = None
    inline_markup: dict[str, Any] | None = None
    edited: bool = False


@dataclass
class _Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False


@dataclass
class _Chat:
    chat_id: int
    info: dict[str, Any]
    """The Chat object embedded in every message of this chat."""
    user: dict[str, Any] | None = None
    messages: dict[int, _StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    force_reply_to: int | None = None
    blocked: bool = False
    topics: dict[int, _Topic] = field(default_factory=dict)

    def allocate_id(self) -> int:
        """Message ids are shared by both directions of a chat and only grow."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _UpdateRecord:
    update_id: int
    payload: dict[str, Any]
    kind: str
    chat_id: int | None
    pushed_at: float
    delivered_at: float | None = None
    acked_at: float | None = None
    responded_at: float | None = None
    handled_at: float | None = None
    dropped: bool = False


@dataclass
class _Activity:
    """Per-chat bookkeeping for ``settle`` and latency figures."""

    in_flight: int = 0
    last_activity: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    recent: deque[ApiCall] = field(default_factory=lambda: deque(maxlen=40))
    awaiting_response: deque[_UpdateRecord] = field(default_factory=deque)

    def signal(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class _Window:
    """At most `count` posts in any `period` seconds (a sliding window of their times)."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more post would fit (0 when it fits now)."""
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) < self.count:
            return 0.0
        return self.times[len(self.times) - self.count] + self.period - now


class _RateLimits:
    """Telegram's limits on posting messages: bot-wide, per chat, and per group."""

    def __init__(self, per_second: int, chat_per_second: float, group_per_minute: int) -> None:
        self.total = _Window(per_second, 1.0)
        self.chat_period = 1 / chat_per_second
        self.group_per_minute = group_per_minute
        self.chats: dict[int, dict[str, _Window]] = {}

    @staticmethod
    def counts(method: str) -> bool:
        """Only calls that post a message count (not edits, answers or chat actions)."""
        return method in _POSTING_METHODS

    def admit(self, chat_id: int | None, now: float) -> tuple[float, str]:
        """Record the post and return (0, "") if every limit allows it; otherwise the seconds
        to wait and the limit it broke ("bot", "chat" or "group"), and nothing is recorded."""
        windows = {"bot": self.total}
        if chat_id is not None:
            windows.update(self._of_chat(chat_id))
        waits = {name: window.wait(now) for name, window in windows.items()}
        broken = max(waits, key=lambda name: waits[name])
        if waits[broken] > 0:
            return waits[broken], broken
        for window in windows.values():
            window.times.append(now)
        return 0.0, ""

    def _of_chat(self, chat_id: int) -> dict[str, _Window]:
        windows = self.chats.get(chat_id)
        if windows is None:
            windows = {"chat": _Window(1, self.chat_period)}
            if chat_id < 0:
                windows["group"] = _Window(self.group_per_minute, 60.0)
            self.chats[chat_id] = windows
        return windows


_POSTING_METHODS = frozenset(
    {f"send{kind.title().replace('_', '')}" for kind in _MEDIA_KINDS}
    | {"sendMessage", "sendMediaGroup", "sendLocation", "sendContact", "copyMessage",
       "forwardMessage"}
)  # fmt: skip


@dataclass
class _CallbackQuery:
    query_id: str
    chat_id: int
    user_id: int
    answered: bool = False
    text: str | None = None
    show_alert: bool = False


@dataclass
class _Rule:
    """A pending fault or delay injected by a test."""

    method: str
    remaining: int
    status: int = 500
    description: str = ""
    retry_after: int | None = None
    seconds: float = 0.0
    chat_id: int | None = None  # only calls about this chat, when set

    def matches(self, method: str, chat_id: int | None = None) -> bool:
        if self.remaining <= 0 or (self.chat_id is not None and self.chat_id != chat_id):
            return False
        if self.method == "*":
            return method.lower() != "getupdates"
        return self.method == method.lower()


Handler = Callable[[dict[str, Any], dict[str, _Upload]], Awaitable[Any]]


class BotApiEmulator:
    """An in-process Telegram Bot API server bound to 127.0.0.1 on a free port.

    Use ``async with BotApiEmulator() as emulator`` (or ``start``/``stop``) and
    point aiogram at it with
    ``AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))``.
    """

    def __init__(
        self,
        bot_id: int = 42,
        bot_username: str = "koldo_test_bot",
        *,
        bot_first_name: str = "Koldo",
        auto_create_chats: bool = True,
        strict_html_ampersand: bool = True,
        bot_can_manage_topics: bool = True,
        reports_handled: bool = False,
    ) -> None:
        """Configure the bot identity and how strict the emulator is.

        ``auto_create_chats``: sending to a chat never seen before creates it
        (a private chat for positive ids, a supergroup for negative ones)
        instead of failing with "chat not found".
        ``strict_html_ampersand``: reject a bare ``&`` in HTML (real Telegram
        shows it literally, but it nearly always means unescaped input).
        ``bot_can_manage_topics``: like an admin bot, may post into closed topics;
        when False such sends fail with TOPIC_CLOSED.
        ``reports_handled``: the bot reports each finished update (see
        ``report_handled_updates``), so ``settle`` can wait for that exact
        signal; it switches on by itself with the first report.
        """
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.auto_create_chats = auto_create_chats
        self.strict_html_ampersand = strict_html_ampersand
        self.bot_can_manage_topics = bot_can_manage_topics
        self.reports_handled = reports_handled

        self.calls: list[ApiCall] = []
        """Every request the bot made, in arrival order, including failed ones."""
        self.unknown_method_calls: list[ApiCall] = []
        """Calls of methods the emulator does not implement (answered with 404)."""
        self.internal_errors: list[str] = []
        """Tracebacks of emulator bugs (answered with 500); tests may assert it is empty."""
        self.updates_acknowledged = 0
        """How many updates the bot confirmed with a getUpdates offset."""
        self.updates_dropped = 0
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # What a person sees before pressing Start, per language code ("" = the default).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        """setMyCommands state keyed by (scope as JSON, language_code)."""
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook_url = ""

        self._calls_by_method: dict[str, list[ApiCall]] = defaultdict(list)
        self._chats: dict[int, _Chat] = {}
        self._activity: dict[int, _Activity] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._queries: dict[str, _CallbackQuery] = {}
        self._faults: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._rate_limits: _RateLimits | None = None
        self.rate_limited: Counter[str] = Counter()
        """Posts refused with 429 by ``limit_rate``, per limit broken: "bot" (bot-wide),
        "chat" or "group"."""

        self._updates: dict[int, _UpdateRecord] = {}
        self._queue: deque[_UpdateRecord] = deque()
        self._next_update_id = 1
        self._updates_changed = asyncio.Event()
        self._acks_changed = asyncio.Event()
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._last_poll_at: float | None = None
        self._busy = 0
        """Calls in progress, long polls excepted: is the bot doing anything at all?"""
        self._last_call_at = 0.0
        self._idle_changed = asyncio.Event()

        self._ids = itertools.count(1)
        self._closed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name in (
            "getMe", "deleteWebhook", "getWebhookInfo", "close", "logOut", "getUpdates",
            "setMyCommands", "deleteMyCommands", "getMyCommands", "setMyDescription",
            "setMyShortDescription", "getMyDescription", "getMyShortDescription",
            "setChatMenuButton", "getChatMenuButton", "sendMessage", "editMessageText",
            "editMessageReplyMarkup",
            "editMessageCaption", "editMessageMedia", "deleteMessage", "deleteMessages",
            "answerCallbackQuery", "sendPhoto", "sendDocument", "sendVoice", "sendAudio",
            "sendVideo", "sendAnimation", "sendVideoNote", "sendSticker", "sendMediaGroup",
            "sendLocation", "sendContact", "sendChatAction", "copyMessage", "forwardMessage",
            "getChat", "getChatMember", "getFile", "createForumTopic", "editForumTopic",
            "closeForumTopic", "reopenForumTopic", "deleteForumTopic",
        ):  # fmt: skip
            self._handlers[name.lower()] = (name, getattr(self, f"_api_{name}"))

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post(r"/emulator/handled/{update_id:\d+}", self._handle_handled_report)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Release waiting long polls and delayed answers, then shut the server down."""
        self._closed.set()
        self._signal_updates()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``TelegramAPIServer.from_base``."""
        if self._port is None:
            raise RuntimeError("BotApiEmulator is not started")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ test controls

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any but getUpdates) fail;
        with ``chat_id``, only calls about that chat.

        The request is rejected before it has any effect.  A 429 gets
        Telegram's "retry after" wording and ``parameters.retry_after``.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: BLOCKED,
                404: "Not Found",
                409: POLL_CONFLICT,
                429: f"Too Many Requests: retry after {retry_after}",
                502: "Bad Gateway",
                504: "Gateway Timeout",
            }.get(status, "Internal Server Error")
        self._faults.append(
            _Rule(
                method.lower(),
                times,
                status,
                description,
                retry_after=retry_after,
                chat_id=chat_id,
            )
        )

    def limit_rate(
        self, *, per_second: int = 30, chat_per_second: float = 1.0, group_per_minute: int = 20
    ) -> None:
        """Enforce Telegram's limits on posting messages from now on, as Telegram does: a
        post beyond them is refused with 429 and ``retry_after`` (whole seconds, at least 1)
        and has no effect. At most ``per_second`` posts bot-wide in any second, one per chat
        in any ``1 / chat_per_second`` seconds, and ``group_per_minute`` into one group in any
        minute. Only posts count (send*, copyMessage, forwardMessage), not edits or answers;
        windows are measured at the moment a call arrives. Refusals are counted in
        ``rate_limited``.
        """
        self._rate_limits = _RateLimits(per_second, chat_per_second, group_per_minute)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the answer of the next ``times`` calls of ``method`` for ``seconds``.

        The call takes effect immediately and only the answer is late, which
        is the nasty case of a timeout: the bot cannot know the message went
        out.  ``"*"`` means any method but getUpdates.
        """
        self._delays.append(_Rule(method.lower(), times, seconds=seconds))

    def calls_of(self, method: str) -> list[ApiCall]:
        """Calls of one method (case-insensitive), oldest first."""
        canonical = self._handlers.get(method.lower(), (method, None))[0]
        return list(self._calls_by_method.get(canonical, ()))

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates and wake a waiting long poll; returns update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        payload = {"update_id": update_id, **{k: v for k, v in update.items() if k != "update_id"}}
        kind = next((k for k in payload if k != "update_id"), "unknown")
        chat_id = _update_chat_id(payload)
        record = _UpdateRecord(update_id, payload, kind, chat_id, time.monotonic())
        self._updates[update_id] = record
        self._queue.append(record)
        if chat_id is not None:
            self._activity_of(chat_id).awaiting_response.append(record)
        self._signal_updates()
        return update_id

    def update_payload(self, update_id: int) -> dict[str, Any]:
        """An update as it was pushed (without its id), e.g. to deliver it once more."""
        payload = self._updates[update_id].payload
        return {key: value for key, value in payload.items() if key != "update_id"}

    @property
    def pending_updates(self) -> int:
        """Updates pushed but not yet acknowledged by the bot."""
        return len(self._queue)

    def response_latencies(self) -> list[float]:
        """Seconds from each push to the bot's first API call about that chat.

        Updates the bot never reacted to are left out.
        """
        return [
            record.responded_at - record.pushed_at
            for record in self._updates.values()
            if record.responded_at is not None
        ]

    async def wait_until(
        self,
        chat_id: int,
        condition: Callable[[], bool],
        timeout: float = 30.0,  # noqa: ASYNC109 - the deadline is part of the assertion message
    ) -> None:
        """Wait until ``condition()`` holds, checking it again whenever a call about the chat
        starts or ends. Unlike ``settle`` it needs no quiet period, so a load test can wait for
        exactly what a person needs to see next without idling."""
        activity = self._activity_of(chat_id)
        deadline = time.monotonic() + timeout
        while True:
            changed = activity.changed  # taken before the check, so no change is missed
            if condition():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"Chat {chat_id} did not reach the expected state within {timeout:g}s.\n"
                    + self.transcript(chat_id)
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def mark_handled(self, update_id: int) -> None:
        """The bot reports it finished handling an update (exact signal for ``settle``)."""
        self.reports_handled = True
        record = self._updates.get(update_id)
        if record is None or record.handled_at is not None:
            return
        record.handled_at = time.monotonic()
        if record.chat_id is not None:
            self._activity_of(record.chat_id).signal()
        self._acks_changed.set()
        self._acks_changed = asyncio.Event()

    async def settle(
        self,
        update_id: int,
        chat_id: int | None = None,
        quiet: float = 0.05,
        timeout: float = 10.0,  # noqa: ASYNC109 - the deadline is part of the assertion message
    ) -> None:
        """Wait until the bot has finished reacting to an update.

        Done means: the update is finished and, since then, no call about the
        chat has been in progress or started for ``quiet`` seconds.
        "Finished" is the bot's own report when it sends them
        (``report_handled_updates``); otherwise the acknowledgement (a
        getUpdates offset past the update).  Counting from the acknowledgement
        covers both aiogram modes, handling inline (the ack follows the
        handler) and as tasks (the ack comes first, the handler runs after),
        as long as the handler's next call comes within ``quiet``.  Without
        reports, an update the bot has not reacted to at all yet also needs
        the whole bot to be idle for ``quiet``: under load a tasks-mode bot's
        calls wait in aiogram's own connection pool, unseen by the server.
        Pauses between a handler's later calls under such load are visible
        only to the reports.  On timeout raises AssertionError with the
        chat's transcript.
        """
        record = self._updates.get(update_id)
        if record is None:
            raise ValueError(f"update {update_id} was never pushed")
        if chat_id is None:
            chat_id = record.chat_id
        activity = self._activity_of(chat_id) if chat_id is not None else None
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise AssertionError(
                    f"The bot did not settle within {timeout:g}s after update {update_id}.\n"
                    + self.transcript(chat_id, update_id=update_id)
                )
            events = [activity.changed if activity is not None else self._acks_changed]
            wait = deadline - now
            finished = record.acked_at
            exact = self.reports_handled and not record.dropped
            if exact:
                finished = record.handled_at
            if finished is not None and (activity is None or activity.in_flight == 0):
                since = finished
                if activity is not None:
                    since = max(since, activity.last_activity)
                bot_busy = False
                if not exact and record.responded_at is None and not record.dropped:
                    events.append(self._idle_changed)
                    bot_busy = self._busy > 0
                    since = max(since, self._last_call_at)
                if not bot_busy:
                    remaining = since + quiet - now
                    if remaining <= 0:
                        return
                    wait = min(wait, remaining)
            await _wait_any(events, wait)

    def transcript(
        self, chat_id: int | None, *, update_id: int | None = None, limit: int = 15
    ) -> str:
        """A readable account of a chat: update state, recent messages, recent calls."""
        now = time.monotonic()
        lines: list[str] = []
        if update_id is not None and (record := self._updates.get(update_id)):
            state = (
                "handled by the bot"
                if record.handled_at is not None
                else "acknowledged"
                if record.acked_at is not None
                else "delivered, not acknowledged"
                if record.delivered_at is not None
                else "never fetched by the bot"
            )
            lines.append(f"Update {update_id} ({record.kind}): {state}.")
        if self._last_poll_at is None:
            lines.append("The bot never called getUpdates: is it polling this emulator?")
        else:
            lines.append(f"Last getUpdates call {now - self._last_poll_at:.2f}s ago.")
        if chat_id is None:
            return "\n".join(lines)
        activity = self._activity_of(chat_id)
        if activity.in_flight:
            lines.append(f"{activity.in_flight} call(s) about chat {chat_id} still in progress.")
        chat = self._chats.get(chat_id)
        lines.append(f"Chat {chat_id} messages (oldest first):")
        if chat is None or not chat.messages:
            lines.append("  (none)")
        else:
            for stored in list(chat.messages.values())[-limit:]:
                lines.append("  " + _describe_message(stored))
            if chat.reply_keyboard:
                rows = [[b["text"] for b in row] for row in chat.reply_keyboard["keyboard"]]
                lines.append(f"  reply keyboard: {rows}")
        lines.append(f"API calls about chat {chat_id} (oldest first):")
        recent = list(activity.recent)[-limit:]
        if recent:
            lines.extend("  " + call.summary() for call in recent)
        else:
            lines.append("  (none)")
        return "\n".join(lines)

    # ------------------------------------------------------------------ state for persons / tests

    def register_user(self, user: dict[str, Any]) -> None:
        """Create (or refresh) the private chat of a user; its chat id is the user id."""
        info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                info[key] = user[key]
        chat = self._chats.get(user["id"])
        if chat is None:
            self._chats[user["id"]] = _Chat(user["id"], info, user=user)
        else:
            chat.info, chat.user = info, user

    def add_chat(
        self,
        chat_id: int,
        *,
        title: str | None = None,
        chat_type: str = "supergroup",
        is_forum: bool = False,
    ) -> None:
        """Declare a group chat up front (otherwise it is created on first use)."""
        chat = self._chat_or_create(chat_id)
        chat.info["type"] = chat_type
        if title is not None:
            chat.info["title"] = title
        if is_forum:
            chat.info["is_forum"] = True

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic with its messages, as an admin doing it by hand."""
        chat = self._chat_or_create(chat_id)
        chat.topics.pop(thread_id, None)
        for message_id in [
            mid
            for mid, stored in chat.messages.items()
            if stored.payload.get("message_thread_id") == thread_id
        ]:
            del chat.messages[message_id]

    def add_forum_topic(
        self, chat_id: int, name: str, *, icon_color: int = _DEFAULT_TOPIC_COLOR
    ) -> int:
        """Create a topic as if by a human admin; returns its message_thread_id."""
        return self._create_topic(self._chat_or_create(chat_id), name, icon_color, None)

    def store_incoming(
        self,
        chat_id: int,
        from_user: dict[str, Any],
        content: dict[str, Any],
        *,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Store a message written by a user and return the full Message object.

        It takes the next message id of the chat, shared with the bot's
        messages as in a real private chat.  If the bot asked for a forced
        reply, the message answers that prompt, as the Telegram app does.
        """
        chat = self._chat_or_create(chat_id)
        message_id = chat.allocate_id()
        payload: dict[str, Any] = {
            "message_id": message_id,
            "from": from_user,
            "chat": chat.info,
            "date": int(time.time()),
        }
        if message_thread_id is not None:
            payload["message_thread_id"] = message_thread_id
            payload["is_topic_message"] = True
        if chat.force_reply_to is not None and "reply_to_message" not in content:
            target = chat.messages.get(chat.force_reply_to)
            if target is not None:
                payload["reply_to_message"] = target.payload
            chat.force_reply_to = None
        payload.update(content)
        raw = content.get("text", content.get("caption"))
        chat.messages[message_id] = _StoredMessage(message_id, payload, False, raw)
        return payload

    def new_callback_query(self, chat_id: int, user_id: int) -> str:
        """Allocate a callback query id the bot must answer once."""
        query_id = str(7_000_000_000_000_000 + next(self._ids))
        self._queries[query_id] = _CallbackQuery(query_id, chat_id, user_id)
        return query_id

    def callback_answers(self, query_ids: list[str]) -> list[_CallbackQuery]:
        """Answered queries among ``query_ids``, in the given order."""
        return [q for qid in query_ids if (q := self._queries.get(qid)) and q.answered]

    def replies_to(self, update_id: int) -> list[ApiCall]:
        """The bot's calls about an update's chat made while it was handling that update
        (from its delivery until the bot reported it done or, without reports, acknowledged
        it), oldest first.

        Exact when the bot handles one update at a time, as the test harness does: aiogram
        then acknowledges an update only after its handlers, error handlers included, ran."""
        record = self._updates[update_id]
        done = record.handled_at if self.reports_handled else record.acked_at
        if record.delivered_at is None or done is None:
            return []
        return [
            call
            for call in self.calls
            if call.chat_id == record.chat_id and record.delivered_at <= call.time <= done
        ]

    def register_file(
        self,
        file_id: str,
        kind: str,
        *,
        file_unique_id: str | None = None,
        data: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> None:
        """Make a file id known (e.g. one a user sent) so getFile and re-sending work."""
        if file_id in self._files:
            return
        number = next(self._ids)
        extension = _FILE_EXTENSIONS.get(kind, "bin")
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=file_unique_id or f"U{number:08d}",
            kind=kind,
            data=data if data is not None else f"emulated {kind} {file_id}".encode(),
            file_path=f"{kind}s/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (what the bot uploaded, or generated bytes)."""
        return self._files[file_id].data

    def is_blocked(self, chat_id: int) -> bool:
        chat = self._chats.get(chat_id)
        return bool(chat and chat.blocked)

    def set_blocked(self, chat_id: int, blocked: bool) -> None:
        """Make every send to this chat fail with 403, as after the user blocked the bot (or,
        for a group, after the bot was removed from it)."""
        self._chat_or_create(chat_id).blocked = blocked

    def change_bot_membership(self, chat_id: int, *, member: bool, by_user_id: int) -> int:
        """Remove the bot from a group (sends then fail with 403) or add it back as an
        administrator, and tell the bot with a `my_chat_member` update, as Telegram does."""
        chat = self._chat_or_create(chat_id)
        chat.blocked = not member
        left = {"status": "left", "user": self.bot_user}
        admin = self._bot_as_admin()
        old, new = (left, admin) if member else (admin, left)
        by = {"id": by_user_id, "is_bot": False, "first_name": f"User {by_user_id}"}
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": dict(chat.info),
                    "from": by,
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    def chat_messages(
        self,
        chat_id: int,
        *,
        include_incoming: bool = False,
        message_thread_id: int | None = None,
    ) -> list[BotMessage]:
        """Visible messages of a chat, oldest first; the bot's only unless asked."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            _snapshot(stored)
            for stored in chat.messages.values()
            if (include_incoming or stored.from_bot)
            and (
                message_thread_id is None
                or stored.payload.get("message_thread_id") == message_thread_id
            )
            and not _is_service(stored.payload)
        ]

    def bot_messages_newest_first(self, chat_id: int) -> Iterator[BotMessage]:
        """The bot's visible messages, newest first, built lazily.

        A lazy walk from the end keeps ``screen()`` cheap in long chats.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        for stored in reversed(list(chat.messages.values())):
            if stored.from_bot and not _is_service(stored.payload):
                yield _snapshot(stored)

    def message_payload(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The stored Message object (current version), or None if deleted/unknown."""
        chat = self._chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat else None
        return stored.payload if stored else None

    def reply_keyboard_of(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard currently shown in a chat (normalised markup), or None."""
        chat = self._chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def hide_reply_keyboard(self, chat_id: int) -> None:
        """What the Telegram app does with a one-time keyboard after a press."""
        chat = self._chats.get(chat_id)
        if chat is not None:
            chat.reply_keyboard = None

    def topics(self, chat_id: int) -> list[ForumTopic]:
        """Forum topics of a chat that have not been deleted."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            ForumTopic(t.thread_id, t.name, t.icon_color, t.icon_custom_emoji_id, t.closed)
            for t in chat.topics.values()
        ]

    def chat_info(self, chat_id: int) -> dict[str, Any] | None:
        chat = self._chats.get(chat_id)
        return dict(chat.info) if chat else None

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_method(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        raw_method = request.match_info["method"]
        known = self._handlers.get(raw_method.lower())
        method = known[0] if known else raw_method
        files: dict[str, _Upload] = {}
        try:
            params, files = await _read_params(request)
        except ValueError as exc:
            params = {}
            parse_error: ApiError | None = _bad(str(exc))
        else:
            parse_error = None
        chat_id = self._chat_id_of_call(method, params)
        call = ApiCall(method, params, started, chat_id)
        self.calls.append(call)
        self._calls_by_method[method].append(call)
        activity = self._activity_of(chat_id) if chat_id is not None else None
        long_poll = method == "getUpdates"
        if not long_poll:
            self._busy += 1
            self._last_call_at = started
        if activity is not None:
            activity.in_flight += 1
            activity.recent.append(call)
            self._note_activity(activity, started, first_contact=True)
        delay = self._take_rule(self._delays, method)
        try:
            try:
                if parse_error is not None:
                    raise parse_error
                if known is None:
                    self.unknown_method_calls.append(call)
                    raise ApiError(404, "Not Found: method not found")
                fault = self._take_rule(self._faults, method, chat_id)
                if fault is not None:
                    extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                    raise ApiError(fault.status, fault.description, extra)
                self._check_rate(method, chat_id, started)
                result = await known[1](params, files)
                status, body = 200, {"ok": True, "result": result}
                call.result = result
            except ApiError as err:
                status = err.status
                body = {"ok": False, "error_code": err.status, "description": err.description}
                if err.parameters:
                    body["parameters"] = err.parameters
                call.description = err.description
            except Exception:
                text = traceback.format_exc()
                self.internal_errors.append(text)
                logger.error("emulator bug while handling %s:\n%s", method, text)
                status = 500
                body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                call.description = "emulator bug: see emulator.internal_errors"
            if delay is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), delay.seconds)
            call.status = status
            return web.Response(
                text=json.dumps(body, ensure_ascii=False),
                status=status,
                content_type="application/json",
            )
        finally:
            call.finished = time.monotonic()
            if call.status == 0:
                call.status = 499  # the client went away before the answer was ready
            if activity is not None:
                activity.in_flight -= 1
                self._note_activity(activity, call.finished, first_contact=False)
            if not long_poll:
                self._busy -= 1
                self._last_call_at = call.finished
                if self._busy == 0:
                    self._idle_changed.set()
                    self._idle_changed = asyncio.Event()

    def _check_rate(self, method: str, chat_id: int | None, now: float) -> None:
        limits = self._rate_limits
        if limits is None or not limits.counts(method):
            return
        wait, broken = limits.admit(chat_id, now)
        if wait > 0:
            self.rate_limited[broken] += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    async def _handle_handled_report(self, request: web.Request) -> web.Response:
        """HTTP form of ``mark_handled`` for a bot running in another process."""
        self.mark_handled(int(request.match_info["update_id"]))
        return web.json_response({"ok": True, "result": True})

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404)
        mime_type = (stored.mime_type or "application/octet-stream").split(";")[0].strip()
        return web.Response(body=stored.data, content_type=mime_type)

    def _take_rule(
        self, rules: list[_Rule], method: str, chat_id: int | None = None
    ) -> _Rule | None:
        for rule in rules:
            if rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
                return rule
        return None

    def _chat_id_of_call(self, method: str, params: dict[str, Any]) -> int | None:
        if method == "answerCallbackQuery":
            query = self._queries.get(str(params.get("callback_query_id")))
            return query.chat_id if query else None
        return _as_chat_id(params.get("chat_id"))

    def _activity_of(self, chat_id: int) -> _Activity:
        activity = self._activity.get(chat_id)
        if activity is None:
            activity = self._activity[chat_id] = _Activity()
        return activity

    def _note_activity(self, activity: _Activity, now: float, *, first_contact: bool) -> None:
        activity.last_activity = now
        if first_contact:
            while activity.awaiting_response:
                activity.awaiting_response.popleft().responded_at = now
        activity.signal()

    def _signal_updates(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    # ------------------------------------------------------------------ chats & helpers

    def _chat_or_create(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                info = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
                user = {"id": chat_id, "is_bot": False, "first_name": f"User {chat_id}"}
                chat = _Chat(chat_id, info, user=user)
            else:
                chat = _Chat(
                    chat_id, {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
                )
            self._chats[chat_id] = chat
        return chat

    def _resolve_chat(self, value: Any) -> _Chat:
        if value is None or value == "":
            raise _bad("chat_id is empty")
        chat_id: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            chat_id = value
        elif isinstance(value, str):
            if re.fullmatch(r"-?\d+", value):
                chat_id = int(value)
            else:
                wanted = value.removeprefix("@").lower()
                for chat in self._chats.values():
                    if str(chat.info.get("username", "")).lower() == wanted:
                        return chat
        if chat_id is None:
            raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if not self.auto_create_chats:
                raise _bad("chat not found")
            chat = self._chat_or_create(chat_id)
        return chat

    def _format(
        self,
        raw: Any,
        parse_mode: Any,
        entities: Any,
        *,
        caption: bool,
    ) -> ParsedText | None:
        """Turn text/caption parameters into what the reader sees, validating like Telegram."""
        if raw is None or raw == "":
            if caption:
                return None
            raise _bad("message text is empty")
        raw = str(raw)
        if isinstance(entities, list):
            parsed = ParsedText(raw, [dict(e) for e in entities if isinstance(e, dict)])
        elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                parsed = parse_html(raw, strict_ampersand=self.strict_html_ampersand)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from exc
        else:
            parsed = ParsedText(raw, [])
        parsed = normalize_text(parsed)
        if not parsed.text:
            if caption:
                return None
            raise _bad("message text is empty")
        if caption and len(parsed.text) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        if not caption and len(parsed.text) > TEXT_LIMIT:
            raise _bad("message is too long")
        return parsed

    def _markup(self, value: Any) -> tuple[str | None, dict[str, Any] | None]:
        """Validate reply_markup; returns its kind and a normalised copy."""
        if value is None or value == "":
            return None, None
        if not isinstance(value, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in value:
            rows = value["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            clean_rows: list[list[dict[str, Any]]] = []
            for row in rows:
                clean_row = []
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad("BUTTON_TEXT_INVALID")
                    actions = [k for k in button if k != "text"]
                    if not actions:
                        raise _bad("text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        size = len(str(button["callback_data"]).encode("utf-8"))
                        if not 1 <= size <= CALLBACK_DATA_LIMIT:
                            raise _bad("BUTTON_DATA_INVALID")
                    clean_row.append(dict(button))
                if clean_row:
                    clean_rows.append(clean_row)
            if not clean_rows:
                return "inline", None
            return "inline", {"inline_keyboard": clean_rows}
        if "keyboard" in value:
            rows = value["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            keyboard = [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows
            ]
            if any(not b.get("text") for row in keyboard for b in row):
                raise _bad("BUTTON_TEXT_INVALID")
            normalised = {k: v for k, v in value.items() if k != "keyboard"}
            normalised["keyboard"] = [row for row in keyboard if row]
            return "reply", normalised
        if value.get("remove_keyboard"):
            return "remove", dict(value)
        if value.get("force_reply"):
            return "force_reply", dict(value)
        raise _bad("can't parse reply keyboard markup JSON object")

    def _thread_of(self, chat: _Chat, params: dict[str, Any]) -> int | None:
        thread_id = params.get("message_thread_id")
        if thread_id in (None, "", 0):
            return None
        if not isinstance(thread_id, int):
            raise _bad("message thread not found")
        if chat.info["type"] == "private":
            return thread_id
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise _bad("message thread not found")
        if topic.closed and not self.bot_can_manage_topics:
            raise _bad("TOPIC_CLOSED")
        return thread_id

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
            if reply.get("chat_id") not in (None, chat.chat_id):
                return None
        else:
            message_id = params.get("reply_to_message_id")
            lenient = bool(params.get("allow_sending_without_reply"))
        if not message_id:
            return None
        target = chat.messages.get(message_id)
        if target is None:
            if lenient:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in target.payload.items() if k != "reply_to_message"}

    def _new_bot_message(
        self,
        chat: _Chat,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        raw_text: str | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a bot message after all validation passed and apply keyboard state."""
        kind, markup = self._markup(params.get("reply_markup"))
        thread_id = self._thread_of(chat, params)
        reply_to = self._reply_target(chat, params)
        if chat.blocked:
            raise ApiError(403, BLOCKED if chat.info["type"] == "private" else KICKED)
        message_id = chat.allocate_id()
        payload: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": chat.info,
            "date": int(time.time()),
        }
        if thread_id is not None:
            payload["message_thread_id"] = thread_id
            if chat.info.get("is_forum"):
                payload["is_topic_message"] = True
        if reply_to is not None:
            payload["reply_to_message"] = reply_to
        if params.get("protect_content"):
            payload["has_protected_content"] = True
        payload.update(content)
        if extra:
            payload.update(extra)
        inline = markup if kind == "inline" else None
        if inline is not None:
            payload["reply_markup"] = inline
        chat.messages[message_id] = _StoredMessage(message_id, payload, True, raw_text, inline)
        if kind == "reply":
            chat.reply_keyboard = markup
        elif kind == "remove":
            chat.reply_keyboard = None
        elif kind == "force_reply":
            chat.force_reply_to = message_id
        return payload

    def _text_content(self, parsed: ParsedText | None, *, caption: bool) -> dict[str, Any]:
        if parsed is None:
            return {}
        key, entities_key = ("caption", "caption_entities") if caption else ("text", "entities")
        content: dict[str, Any] = {key: parsed.text}
        if parsed.entities:
            content[entities_key] = parsed.entities
        return content

    def _message_for_edit(self, params: dict[str, Any]) -> tuple[_Chat, _StoredMessage]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params.get("chat_id"))
        stored = chat.messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if stored is None or _is_service(stored.payload):
            raise _bad("message to edit not found")
        if not stored.from_bot:
            raise _bad("message can't be edited")
        return chat, stored

    def _replace(
        self,
        chat: _Chat,
        stored: _StoredMessage,
        content: dict[str, Any],
        drop: tuple[str, ...],
        inline: dict[str, Any] | None,
        raw_text: str | None,
    ) -> dict[str, Any]:
        payload = {k: v for k, v in stored.payload.items() if k not in drop and k != "reply_markup"}
        payload.update(content)
        payload["edit_date"] = int(time.time())
        if inline is not None:
            payload["reply_markup"] = inline
        chat.messages[stored.message_id] = _StoredMessage(
            stored.message_id, payload, True, raw_text, inline, edited=True
        )
        return payload

    def _input_file(self, value: Any, files: dict[str, _Upload], kind: str) -> _StoredFile:
        """Resolve an InputFile parameter: upload, attach://name, URL or known file_id."""
        upload: _Upload | None = value if isinstance(value, _Upload) else None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad("wrong file identifier/HTTP URL specified")
        if upload is not None:
            file_id = f"EMU{kind[:3].upper()}{next(self._ids):08d}"
            self.register_file(
                file_id,
                kind,
                data=upload.data,
                file_name=upload.filename,
                mime_type=(upload.content_type or "").split(";")[0].strip() or None,
            )
            return self._files[file_id]
        if not isinstance(value, str) or not value:
            raise _bad(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            file_id = f"EMU{kind[:3].upper()}{next(self._ids):08d}"
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            self.register_file(file_id, kind, data=f"downloaded {value}".encode(), file_name=name)
            return self._files[file_id]
        stored = self._files.get(value)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        return stored

    def _media_content(
        self, kind: str, stored: _StoredFile, params: dict[str, Any]
    ) -> dict[str, Any]:
        base = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        duration = params.get("duration")
        duration = duration if isinstance(duration, int) else 3
        width, height = _FAKE_SIZES.get(kind, (512, 512))
        if kind == "photo":
            thumb_id = f"{stored.file_id}_s"
            self.register_file(thumb_id, "photo", data=stored.data[:1024])
            thumb = self._files[thumb_id]
            small = {
                "file_id": thumb_id,
                "file_unique_id": thumb.file_unique_id,
                "file_size": len(thumb.data),
                "width": 90,
                "height": 68,
            }
            return {"photo": [small, {**base, "width": width, "height": height}]}
        if kind == "document":
            return {
                "document": {
                    **base,
                    "file_name": stored.file_name or "document.bin",
                    "mime_type": stored.mime_type or "application/octet-stream",
                }
            }
        if kind == "voice":
            return {"voice": {**base, "duration": duration, "mime_type": "audio/ogg"}}
        if kind == "audio":
            audio = {**base, "duration": duration, "mime_type": stored.mime_type or "audio/mpeg"}
            if stored.file_name:
                audio["file_name"] = stored.file_name
            return {"audio": audio}
        if kind in ("video", "animation"):
            return {kind: {**base, "width": width, "height": height, "duration": duration}}
        if kind == "video_note":
            return {"video_note": {**base, "length": 240, "duration": duration}}
        return {
            "sticker": {
                **base,
                "type": "regular",
                "width": width,
                "height": height,
                "is_animated": False,
                "is_video": False,
            }
        }

    def _create_topic(self, chat: _Chat, name: str, icon_color: int, emoji_id: str | None) -> int:
        if chat.info["type"] == "private":
            raise _bad("the chat is not a forum")
        chat.info["is_forum"] = True
        thread_id = chat.allocate_id()
        chat.topics[thread_id] = _Topic(thread_id, name, icon_color, emoji_id)
        created: dict[str, Any] = {"name": name, "icon_color": icon_color}
        if emoji_id:
            created["icon_custom_emoji_id"] = emoji_id
        payload = {
            "message_id": thread_id,
            "from": self.bot_user,
            "chat": chat.info,
            "date": int(time.time()),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": created,
        }
        chat.messages[thread_id] = _StoredMessage(thread_id, payload, True)
        return thread_id

    def _topic_of(self, params: dict[str, Any]) -> tuple[_Chat, _Topic]:
        chat = self._resolve_chat(params.get("chat_id"))
        topic = chat.topics.get(params.get("message_thread_id"))  # type: ignore[arg-type]
        if topic is None:
            raise _bad("TOPIC_ID_INVALID")
        return chat, topic

    # ------------------------------------------------------------------ updates

    def _acknowledge(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset <= 0:
            return
        now = time.monotonic()
        while self._queue and self._queue[0].update_id < offset:
            self._mark_acked(self._queue.popleft(), now)
            self.updates_acknowledged += 1

    def _mark_acked(self, record: _UpdateRecord, now: float) -> None:
        record.acked_at = now
        if record.chat_id is not None:
            self._activity_of(record.chat_id).signal()
        self._acks_changed.set()
        self._acks_changed = asyncio.Event()

    def _allowed(self, record: _UpdateRecord) -> bool:
        allowed = self._allowed_updates
        if allowed is None:
            return record.kind not in _NOT_DEFAULT_UPDATES
        return record.kind in allowed

    def _collect(self, limit: int) -> list[dict[str, Any]]:
        now = time.monotonic()
        while self._queue and not self._allowed(self._queue[0]):
            record = self._queue.popleft()
            record.dropped = True
            self._mark_acked(record, now)
            self.updates_dropped += 1
        batch: list[_UpdateRecord] = []
        for record in self._queue:
            if self._allowed(record):
                batch.append(record)
                if len(batch) >= limit:
                    break
        for record in batch:
            if record.delivered_at is None:
                record.delivered_at = now
        if batch:
            self._last_call_at = now  # handing out work counts as the bot being busy
        return [record.payload for record in batch]

    # ------------------------------------------------------------------ Bot API methods
    # Each takes (params, uploaded files) and returns the "result" or raises ApiError.

    async def _api_getMe(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_deleteWebhook(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        self.webhook_url = ""
        if p.get("drop_pending_updates"):
            now = time.monotonic()
            while self._queue:
                record = self._queue.popleft()
                record.dropped = True
                self._mark_acked(record, now)
                self.updates_dropped += 1
        return True

    async def _api_getWebhookInfo(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    async def _api_close(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return True

    async def _api_logOut(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return True

    async def _api_getUpdates(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        self._last_poll_at = time.monotonic()
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal_updates()  # a previous long poll still waiting is now superseded
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            if allowed:
                self._allowed_updates = frozenset(str(a) for a in allowed)
            else:
                self._allowed_updates = None
        self._acknowledge(p.get("offset"))
        limit = p.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = p.get("timeout")
        timeout = float(timeout) if isinstance(timeout, int | float) else 0.0
        deadline = time.monotonic() + timeout
        while True:
            batch = self._collect(limit)
            if batch or self._closed.is_set():
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)

    async def _api_setMyCommands(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("commands is empty" if not commands else "too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _api_deleteMyCommands(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        self.commands.pop(_scope_key(p), None)
        return True

    async def _api_getMyCommands(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return self.commands.get(_scope_key(p), [])

    async def _api_setMyDescription(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return _set_description(self.descriptions, p, "description", 512)

    async def _api_setMyShortDescription(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return _set_description(self.short_descriptions, p, "short_description", 120)

    async def _api_getMyDescription(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return {"description": self.descriptions.get(p.get("language_code") or "", "")}

    async def _api_getMyShortDescription(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        text = self.short_descriptions.get(p.get("language_code") or "", "")
        return {"short_description": text}

    async def _api_setChatMenuButton(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        button = p.get("menu_button")
        chat_id = self._chat_id_of_call("setChatMenuButton", p)
        self.menu_buttons[chat_id] = button if isinstance(button, dict) else {"type": "default"}
        return True

    async def _api_getChatMenuButton(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat_id = self._chat_id_of_call("getChatMenuButton", p)
        return self.menu_buttons.get(chat_id, self.menu_buttons.get(None, {"type": "commands"}))

    async def _api_sendMessage(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        parsed = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
        content = self._text_content(parsed, caption=False)
        return self._new_bot_message(chat, p, content, raw_text=p.get("text"))

    async def _send_media(self, kind: str, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        parsed = None
        if kind in _CAPTIONED:
            parsed = self._format(
                p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
        self._markup(p.get("reply_markup"))  # validate before storing the file
        stored = self._input_file(f.get(kind, p.get(kind)), f, kind)
        content = self._media_content(kind, stored, p)
        content.update(self._text_content(parsed, caption=True))
        raw = p.get("caption") if parsed is not None else None
        return self._new_bot_message(chat, p, content, raw_text=raw)

    async def _api_sendPhoto(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("photo", p, f)

    async def _api_sendDocument(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("document", p, f)

    async def _api_sendVoice(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("voice", p, f)

    async def _api_sendAudio(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("audio", p, f)

    async def _api_sendVideo(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("video", p, f)

    async def _api_sendAnimation(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("animation", p, f)

    async def _api_sendVideoNote(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("video_note", p, f)

    async def _api_sendSticker(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        return await self._send_media("sticker", p, f)

    async def _api_sendMediaGroup(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        media = p.get("media")
        if not isinstance(media, list) or not media:
            raise _bad("media is empty")
        if len(media) > 10:
            raise _bad("too many messages to send as an album")
        prepared = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise _bad("can't parse InputMedia JSON object")
            parsed = self._format(
                item.get("caption"),
                item.get("parse_mode"),
                item.get("caption_entities"),
                caption=True,
            )
            prepared.append((kind, item, parsed))
        group_id = str(10_000_000_000_000_000 + next(self._ids))
        messages = []
        for kind, item, parsed in prepared:
            stored = self._input_file(item.get("media"), f, kind)
            content = self._media_content(kind, stored, item)
            content.update(self._text_content(parsed, caption=True))
            no_markup = {k: v for k, v in p.items() if k != "reply_markup"}
            messages.append(
                self._new_bot_message(
                    chat,
                    no_markup,
                    content,
                    raw_text=item.get("caption"),
                    extra={"media_group_id": group_id},
                )
            )
        return messages

    async def _api_sendLocation(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        latitude, longitude = p.get("latitude"), p.get("longitude")
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
            raise _bad("wrong latitude or longitude")
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return self._new_bot_message(chat, p, {"location": location}, raw_text=None)

    async def _api_sendContact(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        if not p.get("phone_number") or not p.get("first_name"):
            raise _bad(
                "phone_number is empty" if not p.get("phone_number") else "first_name is empty"
            )
        contact = {"phone_number": p["phone_number"], "first_name": p["first_name"]}
        if p.get("last_name"):
            contact["last_name"] = p["last_name"]
        return self._new_bot_message(chat, p, {"contact": contact}, raw_text=None)

    async def _api_sendChatAction(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        if chat.blocked:
            raise ApiError(403, BLOCKED if chat.info["type"] == "private" else KICKED)
        return True

    async def _api_editMessageText(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat, stored = self._message_for_edit(p)
        if "text" not in stored.payload:
            raise _bad("there is no text in the message to edit")
        parsed = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False)
        assert parsed is not None
        kind, markup = self._markup(p.get("reply_markup"))
        inline = markup if kind == "inline" else None
        if (
            parsed.text == stored.payload["text"]
            and parsed.entities == stored.payload.get("entities", [])
            and inline == stored.inline_markup
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        content = self._text_content(parsed, caption=False)
        return self._replace(chat, stored, content, ("text", "entities"), inline, p.get("text"))

    async def _api_editMessageCaption(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat, stored = self._message_for_edit(p)
        if not _CAPTIONED.intersection(stored.payload):
            raise _bad("there is no caption in the message to edit")
        parsed = self._format(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        kind, markup = self._markup(p.get("reply_markup"))
        inline = markup if kind == "inline" else None
        new_text = parsed.text if parsed else None
        new_entities = parsed.entities if parsed else []
        if (
            new_text == stored.payload.get("caption")
            and new_entities == stored.payload.get("caption_entities", [])
            and inline == stored.inline_markup
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        content = self._text_content(parsed, caption=True)
        raw = p.get("caption") if parsed else None
        return self._replace(chat, stored, content, ("caption", "caption_entities"), inline, raw)

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat, stored = self._message_for_edit(p)
        kind, markup = self._markup(p.get("reply_markup"))
        inline = markup if kind == "inline" else None
        if inline == stored.inline_markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._replace(chat, stored, {}, (), inline, stored.raw_text)

    async def _api_editMessageMedia(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat, stored = self._message_for_edit(p)
        if not _CAPTIONED.intersection(stored.payload):
            raise _bad("there is no media in the message to edit")
        media = p.get("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if kind not in _CAPTIONED:
            raise _bad("can't parse InputMedia JSON object")
        assert isinstance(media, dict)
        parsed = self._format(
            media.get("caption"),
            media.get("parse_mode"),
            media.get("caption_entities"),
            caption=True,
        )
        mkind, markup = self._markup(p.get("reply_markup"))
        inline = markup if mkind == "inline" else None
        new_file = self._input_file(media.get("media"), f, kind)
        current = stored.payload.get(kind)
        current_id = (current[-1] if isinstance(current, list) else current or {}).get("file_id")
        if (
            current_id == new_file.file_id
            and (parsed.text if parsed else None) == stored.payload.get("caption")
            and inline == stored.inline_markup
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        content = self._media_content(kind, new_file, media)
        content.update(self._text_content(parsed, caption=True))
        drop = (*_MEDIA_KINDS, "caption", "caption_entities")
        raw = media.get("caption") if parsed else None
        return self._replace(chat, stored, content, drop, inline, raw)

    async def _api_deleteMessage(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.messages.pop(p.get("message_id"), None) is None:  # type: ignore[arg-type]
            raise _bad("message to delete not found")
        return True

    async def _api_deleteMessages(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must be a non-empty list of at most 100 identifiers")
        for message_id in ids:
            chat.messages.pop(message_id, None)
        return True

    async def _api_answerCallbackQuery(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        query = self._queries.get(str(p.get("callback_query_id")))
        if query is None or query.answered:
            raise ApiError(400, QUERY_INVALID)
        query.answered = True
        query.text = p.get("text") or None
        query.show_alert = bool(p.get("show_alert"))
        return True

    async def _api_copyMessage(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        source = self._source_message(p, "copy")
        chat = self._resolve_chat(p.get("chat_id"))
        content = {k: source.payload[k] for k in _COPYABLE if k in source.payload}
        if not content:
            raise _bad("message can't be copied")
        raw = source.raw_text
        if "caption" in p and _CAPTIONED.intersection(content):
            parsed = self._format(
                p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._text_content(parsed, caption=True))
            raw = p.get("caption")
        payload = self._new_bot_message(chat, p, content, raw_text=raw)
        return {"message_id": payload["message_id"]}

    async def _api_forwardMessage(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        source = self._source_message(p, "forward")
        chat = self._resolve_chat(p.get("chat_id"))
        content = {k: source.payload[k] for k in _COPYABLE if k in source.payload}
        if not content:
            raise _bad("message can't be forwarded")
        origin = {
            "type": "user",
            "sender_user": source.payload.get("from", self.bot_user),
            "date": source.payload["date"],
        }
        no_markup = {k: v for k, v in p.items() if k != "reply_markup"}
        return self._new_bot_message(
            chat, no_markup, content, raw_text=source.raw_text, extra={"forward_origin": origin}
        )

    def _source_message(self, p: dict[str, Any], verb: str) -> _StoredMessage:
        source_id = _as_chat_id(p.get("from_chat_id"))
        source_chat = self._chats.get(source_id) if source_id is not None else None
        stored = None
        if source_chat is not None and isinstance(p.get("message_id"), int):
            stored = source_chat.messages.get(p["message_id"])
        if stored is None:
            raise _bad(f"message to {verb} not found")
        return stored

    async def _api_getChat(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _bot_as_admin(self) -> dict[str, Any]:
        """The bot as a ChatMemberAdministrator (the rights Koldo needs in the staff group)."""
        rights = {
            "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
            "can_delete_messages": True, "can_manage_video_chats": True,
            "can_restrict_members": True, "can_promote_members": False,
            "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
            "can_edit_stories": False, "can_delete_stories": False,
            "can_send_welcome_messages": False, "can_pin_messages": True,
            "can_manage_topics": self.bot_can_manage_topics,
        }  # fmt: skip
        return {"status": "administrator", "user": self.bot_user, **rights}

    async def _api_getChatMember(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        user_id = p.get("user_id")
        if user_id == self.bot_id:
            return self._bot_as_admin()
        if not isinstance(user_id, int):
            raise _bad("user not found")
        private = self._chats.get(user_id)
        user = private.user if private is not None and private.user is not None else None
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        status = "kicked" if chat.user is not None and chat.blocked else "member"
        if status == "kicked":
            return {"status": status, "user": user, "until_date": 0}
        return {"status": status, "user": user}

    async def _api_getFile(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        stored = self._files.get(str(p.get("file_id")))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _api_createForumTopic(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.blocked:
            raise ApiError(403, KICKED)
        if not chat.info.get("is_forum"):
            raise _bad("the chat is not a forum")
        name = p.get("name")
        if not name:
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(str(name)) > 128:
            raise _bad("TOPIC_TITLE_TOO_LONG")
        color = p.get("icon_color")
        color = color if isinstance(color, int) and color else _DEFAULT_TOPIC_COLOR
        emoji_id = p.get("icon_custom_emoji_id") or None
        thread_id = self._create_topic(chat, str(name), color, emoji_id)
        result: dict[str, Any] = {"message_thread_id": thread_id, "name": name, "icon_color": color}
        if emoji_id:
            result["icon_custom_emoji_id"] = emoji_id
        return result

    async def _api_editForumTopic(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        _chat, topic = self._topic_of(p)
        name = p.get("name") or topic.name
        emoji_id = p.get("icon_custom_emoji_id", topic.icon_custom_emoji_id) or None
        if name == topic.name and emoji_id == topic.icon_custom_emoji_id:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.name, topic.icon_custom_emoji_id = str(name), emoji_id
        return True

    async def _api_closeForumTopic(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        _chat, topic = self._topic_of(p)
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    async def _api_reopenForumTopic(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        _chat, topic = self._topic_of(p)
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    async def _api_deleteForumTopic(self, p: dict[str, Any], f: dict[str, _Upload]) -> Any:
        chat, topic = self._topic_of(p)
        self.delete_topic(chat.chat_id, topic.thread_id)
        return True


# ---------------------------------------------------------------------- module helpers


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Collect parameters from the query string and a urlencoded, multipart or JSON body."""
    params: dict[str, Any] = {key: _coerce(key, value) for key, value in request.query.items()}
    files: dict[str, _Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise ValueError("can't parse JSON request body") from exc
        if not isinstance(body, dict):
            raise ValueError("request body must be a JSON object")
        for key, value in body.items():
            params[key] = _coerce(key, value) if isinstance(value, str) else value
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = _Upload(value.filename, value.content_type, value.file.read())
        else:
            params[key] = _coerce(key, str(value))
    return params, files


def _coerce(key: str, value: str) -> Any:
    """Form values are strings; aiogram JSON-encodes ints, bools and nested objects."""
    if key in _STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if key in _JSON_PARAMS or not isinstance(decoded, str):
        return decoded
    return value


def _set_description(store: dict[str, str], p: dict[str, Any], field: str, limit: int) -> bool:
    """setMyDescription / setMyShortDescription: at most `limit` characters; empty removes."""
    text = str(p.get(field) or "")
    if len(text) > limit:
        raise _bad(f"{field.upper()}_INVALID")
    language = str(p.get("language_code") or "")
    if text:
        store[language] = text
    else:
        store.pop(language, None)
    return True


def _update_chat_id(update: dict[str, Any]) -> int | None:
    """The chat an update is about, for settle and latency bookkeeping."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if not isinstance(chat, dict) and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            return int(user["id"])
    return None


def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") if isinstance(params.get("scope"), dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _is_service(payload: dict[str, Any]) -> bool:
    return "forum_topic_created" in payload


def _media_kind(payload: dict[str, Any]) -> str | None:
    return next((kind for kind in _MEDIA_KINDS if kind in payload), None) or next(
        (kind for kind in ("location", "contact") if kind in payload), None
    )


def _snapshot(stored: _StoredMessage) -> BotMessage:
    payload = stored.payload
    rows = (stored.inline_markup or {}).get("inline_keyboard", [])
    inline = [
        [
            InlineButton(
                text=b["text"],
                callback_data=b.get("callback_data"),
                url=b.get("url"),
                kind=next((k for k in b if k != "text"), "callback_data"),
            )
            for b in row
        ]
        for row in rows
    ]
    return BotMessage(
        message_id=stored.message_id,
        text=payload.get("text", payload.get("caption", "")),
        raw_text=stored.raw_text,
        buttons=[[b.text for b in row] for row in inline],
        button_data=[[b.callback_data or b.url for b in row] for row in inline],
        inline_buttons=inline,
        entities=list(payload.get("entities", payload.get("caption_entities", []))),
        media=_media_kind(payload),
        message_thread_id=payload.get("message_thread_id"),
        from_bot=stored.from_bot,
        edited=stored.edited,
        payload=payload,
    )


def _describe_message(stored: _StoredMessage) -> str:
    payload = stored.payload
    who = "bot" if stored.from_bot else payload.get("from", {}).get("first_name", "user")
    kind = _media_kind(payload)
    body = payload.get("text", payload.get("caption", ""))
    if kind:
        body = f"[{kind}] {body}".rstrip()
    if _is_service(payload):
        body = f"[topic created: {payload['forum_topic_created']['name']}]"
    line = f"#{stored.message_id} {who}: {body!r}"
    rows = (stored.inline_markup or {}).get("inline_keyboard", [])
    if rows:
        line += f" buttons={[[b['text'] for b in row] for row in rows]}"
    if stored.edited:
        line += " (edited)"
    return line


async def _wait_any(events: list[asyncio.Event], seconds: float) -> None:
    """Wait until one of the events is set or ``seconds`` pass."""
    if len(events) == 1:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(events[0].wait(), seconds)
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _as_chat_id(value: Any) -> int | None:
    """A numeric chat id from an int or a numeric string; None for "@username" and junk."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None
