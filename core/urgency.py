"""Spotting a request that speaks of violence, abuse or a child in danger.

The words come from a reviewed list per language (`data/urgent_keywords.toml`). A parent may
write in any of the languages whatever the screen language, so every list is checked.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.languages import SUPPORTED_LANGUAGES

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


def _normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


@dataclass(frozen=True)
class UrgencyKeywords:
    stems: tuple[str, ...]
    phrases: tuple[str, ...]

    @classmethod
    def from_lists(cls, words: list[str]) -> UrgencyKeywords:
        normalised = [_normalise(word.strip()) for word in words if word.strip()]
        return cls(
            stems=tuple(sorted({w for w in normalised if " " not in w})),
            phrases=tuple(sorted({w for w in normalised if " " in w})),
        )

    @classmethod
    def load(cls, path: Path) -> UrgencyKeywords:
        with path.open("rb") as file:
            data = tomllib.load(file)
        words = [word for language in SUPPORTED_LANGUAGES for word in data.get(language, [])]
        return cls.from_lists(words)

    def matches(self, text: str | None) -> bool:
        """True when a word starts with a stem or the text contains a phrase."""
        if not text:
            return False
        lowered = _normalise(text)
        if any(phrase in lowered for phrase in self.phrases):
            return True
        return any(word.startswith(self.stems) for word in _WORD.findall(lowered))
