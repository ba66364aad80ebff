"""Every aiogram type and method Koldo could ever meet can still be built on first use."""

from __future__ import annotations

import sys

import aiogram.methods
import aiogram.types
import pytest
from pydantic import BaseModel

import bot.app  # noqa: F401  (the whole bot, as `koldo run` loads it)
from bot import lazy_models
from koldo import patches


def models() -> set[type[BaseModel]]:
    """aiogram's types and methods, and the models other packages (aiogram-dialog, Koldo) base
    on them, from every module loaded by the whole bot."""
    found: set[type[BaseModel]] = set()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("aiogram", "aiogram_dialog", "bot"):
            found.update(
                value
                for value in vars(module).values()
                if isinstance(value, type)
                and issubclass(value, BaseModel)
                and value is not BaseModel
            )
    return found


@pytest.mark.skipif(not patches.enabled(patches.LAZY_MODELS), reason="lazy_models is off")
def test_models_are_deferred_at_import_and_all_build_on_first_use():
    assert lazy_models._namespace is not None, "aiogram was imported before koldo.patches"
    everything = models()
    assert len(everything) > 400
    for model in everything:
        if model.__pydantic_generic_metadata__["parameters"]:
            continue  # an open generic (Response[T]) is built per use, as Response[Message]
        assert callable(model.__pydantic_validator__.validate_python), model
        assert callable(model.__pydantic_serializer__.to_python), model


def test_lazily_built_models_parse_and_dump_as_usual():
    update = aiogram.types.Update.model_validate(
        {
            "update_id": 7,
            "callback_query": {
                "id": "1",
                "chat_instance": "c",
                "data": "card:take:1:0",
                "from": {"id": 500, "is_bot": False, "first_name": "Nurlan"},
                "message": {
                    "message_id": 3,
                    "date": 0,
                    "chat": {"id": -100, "type": "supergroup", "is_forum": True},
                },
            },
        }
    )
    assert update.callback_query.message.chat.is_forum is True
    keyboard = aiogram.types.InlineKeyboardMarkup(
        inline_keyboard=[[aiogram.types.InlineKeyboardButton(text="🙋", callback_data="x")]]
    )
    method = aiogram.methods.SendMessage(chat_id=1, text="<b>hi</b>", reply_markup=keyboard)
    dumped = method.model_dump(exclude_none=True)
    assert dumped["reply_markup"] == {"inline_keyboard": [[{"text": "🙋", "callback_data": "x"}]]}
