"""Polite explanations of input that could not be used, shown at the top of the same screen.

Handlers store the core error's code and parameters in dialog_data; the screen renders them in
the person's language and the question is asked again, with nothing they gave before lost.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.text import Text

from bot.i18n import format_number, gettext_
from bot.widgets import escape
from core.errors import CoreError
from koldo.i18n import N_

logger = logging.getLogger(__name__)

PROBLEM_KEY = "problem"

PROBLEM_TEXTS = {
    "empty": N_("The message was empty. Please write a few words."),
    "too_long": N_(
        "That is too long: {length} characters. Please send at most {limit} characters."
    ),
    "not_a_number": N_("Please send only a number, for example 9."),
    "age_out_of_range": N_("The age must be a number from {low} to {high}."),
    "grade_out_of_range": N_("The grade must be a number from {low} to {high}."),
    "invalid_phone": N_(
        "This does not look like a Kyrgyz phone number. Please send it like 0700 123 456 "
        "or +996 700 123 456."
    ),
    "too_many_files": N_("One request can hold up to {limit} files. The rest were not added."),
    "not_text": N_(
        "Please answer with a text message. Stickers, locations and files cannot be used here."
    ),
    "not_supported": N_(
        "This cannot be added here. Please send text, a photo, a file or a voice message."
    ),
    "use_buttons": N_("Please choose one of the buttons below."),
    "not_yours": N_("This request cannot be opened. Please choose one from your list."),
    "withdrawn": N_("This request was withdrawn, so nothing more can be added to it."),
    "not_open": N_("This request is already closed."),
    "unknown_settlement": N_("This settlement is no longer on the list. Please choose again."),
    "consent_required": N_(
        "To file a request, please first accept the privacy notice: press /start."
    ),
    "not_resolved": N_("This request is not resolved, so there is nothing to rate."),
}

UNKNOWN_PROBLEM = N_("Sorry, something went wrong on our side. Please try again.")

# Someone else's request and one that does not exist read the same: nothing to learn from it.
ALIASES = {"access_denied": "not_yours", "not_found": "not_yours"}


def set_problem(manager: DialogManager, code: str, **params: Any) -> None:
    manager.dialog_data[PROBLEM_KEY] = {"code": code, "params": params}


def set_error(manager: DialogManager, error: CoreError) -> None:
    set_problem(manager, error.code, **{k: v for k, v in error.params.items() if k != "fields"})


def clear_problem(manager: DialogManager) -> None:
    manager.dialog_data.pop(PROBLEM_KEY, None)


def _format_param(value: Any) -> str:
    return format_number(value) if isinstance(value, int) else escape(value)


class ProblemText(Text):
    """The explanation of the last unusable input, if any, with a blank line after it."""

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        problem = manager.dialog_data.get(PROBLEM_KEY)
        if not problem:
            return ""
        return problem_text(problem["code"], problem["params"]) + "\n"


def problem_text(code: str, params: dict[str, Any]) -> str:
    """The explanation for a core error code, in the current language, values escaped.

    A code without words of its own is our omission, not the person's mistake: they are told
    so rather than sent to press a button that may not be there."""
    code = ALIASES.get(code, code)
    template = PROBLEM_TEXTS.get(code)
    if template is None:
        logger.warning("No words for the error code %r", code)
        template = UNKNOWN_PROBLEM
    return "⚠️ " + gettext_(template).format_map(
        {key: _format_param(value) for key, value in params.items() if key != "fields"}
    )
