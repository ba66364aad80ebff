"""The HTTP session to the Bot API server, with Koldo's request middlewares: `PlainSession` as
aiogram makes it, `KoldoSession` with the `api_session` performance patch (koldo.patches)."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import Response, TelegramMethod
from aiohttp import BytesPayload
from pydantic import ValidationError

from bot.client_middlewares import RetryMiddleware

if TYPE_CHECKING:
    from aiogram import Bot


class PlainSession(AiohttpSession):
    """aiogram's own session to `base_url`, retrying what the Bot API asks to retry."""

    def __init__(self, base_url: str, *, timeout: int) -> None:
        super().__init__(api=TelegramAPIServer.from_base(base_url), timeout=timeout)
        self.middleware(RetryMiddleware())


class KoldoSession(PlainSession):
    """Requests and answers with less work than aiogram's defaults, for the one or two calls
    Koldo makes per update: requests go as JSON, and a successful answer is parsed by pydantic
    straight from its JSON text (about 40% less work than decoding it to Python objects first,
    measured on a Message with a keyboard). Errors go through aiogram's own checks, which raise
    the right exception.

    The answer models, `Response[<the method's result type>]`, are kept here: pydantic caches
    such generic models only weakly, and under load the garbage collector dropped them, so a
    call rebuilt its validator (milliseconds of schema generation, once a fifth of Koldo's CPU
    in the benchmark). Holding them also keeps them for aiogram's error checks."""

    def __init__(self, base_url: str, *, timeout: int) -> None:
        super().__init__(base_url, timeout=timeout)
        self._answer_models: dict[Any, type[Response[Any]]] = {}

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        """A call without files goes as one JSON body (which the Bot API accepts) rather than
        a form with every nested object encoded as a JSON string of its own."""
        files: dict[str, Any] = {}
        body = {
            key: prepared
            for key, value in method.model_dump(warnings=False).items()
            if (prepared := self.prepare_value(value, bot=bot, files=files, _dumps_json=False))
            is not None
        }
        if files:
            return super().build_form_data(bot, method)
        return BytesPayload(self.json_dumps(body).encode(), content_type="application/json")

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = method.__returning__
        model = self._answer_models.get(returning)
        if model is None:
            model = self._answer_models[returning] = Response[returning]  # type: ignore[valid-type]
        if status_code == HTTPStatus.OK:
            try:
                response = model.model_validate_json(content, context={"bot": bot})
            except ValidationError:
                pass
            else:
                if response.ok:
                    return response
        return super().check_response(bot, method, status_code, content)
