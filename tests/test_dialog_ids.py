"""Regression: dialogs opened in the same second for one person must not share an intent id
(aiogram-dialog's own ids repeat one time in a hundred within a second)."""

from aiogram_dialog.api.entities import stack

from bot.dialog_ids import install_unique_intent_ids


def test_intent_ids_do_not_repeat_within_a_second():
    install_unique_intent_ids()
    ids = {stack.new_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert max(len(intent_id) for intent_id in ids) <= 9
