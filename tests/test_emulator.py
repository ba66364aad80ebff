"""Tests of the Bot API emulator itself, through a real aiogram Bot over HTTP.

The end-to-end tests of Koldo trust the emulator to behave like Telegram, so
these tests check that aiogram can talk to it unchanged, that Telegram's
errors surface as the same aiogram exceptions, and that the simulated person
sees what a real one would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tests.emulator import Alert, BotApiEmulator, SimulatedPerson, report_handled_updates
from tests.emulator.telegram_html import EntityParseError, parse_html

TOKEN = "42:EMULATOR-TEST-TOKEN"
GROUP_ID = -1001234567890


class _FastCloseSession(AiohttpSession):
    """aiogram sleeps 250 ms on close to let TLS connections drain; plain HTTP needs none."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        yield emu
        assert emu.internal_errors == []


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    session = _FastCloseSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    await bot.session.close()


@pytest.fixture
def person(emulator: BotApiEmulator) -> SimulatedPerson:
    return SimulatedPerson(emulator, 1001)


def _more_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ещё", callback_data="more")]]
    )


def _echo_router(seen: list[Message]) -> Router:
    """A tiny bot: echo with an inline button, a contact request, a slow command."""
    router = Router()

    @router.message(Command("phone"))
    async def ask_phone(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text="📱 Отправить номер", request_contact=True)],
                [KeyboardButton(text="Отмена")],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.answer("Поделитесь номером", reply_markup=keyboard)

    @router.message(Command("two"))
    async def two_messages(message: Message) -> None:
        await message.answer("первое")
        await message.answer("второе")

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.15)  # thinks longer than settle's quiet window
        await message.answer("готово")

    @router.message(F.contact)
    async def got_contact(message: Message) -> None:
        seen.append(message)
        assert message.contact is not None
        await message.answer(
            f"Телефон: {message.contact.phone_number}", reply_markup=ReplyKeyboardRemove()
        )

    @router.message(F.text)
    async def echo(message: Message) -> None:
        seen.append(message)
        await message.answer(
            f"Эхо: <b>{html.quote(message.text or '')}</b>", reply_markup=_more_keyboard()
        )

    @router.callback_query(F.data == "more")
    async def more(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Нажато")
        await query.answer("Готово")

    return router


@asynccontextmanager
async def polling(
    emulator: BotApiEmulator,
    bot: Bot,
    *,
    handle_as_tasks: bool = True,
    report_to: BotApiEmulator | str | None = None,
) -> AsyncIterator[list[Message]]:
    """Run the echo bot's long polling for the duration of the block."""
    seen: list[Message] = []
    dispatcher = Dispatcher()
    dispatcher.include_router(_echo_router(seen))
    reporter = report_handled_updates(dispatcher, report_to) if report_to else None
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, handle_as_tasks=handle_as_tasks
        )
    )
    deadline = time.monotonic() + 5
    while not emulator.calls_of("getUpdates"):
        assert time.monotonic() < deadline, "the dispatcher never polled"
        assert not task.done(), task
        await asyncio.sleep(0.005)
    try:
        yield seen
    finally:
        await dispatcher.stop_polling()
        await task
        if reporter is not None:
            await reporter.close()


# ---------------------------------------------------------------------- raw Bot API


async def test_get_me_and_send_message(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson
) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (42, "koldo_test_bot", True)

    first = await bot.send_message(person.chat_id, "Привет")
    second = await bot.send_message(person.chat_id, "Как дела?")
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == person.chat_id
    assert first.chat.type == "private"
    assert first.chat.first_name == "Айгуль"
    assert first.from_user is not None and first.from_user.is_bot
    assert person.texts() == ["Привет", "Как дела?"]

    call = emulator.calls_of("sendMessage")[0]
    assert (call.status, call.chat_id, call.params["text"]) == (200, person.chat_id, "Привет")
    assert call.params["parse_mode"] == "HTML"


async def test_html_is_validated_like_telegram(bot: Bot, person: SimulatedPerson) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(person.chat_id, "ok <script>alert(1)</script>")
    assert error.value.message == (
        'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 3'
    )
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(person.chat_id, "мне 10 < 12")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(person.chat_id, "<b>жирный")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unmatched end tag"):
        await bot.send_message(person.chat_id, "<b>x</i>")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(person.chat_id, "Tom & Jerry")
    assert person.messages() == []


async def test_visible_text_strips_tags_and_unescapes(bot: Bot, person: SimulatedPerson) -> None:
    raw = '<b>Здравствуйте</b>, &lt;Айгуль&gt; &amp; <a href="https://x.kg/?a=1&amp;b=2">сайт</a>'
    sent = await bot.send_message(person.chat_id, raw)
    expected = "Здравствуйте, <Айгуль> & сайт"
    assert sent.text == expected
    screen = person.screen()
    assert (screen.text, screen.raw_text) == (expected, raw)
    assert screen.entities == [
        {"type": "bold", "offset": 0, "length": 12},
        {"type": "text_link", "offset": 25, "length": 4, "url": "https://x.kg/?a=1&b=2"},
    ]
    assert sent.entities is not None and sent.entities[1].url == "https://x.kg/?a=1&b=2"


async def test_text_length_and_emptiness(bot: Bot, person: SimulatedPerson) -> None:
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: message text is empty$"):
        await bot.send_message(person.chat_id, "")
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: message text is empty$"):
        await bot.send_message(person.chat_id, "<b> </b>")
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: message is too long$"):
        await bot.send_message(person.chat_id, "я" * 4097)
    # The limit applies to the visible text, not to the markup around it.
    await bot.send_message(person.chat_id, "<b>" + "я" * 4096 + "</b>")
    assert len(person.screen().text) == 4096


@pytest.mark.parametrize(
    ("source", "text", "entity_types"),
    [
        ("<i>a</i><u>b</u><s>c</s><tg-spoiler>d</tg-spoiler>", "abcd", [
            "italic", "underline", "strikethrough", "spoiler"]),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", ["pre"]),
        ("<blockquote expandable>цитата</blockquote>", "цитата", ["expandable_blockquote"]),
        ("&#128512;&#x41;&quot;", '😀A"', []),
    ],
)  # fmt: skip
def test_html_parser_entities(source: str, text: str, entity_types: list[str]) -> None:
    parsed = parse_html(source)
    assert parsed.text == text
    assert [e["type"] for e in parsed.entities] == entity_types


def test_html_parser_offsets_are_utf16_and_bytes() -> None:
    parsed = parse_html("😀<b>ы</b>")
    assert parsed.entities == [{"type": "bold", "offset": 2, "length": 1}]
    with pytest.raises(EntityParseError, match="at byte offset 6"):
        parse_html("ыыы<x>")


async def test_retry_after_injection(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(1001, "раз")
    assert error.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in error.value.message
    await bot.send_message(1001, "два")
    assert [c.status for c in emulator.calls_of("sendMessage")] == [429, 200]
    assert [m.text for m in emulator.chat_messages(1001)] == ["два"]


async def test_rate_limits_refuse_posts_beyond_them(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.limit_rate(per_second=3, chat_per_second=10)
    first = await bot.send_message(1001, "one")
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(1001, "two")  # the same chat within a tenth of a second
    assert error.value.retry_after == 1
    await bot.edit_message_text("one, edited", chat_id=1001, message_id=first.message_id)
    await asyncio.sleep(0.11)
    await bot.send_message(1001, "three")
    await bot.send_message(2001, "to another chat")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(2002, "a fourth post within the second")
    assert [c.status for c in emulator.calls_of("sendMessage")] == [200, 429, 200, 200, 429]
    assert [m.text for m in emulator.chat_messages(1001)] == ["one, edited", "three"]
    assert emulator.chat_messages(2002) == []
    assert emulator.rate_limited == {"chat": 1, "bot": 1}


async def test_wildcard_failure_spares_get_updates(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.fail("*", status=500, times=2)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    with pytest.raises(TelegramServerError):
        await bot.send_message(1001, "x")
    assert (await bot.get_me()).id == 42
    assert [c.status for c in emulator.calls] == [200, 500, 500, 200]


async def test_delay_holds_answer_after_the_effect(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.delay("sendMessage", 0.5)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1001, "таймаут", request_timeout=0.1)  # type: ignore[arg-type]
    # Like a real timeout, the bot cannot tell: the message did go out.
    assert [m.text for m in emulator.chat_messages(1001)] == ["таймаут"]


async def test_long_poll_wakes_up_on_push(emulator: BotApiEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    [waiting] = emulator.calls_of("getUpdates")
    assert waiting.status == 0 and not poll.done()  # the long poll is being held open
    started = time.monotonic()
    update_id = emulator.push_update(
        {"message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                     "text": "hi"}}
    )  # fmt: skip
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 0.3
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "hi"
    assert emulator.updates_acknowledged == 0
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == []
    assert emulator.updates_acknowledged == 1
    assert emulator.pending_updates == 0


async def test_edit_errors_and_not_modified(bot: Bot, person: SimulatedPerson) -> None:
    sent = await bot.send_message(person.chat_id, "<b>Меню</b>", reply_markup=_more_keyboard())
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            "<b>Меню</b>", chat_id=person.chat_id, message_id=sent.message_id,
            reply_markup=_more_keyboard(),
        )  # fmt: skip
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=person.chat_id, message_id=sent.message_id, reply_markup=_more_keyboard()
        )
    # Same text, no markup: the keyboard goes away, so this is a real change.
    await bot.edit_message_text("<b>Меню</b>", chat_id=person.chat_id, message_id=sent.message_id)
    assert person.buttons() == []
    assert person.screen().edited
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: message to edit not found$"):
        await bot.edit_message_text("x", chat_id=person.chat_id, message_id=999)
    assert await bot.delete_message(person.chat_id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: message to delete not found$"):
        await bot.delete_message(person.chat_id, sent.message_id)
    assert person.messages() == []


async def test_callback_data_limit(bot: Bot, person: SimulatedPerson) -> None:
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="д" * 33)]]
    )
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: BUTTON_DATA_INVALID$"):
        await bot.send_message(person.chat_id, "меню", reply_markup=too_long)
    fits = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="д" * 32)]]
    )
    await bot.send_message(person.chat_id, "меню", reply_markup=fits)
    assert person.screen().button_data == [["д" * 32]]


async def test_callback_query_answered_once(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson
) -> None:
    await bot.send_message(person.chat_id, "меню", reply_markup=_more_keyboard())
    await person.press("Ещё", wait=False)
    [update] = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None and query.data == "more"
    assert isinstance(query.message, Message) and query.message.text == "меню"
    await bot.answer_callback_query(query.id, text="Сохранено", show_alert=True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("123")
    assert person.alerts() == [Alert("Сохранено", True, query.id)]
    assert emulator.calls_of("answerCallbackQuery")[0].chat_id == person.chat_id


async def test_blocked_person_gets_403(bot: Bot, person: SimulatedPerson) -> None:
    person.blocked = True
    with pytest.raises(TelegramForbiddenError, match=r"Forbidden: bot was blocked by the user$"):
        await bot.send_message(person.chat_id, "Вы тут?")
    person.blocked = False
    await bot.send_message(person.chat_id, "Вы тут?")
    assert person.texts() == ["Вы тут?"]


async def test_unknown_method_is_404_and_recorded(emulator: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot.set_webhook("https://example.org/hook")
    assert [c.method for c in emulator.unknown_method_calls] == ["setWebhook"]
    assert emulator.calls[-1].status == 404


async def test_json_and_get_requests(emulator: BotApiEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{emulator.base_url}/bot{TOKEN}/sendMessage"
        markup = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
        body = {"chat_id": 77, "text": "<i>json</i>", "parse_mode": "HTML", "reply_markup": markup}
        async with http.post(url, json=body) as response:
            answer: dict[str, Any] = await response.json()
        async with http.get(f"{emulator.base_url}/bot{TOKEN}/getMe") as response:
            me = await response.json()
    assert answer["ok"] is True
    assert answer["result"]["reply_markup"] == markup
    assert answer["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 4}]
    assert me["result"]["username"] == "koldo_test_bot"


async def test_files_round_trip(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson
) -> None:
    await person.send_photo(caption="скрин", wait=False)
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.photo is not None
    largest = update.message.photo[-1]
    assert (largest.width, largest.height, update.message.caption) == (1280, 960, "скрин")
    file = await bot.get_file(largest.file_id)
    assert file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read()

    document = await bot.send_document(
        person.chat_id, BufferedInputFile(b"hello", "report.txt"), caption="<b>Отчёт</b>"
    )
    assert document.document is not None and document.document.file_name == "report.txt"
    assert document.caption == "Отчёт" and document.caption_entities is not None
    assert emulator.file_bytes(document.document.file_id) == b"hello"
    echoed = await bot.send_photo(person.chat_id, largest.file_id)
    assert echoed.photo is not None and echoed.photo[-1].file_id == largest.file_id
    assert [m.media for m in person.messages()] == ["document", "photo"]
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(person.chat_id, "no-such-file")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(person.chat_id, largest.file_id, caption="я" * 1025)


async def test_forum_group_topics_and_copy(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson
) -> None:
    emulator.add_chat(GROUP_ID, title="Staff")
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(GROUP_ID, "Обращение #1")
    emulator.add_chat(GROUP_ID, is_forum=True)
    topic = await bot.create_forum_topic(GROUP_ID, "Обращение #1")
    assert topic.name == "Обращение #1"
    await person.send_text("Мне нужна помощь", wait=False)
    incoming = emulator.chat_messages(person.chat_id, include_incoming=True)[-1]
    copied = await bot.copy_message(
        GROUP_ID, person.chat_id, incoming.message_id, message_thread_id=topic.message_thread_id
    )
    note = await bot.send_message(
        GROUP_ID, "Новое обращение", message_thread_id=topic.message_thread_id
    )
    assert note.chat.type == "supergroup" and note.message_thread_id == topic.message_thread_id
    in_topic = emulator.chat_messages(GROUP_ID, message_thread_id=topic.message_thread_id)
    assert [(m.message_id, m.text) for m in in_topic] == [
        (copied.message_id, "Мне нужна помощь"),
        (note.message_id, "Новое обращение"),
    ]
    assert await bot.close_forum_topic(GROUP_ID, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP_ID, topic.message_thread_id)
    assert emulator.topics(GROUP_ID)[0].closed
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP_ID, "x", message_thread_id=999)


# ---------------------------------------------------------------------- with a dispatcher


@pytest.mark.parametrize("handle_as_tasks", [True, False])
async def test_echo_bot_conversation(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson, handle_as_tasks: bool
) -> None:
    async with polling(emulator, bot, handle_as_tasks=handle_as_tasks):
        await person.send_text("Привет <мир>")
        screen = person.screen()
        assert screen.text == "Эхо: Привет <мир>"
        assert screen.raw_text == "Эхо: <b>Привет &lt;мир&gt;</b>"
        assert person.buttons() == ["Ещё"]

        await person.press("Ещё")
        assert person.screen().message_id == screen.message_id
        assert person.screen().text == "Нажато"
        assert person.buttons() == []
        assert [a.text for a in person.alerts()] == ["Готово"]
        assert person.unanswered_queries() == []

        with pytest.raises(AssertionError, match="sees no button 'Назад'"):
            await person.press("Назад")
    assert emulator.updates_acknowledged == 2
    assert len(emulator.response_latencies()) == 2


@pytest.mark.parametrize("handle_as_tasks", [True, False])
async def test_settle_waits_for_calls_in_progress(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson, handle_as_tasks: bool
) -> None:
    async with polling(emulator, bot, handle_as_tasks=handle_as_tasks):
        emulator.delay("sendMessage", 0.2, times=2)
        started = time.monotonic()
        await person.send_command("/two")
        assert time.monotonic() - started >= 0.4
        assert person.texts() == ["первое", "второе"]
        assert all(call.status == 200 for call in emulator.calls_of("sendMessage"))


async def test_many_people_at_once(emulator: BotApiEmulator, bot: Bot) -> None:
    people = [SimulatedPerson(emulator, 5000 + n, first_name=f"P{n}") for n in range(30)]
    async with polling(emulator, bot):
        await asyncio.gather(*(p.send_text(f"я {p.first_name}") for p in people))
    for p in people:
        assert p.texts() == [f"Эхо: я {p.first_name}"]
    assert emulator.updates_acknowledged == 30
    assert len(emulator.response_latencies()) == 30


@pytest.mark.parametrize("via", ["object", "http"])
async def test_handled_reports_make_settle_exact(
    emulator: BotApiEmulator, bot: Bot, via: str
) -> None:
    target: BotApiEmulator | str = emulator
    if via == "http":  # as for a bot in another process
        target = emulator.base_url
        emulator.reports_handled = True
    people = [SimulatedPerson(emulator, 6000 + n) for n in range(20)]
    async with polling(emulator, bot, report_to=target):
        await asyncio.gather(*(p.send_command("/slow") for p in people))
        # Each answer came 150 ms after the ack, far beyond the 50 ms quiet window.
        assert all(p.texts() == ["готово"] for p in people)
        await people[0].send_text("ещё")
        assert people[0].screen().text == "Эхо: ещё"
    assert emulator.reports_handled


async def test_reply_keyboard_contact_request(
    emulator: BotApiEmulator, bot: Bot, person: SimulatedPerson
) -> None:
    async with polling(emulator, bot) as seen:
        await person.send_command("/phone")
        assert person.reply_keyboard() == [["📱 Отправить номер"], ["Отмена"]]
        await person.press("📱 Отправить номер")
        contact = seen[-1].contact
        assert contact is not None
        assert (contact.phone_number, contact.user_id) == ("+996700123456", person.user_id)
        assert person.screen().text == "Телефон: +996700123456"
        assert person.reply_keyboard() is None

        await person.send_command("/phone")
        await person.press("Отмена")  # a one-time keyboard hides itself after a press
        assert person.reply_keyboard() is None
        assert person.screen().text == "Эхо: Отмена"
    assert seen[0].entities is None  # the contact message has no entities
    assert emulator.calls_of("sendMessage")[0].params["reply_markup"]["one_time_keyboard"]


async def test_force_reply_makes_the_answer_a_reply(bot: Bot, person: SimulatedPerson) -> None:
    prompt = await bot.send_message(person.chat_id, "Как вас зовут?", reply_markup=ForceReply())
    await person.send_text("Айгуль", wait=False)
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.message_id == prompt.message_id
    assert update.message.message_id == prompt.message_id + 1


async def test_settle_timeout_explains_itself(emulator: BotApiEmulator) -> None:
    person = SimulatedPerson(emulator, 7, timeout=0.2)
    with pytest.raises(AssertionError) as error:
        await person.send_text("Алло?")
    report = str(error.value)
    assert "did not settle within 0.2s" in report
    assert "never fetched by the bot" in report
    assert "never called getUpdates" in report
    assert "Айгуль: 'Алло?'" in report
