"""Making every message fit Telegram's limits by construction instead of being refused.

Telegram takes at most 4,096 characters of text and 1,024 of caption, counted after the HTML
is parsed (a tag counts nothing, `&lt;` counts one). We count in UTF-16 code units, as the Bot
API counts entity offsets: never less than Telegram's own count, so a part we pass always fits.
A longer text is cut into parts at a paragraph, else a line, else a word boundary (only a single
word longer than a part is cut inside it), never inside a tag or an entity; formatting open at a
cut is closed at the end of the part and opened again at the start of the next one, so each part
is valid HTML on its own. Nothing is dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")
# How good a place to cut is: after a blank line, after a line, after a space.
_PARAGRAPH, _LINE, _WORD = 3, 2, 1


@dataclass(frozen=True)
class _Token:
    raw: str
    width: int  # UTF-16 code units the reader sees
    opens: str | None = None  # tag name, for a start tag
    closes: bool = False


def _width(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        if raw.startswith("<") and len(raw) > 1:
            name = _TAG_NAME.match(raw)
            closes = raw.startswith("</")
            tokens.append(_Token(raw, 0, None if closes or not name else name.group(1), closes))
        else:
            tokens.append(_Token(raw, _width(html.unescape(raw))))
    return tokens


def visible_length(text: str) -> int:
    """How long Telegram will find `text` (HTML) to be, at most."""
    return sum(token.width for token in _tokens(text))


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` (HTML) as parts of at most `limit` visible characters each, in order; parts that
    would show nothing (only whitespace) are left out."""
    if visible_length(text) <= limit:
        return [text] if text.strip() else []
    tokens = _tokens(text)
    parts: list[str] = []
    start, reopen = 0, []
    while start < len(tokens):
        end, still_open = _cut(tokens, start, limit, reopen)
        part = "".join(
            [token.raw for token in reopen]
            + [token.raw for token in tokens[start:end]]
            + [f"</{token.opens}>" for token in reversed(still_open)]
        )
        if html.unescape(re.sub(r"<[^>]*>", "", part)).strip():
            parts.append(part)
        start, reopen = end, still_open
    return parts


def _cut(
    tokens: list[_Token], start: int, limit: int, open_tags: list[_Token]
) -> tuple[int, list[_Token]]:
    """Where the part that begins at `start` ends, and the tags still open there."""
    stack = list(open_tags)
    width = 0
    best: dict[int, tuple[int, int, list[_Token]]] = {}  # quality -> (end, width, open tags)
    index = start
    while index < len(tokens):
        token = tokens[index]
        if width + token.width > limit:
            break
        width += token.width
        if token.opens:
            stack.append(token)
        elif token.closes and stack:
            stack.pop()
        index += 1
        quality = _quality(tokens, index)
        if quality:
            best[quality] = (index, width, list(stack))
    else:
        return index, stack
    for quality in (_PARAGRAPH, _LINE, _WORD):
        if quality in best and (best[quality][1] * 2 >= limit or quality == _WORD):
            end, _width_then, still_open = best[quality]
            return end, still_open
    return max(index, start + 1), stack


def _quality(tokens: list[_Token], end: int) -> int:
    """How good a place to cut the position before `tokens[end]` is (0: not at all)."""
    last = tokens[end - 1].raw
    if last == "\n":
        return _PARAGRAPH if end >= 2 and tokens[end - 2].raw == "\n" else _LINE
    return _WORD if last.isspace() else 0
