"""What the outbox says about training sessions, in ru, ky and en: every kind has a renderer
(the worker would not start otherwise), every text names the session in the reader's language,
escapes what staff typed and fits one Telegram message."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.outbox.delivery import RENDERERS, check_renderers
from bot.outbox.fit import TEXT_LIMIT, visible_length
from bot.outbox.training_texts import for_person, trainer_dropped
from bot.outbox.words import Words
from core.clock import freeze
from core.outbox import Kind
from core.training_reminders import Notice
from core.training_rules import (
    MAX_ADDRESS,
    MAX_PLACE_NAME,
    Audience,
    PlaceKind,
    SessionInfo,
    SessionStatus,
    Trainer,
    TrainerAnswer,
)
from tests.e2e import catalogs, tr
from tests.emulator.telegram_html import parse_html

ZONE = ZoneInfo("Asia/Bishkek")
LANGUAGES = ["ru", "ky", "en"]
PROGRAMME = {
    "ru": "Позитивное родительство",
    "ky": "Позитивдүү ата-энелик",
    "en": "Positive parenting",
}


def _notice(language: str) -> Notice:
    """A session with its texts at their longest, every one of them in need of escaping."""
    return Notice(
        session=SessionInfo(
            id=123456,
            programme_code="positive-parenting",
            starts_at=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 3, 11, 30, tzinfo=UTC),
            settlement_code="ak-ordo",
            place_kind=PlaceKind.SCHOOL,
            place_name="<Школа & №5>"[:12] * (MAX_PLACE_NAME // 12),
            address="&<>" * (MAX_ADDRESS // 3),
            audience=Audience.PARENTS,
            capacity=1000,
            signed_up=997,
            status=SessionStatus.MOVED,
            trainers=(Trainer(7001, TrainerAnswer.DECLINED), Trainer(7002, TrainerAnswer.LEADING)),
        ),
        language=language,
        programme=PROGRAMME,
        programme_summary={
            "ru": "Для родителей: " + "слово " * 60,
            "ky": "Ата-энелер үчүн.",
            "en": "For parents.",
        },
        settlement={"ru": "Ак-Орго", "ky": "Ак-Ордо", "en": "Ak-Ordo"},
    )


PAYLOADS = [
    (Kind.TRAINING_NEW, {}),
    (
        Kind.TRAINING_CHANGED,
        {"change": "moved", "was": "2027-03-02T09:00:00+00:00", "role": "parent"},
    ),
    (
        Kind.TRAINING_CHANGED,
        {"change": "moved", "was": "2027-03-02T09:00:00+00:00", "role": "trainer"},
    ),
    (
        Kind.TRAINING_CHANGED,
        {"change": "cancelled", "was": "2027-03-03T09:00:00+00:00", "role": "parent"},
    ),
    (
        Kind.TRAINING_CHANGED,
        {"change": "cancelled", "was": "2027-03-03T09:00:00+00:00", "role": "trainer"},
    ),
    (Kind.TRAINING_REMINDER, {"which": "day", "role": "parent"}),
    (Kind.TRAINING_REMINDER, {"which": "hour", "role": "parent"}),
    (Kind.TRAINING_REMINDER, {"which": "day", "role": "trainer"}),
    (Kind.TRAINING_REMINDER, {"which": "hour", "role": "trainer"}),
    (Kind.TRAINING_REPORT_DUE, {}),
]


def test_every_training_kind_has_a_renderer():
    check_renderers()
    assert {kind for kind, _ in PAYLOADS} | {Kind.TRAINER_DROPPED} <= RENDERERS.keys()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "payload"), PAYLOADS)
def test_a_persons_notice_names_the_session_in_their_language_and_fits(language, kind, payload):
    words = Words(catalogs(), language, ZONE)
    text = for_person(words, _notice(language), kind, payload)
    visible = parse_html(text).text
    assert PROGRAMME[language] in visible
    assert "&<>&<>" in visible  # the address, escaped, shown as typed
    assert "15:00–17:30" in visible  # 09:00–11:30 UTC in Bishkek time
    assert visible_length(text) <= TEXT_LIMIT


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_words_differ_for_a_trainer_and_a_parent(language):
    words = Words(catalogs(), language, ZONE)
    parent = for_person(words, _notice(language), Kind.TRAINING_REMINDER, PAYLOADS[5][1])
    trainer = for_person(words, _notice(language), Kind.TRAINING_REMINDER, PAYLOADS[7][1])
    assert tr(language, "⏰ <b>Tomorrow you have a training session.</b>") in parent
    assert tr(language, "⏰ <b>Tomorrow you lead a training session.</b>") in trainer
    assert "997" in trainer and "1000" in trainer


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_are_told_which_trainer_dropped_out(language):
    words = Words(catalogs(), language, ZONE)
    text = trainer_dropped(words, _notice(language), 7001)
    parsed = parse_html(text)
    assert "123456" in parsed.text and PROGRAMME[language] in parsed.text
    assert any(e.get("url") == "tg://user?id=7001" for e in parsed.entities)
    assert visible_length(text) <= TEXT_LIMIT


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_trainer_who_erased_their_data_is_not_named(language):
    words = Words(catalogs(), language, ZONE)
    parsed = parse_html(trainer_dropped(words, _notice(language), 0))
    assert tr(language, "a trainer who erased their data") in parsed.text
    assert not any("tg://user" in str(e.get("url")) for e in parsed.entities)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_day_before_reminder_held_till_the_morning_says_today(language):
    """An evening session's reminder 24 hours before falls in quiet hours; the outbox holds it
    until the morning of the session's own day."""
    words = Words(catalogs(), language, ZONE)
    freeze(datetime(2027, 3, 3, 2, 0, tzinfo=UTC))  # 08:00 in Bishkek, the session at 15:00
    try:
        text = for_person(words, _notice(language), Kind.TRAINING_REMINDER, PAYLOADS[7][1])
    finally:
        freeze(None)
    assert text.startswith(tr(language, "⏰ <b>Today you lead a training session.</b>"))
