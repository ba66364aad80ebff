"""aiogram's types parse, bind the bot and build as aiogram's own code does, with less Python
(installed by tests/conftest.py as by `koldo run`; the same results with the patch off)."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.methods import Response, SendMessage
from aiogram.types import InlineKeyboardButton, Message, TelegramObject, Update
from aiogram.types.base import UNSET

from bot import lean_models
from koldo import patches
from tests.harness import TEST_TOKEN

MESSAGE = {
    "message_id": 2,
    "from": {"id": 1, "is_bot": True, "first_name": "Koldo", "username": "koldo_bot"},
    "chat": {"id": 10001, "type": "private", "first_name": "Aigul"},
    "date": 1_700_000_000,
    "text": "📄 Which document?",
    "entities": [{"type": "bold", "offset": 0, "length": 2}],
    "reply_markup": {
        "inline_keyboard": [[{"text": f"Button {n}", "callback_data": f"b:{n}"}] for n in range(3)]
    },
    "some_future_field": {"nested": True},
}


def parsed(bot: Bot | None) -> Message:
    content = json.dumps({"ok": True, "result": MESSAGE})
    context = {"bot": bot} if bot else None
    return Response[Message].model_validate_json(content, context=context).result


def every_object(message: Message) -> list[TelegramObject]:
    keyboard = message.reply_markup
    assert keyboard is not None and message.entities and message.from_user
    buttons = [button for row in keyboard.inline_keyboard for button in row]
    return [message, message.chat, message.from_user, *message.entities, keyboard, *buttons]


def test_an_answer_parses_to_the_same_content_with_every_object_bound_to_the_bot():
    bot = Bot(TEST_TOKEN)
    message = parsed(bot)
    assert message.model_dump(by_alias=True, exclude_none=True, mode="json") == MESSAGE
    objects = every_object(message)
    assert len(objects) == 8
    assert all(part.bot is bot for part in objects)
    assert message.answer("hi").chat_id == 10001  # shortcuts still reach the chat


def test_without_a_bot_in_the_context_nothing_is_bound_and_binding_later_works():
    message = parsed(None)
    assert all(part.bot is None for part in every_object(message))
    bot = Bot(TEST_TOKEN)
    assert message.as_(bot).bot is bot
    built = InlineKeyboardButton(text="🙋", callback_data="take")
    assert built.bot is None and built.callback_data == "take"


def test_updates_from_polling_bind_the_bot_down_to_the_pressed_message():
    bot = Bot(TEST_TOKEN)
    update = Update.model_validate(
        {
            "update_id": 9,
            "callback_query": {
                "id": "7",
                "chat_instance": "c",
                "data": "b:1",
                "from": {"id": 10001, "is_bot": False, "first_name": "Aigul"},
                "message": MESSAGE,
            },
        },
        context={"bot": bot},
    )
    query = update.callback_query
    assert query is not None and query.bot is bot and query.message.chat.bot is bot
    assert query.message.reply_markup.inline_keyboard[1][0].callback_data == "b:1"


@pytest.mark.skipif(not patches.enabled(patches.LEAN_MODELS), reason="lean_models is off")
def test_types_skip_the_legacy_sentinel_validator_and_methods_keep_it():
    validators = Message.__pydantic_decorators__.model_validators
    assert lean_models.LEGACY_SENTINEL_VALIDATOR not in validators
    method = SendMessage(chat_id=1, text="<b>hi</b>", parse_mode=UNSET)
    assert "parse_mode" not in method.model_dump(exclude_unset=True)
