"""Requests as Koldo's session encodes them: JSON when there is no file, a form when there is."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import ClientDecodeError, TelegramBadRequest
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import BytesPayload, FormData

from bot.api_session import KoldoSession
from tests.harness import TEST_TOKEN


def make_bot() -> Bot:
    session = KoldoSession("http://127.0.0.1:1", timeout=5)
    return Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def test_a_call_without_files_is_one_json_body():
    bot = make_bot()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🙋 <Take>", callback_data="card:take:1:0")]]
    )
    method = SendMessage(
        chat_id=-100, text="Привет", reply_markup=keyboard, disable_notification=False
    )
    body = bot.session.build_form_data(bot, method)
    assert isinstance(body, BytesPayload)
    assert body.content_type == "application/json"
    assert json.loads(body.decode()) == {
        "chat_id": -100,
        "text": "Привет",
        "parse_mode": "HTML",  # the bot's default, resolved
        "disable_notification": False,  # kept although false
        "reply_markup": {
            "inline_keyboard": [[{"text": "🙋 <Take>", "callback_data": "card:take:1:0"}]]
        },
    }
    await bot.session.close()


async def test_a_call_with_a_file_stays_a_form():
    bot = make_bot()
    method = SendDocument(chat_id=1, document=BufferedInputFile(b"%PDF", filename="passport.pdf"))
    assert isinstance(bot.session.build_form_data(bot, method), FormData)
    await bot.session.close()


async def test_answers_parse_with_the_bot_bound_and_failures_raise_aiogram_errors():
    bot = make_bot()
    method = SendMessage(chat_id=7, text="hi")
    answer = json.dumps(
        {"ok": True, "result": {"message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"}}}
    )
    for _ in range(2):  # the second call reuses the answer model kept by the session
        parsed = bot.session.check_response(bot, method, 200, answer)
        assert parsed.result.message_id == 5 and parsed.result.chat.bot is bot
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        bot.session.check_response(
            bot, method, 400, '{"ok": false, "error_code": 400, "description": "chat not found"}'
        )
    with pytest.raises(ClientDecodeError):
        bot.session.check_response(bot, method, 200, "<html>Bad gateway</html>")
    await bot.session.close()
