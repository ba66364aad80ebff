"""Cutting long HTML into parts Telegram takes, checked with the emulator's copy of Telegram's
own parser: every part parses, fits, and together they show exactly the original text."""

from __future__ import annotations

import random

import pytest

from bot.outbox.fit import split_html, visible_length
from bot.outbox.parent_texts import SatisfactionAnswer
from bot.outbox.staff_texts import CardAction
from bot.widgets import escape
from core.requests import Satisfaction
from tests.emulator.telegram_html import parse_html, utf16_len

PIECES = ["слово", "word", "<", "&", ">", '"', "👨‍👩‍👧", "😀", " ", " ", " ", "\n", "\n\n", "ё"]


def _random_html(rng: random.Random, size: int) -> str:
    """Escaped words as a parent types them, inside the tags Koldo's texts use."""
    out = []
    while sum(map(len, out)) < size:
        words = escape("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))))
        tag = rng.choice([None, None, "b", "i", "code"])
        out.append(f"<{tag}>{words}</{tag}>" if tag else words)
    return "".join(out)


def _shown(parts: list[str]) -> str:
    return " ".join(parse_html(part).text for part in parts)


@pytest.mark.parametrize("seed", range(40))
def test_parts_parse_fit_and_keep_every_word(seed: int) -> None:
    rng = random.Random(seed)
    text = _random_html(rng, rng.choice([300, 5_000, 13_000]))
    limit = rng.choice([50, 1_024, 4_096])
    parts = split_html(text, limit)
    for part in parts:
        parsed = parse_html(part)  # raises on invalid HTML, like Telegram
        assert 0 < utf16_len(parsed.text.strip()) <= limit
        assert visible_length(part) <= limit
    assert "".join(_shown(parts).split()) == "".join(parse_html(text).text.split())


def test_cuts_between_paragraphs_then_lines_then_words() -> None:
    paragraph = "Мы ждали долго. " * 40
    parts = split_html(f"{paragraph}\n\n{paragraph}\n\n{paragraph}", 1_500)
    assert [part.strip() for part in parts] == [
        f"{paragraph}\n\n{paragraph}".strip(),
        paragraph.strip(),
    ]
    lines = split_html("строка\n" * 300, 1_000)
    assert all(part.endswith("\n") for part in lines[:-1])


def test_a_word_longer_than_a_part_is_cut_without_loss() -> None:
    word = "а" * 5_000
    parts = split_html(f"<b>{word}</b>", 4_096)
    assert [parse_html(part).text for part in parts] == [word[:4_096], word[4_096:]]
    assert all(parse_html(part).entities[0]["type"] == "bold" for part in parts)


def test_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>&lt;3</b> &amp; 😀") == len("<3 & ") + 2


@pytest.mark.parametrize("request_id", [1, 2**31 - 1])
@pytest.mark.parametrize("to", [0, 2**52, 2**63 - 1])
def test_button_data_fits_telegrams_64_bytes_for_any_id(request_id: int, to: int) -> None:
    for action in ("take", "resolve", "wait", "reassign", "to", "back"):
        data = CardAction(action=action, request_id=request_id, to=to).pack()
        assert len(data.encode()) <= 64
    for answer in Satisfaction:
        assert len(SatisfactionAnswer(request_id=request_id, answer=answer).pack().encode()) <= 64
