"""Unique ids for aiogram-dialog intents.

aiogram-dialog 2.6 makes an intent id from the current second plus one of 100 random values
(`api.entities.stack.new_int_id`). Two dialogs opened for the same person within one second —
Koldo opens the menu and the privacy notice together on a first visit — then get the same id one
time in a hundred, and that person's buttons stop working ("out of date"). A 48-bit random id
cannot collide in practice and still fits in callback data (at most 9 characters).
"""

from __future__ import annotations

import secrets

from aiogram_dialog.api.entities import stack

ID_BITS = 48


def _random_int_id() -> int:
    return secrets.randbits(ID_BITS)


def install_unique_intent_ids() -> None:
    """Replace aiogram-dialog's id source (idempotent; affects the whole process)."""
    stack.new_int_id = _random_int_id
