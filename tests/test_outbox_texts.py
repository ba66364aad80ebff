"""What Koldo builds for the staff group fits Telegram's limits by construction: the card with
every field at its longest, a long story after it, a digest of as many requests as are listed
at once, in every language, measured and parsed like Telegram does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.outbox.delivery import DIGEST_LIMIT, DIGEST_SIZE
from bot.outbox.fit import TEXT_LIMIT, visible_length
from bot.outbox.staff_texts import (
    STORY_ON_CARD,
    card_keyboard,
    card_text,
    digest_messages,
    story_follows,
    story_parts,
)
from bot.outbox.words import Words
from core.forms import OTHER_SETTLEMENT, AttachmentKind
from core.inbox_views import Attachment, Card, ReplyMark
from core.requests import Satisfaction, Status
from tests.e2e import catalogs
from tests.emulator.telegram_html import parse_html

LANGUAGES = ["ru", "ky", "en"]
MOMENT = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def _longest_card(description: str) -> Card:
    """Every field of a card at the longest the form, the staff list and the card allow."""
    return Card(
        id=2**31 - 1,
        reference="K-2147483647",
        category="documents",
        status=Status.WAITING_PARENT,
        urgent=True,
        danger_said=True,
        urgent_words=tuple("өлтүрөм деп коркутуп жатат " * 3 for _ in range(8)),
        language="ky",
        created_at=MOMENT,
        document_type="birth_certificate",
        subject="child",
        child_age=17,
        grade=11,
        obstacle="no_documents",
        settlement_code=OTHER_SETTLEMENT,
        settlement_other="<Ж>&" * 25,  # the form's 100 characters, all of them escaped
        description=description,
        phone="+996700123456",
        parent_id=None,
        assignee_id=1,
        assignee_name="Ы" * 128,
        satisfaction=Satisfaction.PARTLY.value,
        follow_up_of=999_999,
        attachments=[Attachment(AttachmentKind.DOCUMENT, "file", n) for n in range(10)],
        replies=[ReplyMark(MOMENT, "failed", "deactivated") for _ in range(10)],
        thread_id=None,
        card_message_id=None,
    )


def _words(language: str) -> Words:
    return Words(catalogs(), language, ZoneInfo("Asia/Bishkek"))


def _fits(text: str, limit: int = TEXT_LIMIT) -> None:
    parsed = parse_html(text)  # raises where Telegram would refuse the HTML
    assert visible_length(text) <= limit and len(parsed.text) <= limit


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_longest_card_fits_with_the_longest_story_it_shows(language: str) -> None:
    story = "😀<" * (STORY_ON_CARD // 3)  # as wide as the card takes: astral, escaped
    card = _longest_card(story)
    assert not story_follows(card)
    text = card_text(_words(language), card, {})
    _fits(text)
    assert story in parse_html(text).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_longer_story_follows_the_card_whole(language: str) -> None:
    story = "\n\n".join(f"Абзац {n}: «жашоо» & <документ> 👨‍👩‍👧 " * 12 for n in range(12))
    card = _longest_card(story[:4_000])
    assert story_follows(card)
    text = card_text(_words(language), card, {})
    _fits(text)
    assert card.description not in parse_html(text).text
    parts = story_parts(_words(language), card)
    for part in parts:
        _fits(part)
    shown = " ".join(parse_html(part).text.split("\n", 1)[1] for part in parts)
    assert shown.split() == (card.description or "").split()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_digest_of_all_it_lists_at_once_fits(language: str) -> None:
    cards = [_longest_card("") for _ in range(DIGEST_LIMIT)]
    messages = digest_messages(_words(language), cards, {}, size=DIGEST_SIZE)
    assert sum(count for _text, count in messages) == DIGEST_LIMIT
    for text, count in messages:
        _fits(text)
        assert count <= DIGEST_SIZE


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        (Status.NEW, ["🙋 Take", "✅ Resolve", "⏳ Waiting for parent", "👥 Reassign"]),
        (Status.IN_PROGRESS, ["🙋 Take", "✅ Resolve", "⏳ Waiting for parent", "👥 Reassign"]),
        # Already waiting: no button that would only be refused.
        (Status.WAITING_PARENT, ["🙋 Take", "✅ Resolve", "👥 Reassign"]),
        (Status.RESOLVED, []),
        (Status.WITHDRAWN, []),
    ],
)
def test_a_card_offers_the_steps_its_status_allows(status: Status, buttons: list[str]) -> None:
    card = replace(_longest_card("story"), status=status)
    keyboard = card_keyboard(_words("en"), card)
    shown = [b.text for row in keyboard.inline_keyboard for b in row] if keyboard else []
    assert shown == buttons
    assert all(len(row) <= 2 for row in (keyboard.inline_keyboard if keyboard else []))
