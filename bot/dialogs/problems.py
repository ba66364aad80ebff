"""Polite explanations of input that could not be used, shown at the top of the same screen.

The explanation is kept in dialog_data as the problem's code and parameters; the screen renders
it in the person's language (bot.error_texts) and the question is asked again, with nothing
they gave before lost. A domain error a dialog's handler lets through lands there too
(`explain_problems`), so the handlers themselves catch nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram.types import TelegramObject
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.text import Text

from bot.error_texts import problem_text
from core.errors import CoreError

PROBLEM_KEY = "problem"


def set_problem(manager: DialogManager, code: str, **params: Any) -> None:
    manager.dialog_data[PROBLEM_KEY] = {"code": code, "params": params}


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a text may use. dialog_data is stored as JSON (in the database or
    Redis), so a date or a moment among an error's parameters (a full time's next free time, the
    last day one may book) would make the screen fail to save; no text uses those."""
    return {
        key: value
        for key, value in params.items()
        if key != "fields" and isinstance(value, str | int | float | bool)
    }


def clear_problem(manager: DialogManager) -> None:
    manager.dialog_data.pop(PROBLEM_KEY, None)


class ProblemText(Text):
    """The explanation of the last unusable input, if any, with a blank line after it."""

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        problem = manager.dialog_data.get(PROBLEM_KEY)
        if not problem:
            return ""
        return problem_text(problem["code"], problem["params"]) + "\n"


class _ProblemOnScreen:
    """A domain error from one of the dialog's handlers is explained on top of the screen the
    person is on (the one the handler switched to, if it did), drawn again as after any input;
    what the dialog holds is kept. The dialog's own drawing is skipped by the error, so it is
    done here, and the button press answered."""

    def __init__(self, own_codes: Mapping[str, str]) -> None:
        self.own_codes = own_codes

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except CoreError as error:
            manager: DialogManager = data["dialog_manager"]
            if not manager.has_context():
                raise
            code = self.own_codes.get(error.code, error.code)
            set_problem(manager, code, **_plain(error.params))
            await manager.show()
            await manager.answer_callback()
            return None


def explain_problems(dialog: Dialog, own_codes: Mapping[str, str] | None = None) -> Dialog:
    """`dialog`, with its handlers' domain errors explained on its screens. `own_codes` gives
    a dialog its own words for a shared code: a booking that is not yours is not a request."""
    middleware = _ProblemOnScreen(own_codes or {})
    dialog.message.middleware(middleware)
    dialog.callback_query.middleware(middleware)
    return dialog
