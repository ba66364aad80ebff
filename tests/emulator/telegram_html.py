"""Telegram's ``parse_mode="HTML"`` dialect, re-implemented for the emulator.

Real Telegram rejects a message whose HTML it cannot parse, with a description
that names the problem and the UTF-8 byte offset where it was found.  A bot that
forgets to escape a child's "<3" in a message therefore fails only in
production unless the test server is just as strict, so this module follows
the behaviour of Telegram's own parser (tdlib ``parse_html``) closely: the same
supported tags, the same attribute rules and the same error texts.

Entity offsets and lengths are counted in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "ParsedText", "normalize_text", "parse_html", "utf16_len"]

_SPACES = frozenset(" \t\r\n\0\v")
"""Characters tdlib treats as spaces while reading tags."""

_TRIM = " \t\r\n\v\f"
"""Whitespace Telegram trims from both ends of a message text or caption."""

_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's own wording."""


@dataclass(frozen=True)
class ParsedText:
    """What the recipient sees: plain text plus formatting entities."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    utf16_start: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting with ``&`` at ``index``.

    Returns the character and the index just after the entity, or ``None`` if
    the ampersand does not start an entity Telegram understands.  As in tdlib,
    the closing semicolon is optional.
    """
    end = index + 1
    n = len(source)
    if end < n and source[end] == "#":
        end += 1
        base = 10
        if end < n and source[end] in "xX":
            base = 16
            end += 1
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while end < n and source[end] in allowed:
            end += 1
        if end == digits_start:
            return None
        code = int(source[digits_start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and source[end].isascii() and source[end].isalpha():
            end += 1
        name = source[index + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None
        char = _NAMED_ENTITIES[name]
    if end < n and source[end] == ";":
        end += 1
    return char, end


def parse_html(source: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram HTML into visible text and entities, or raise EntityParseError.

    ``strict_ampersand``: tdlib silently keeps an ``&`` that does not start an
    entity, but the Bot API documentation requires escaping it and a bare ``&``
    almost always means unescaped user input, so by default it is an error.
    """
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Character "&" must be escaped as "&amp;" at byte offset '
                    f"{_byte_offset(source, i)}"
                )
        elif char == "<":
            if i + 1 < n and source[i + 1] == "/":
                i = _close_tag(source, i, stack, entities, utf16)
            else:
                i = _open_tag(source, i, stack, utf16)
            continue
        out.append(char)
        utf16 += 2 if ord(char) > 0xFFFF else 1
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        # A "code" entity carries a language only while it may still merge into a <pre>.
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _open_tag(source: str, begin: int, stack: list[_OpenTag], utf16: int) -> int:
    """Read a start tag at ``begin``; push it and return the index after ``>``."""
    n = len(source)
    i = begin + 1
    while i < n and source[i] not in _SPACES and source[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    tag = source[begin + 1 : i].lower()
    if tag not in _SUPPORTED_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
        )
    argument = ""
    expandable = False
    while True:
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        if source[i] == ">":
            break
        name_start = i
        while i < n and source[i] not in _SPACES and source[i] not in "=>":
            i += 1
        attribute = source[name_start:i].lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n or source[i] != "=":
            if tag == "blockquote" and attribute == "expandable":
                expandable = True
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(source, begin)}"
            )
        i += 1
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        value, i = _attribute_value(source, i)
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        if tag == "a" and attribute == "href":
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
        elif tag == "tg-emoji" and attribute == "emoji-id":
            argument = value
        elif tag == "blockquote" and attribute == "expandable":
            expandable = True
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, begin)}'
        )
    if tag == "tg-emoji" and not argument.isdigit():
        raise EntityParseError("Invalid custom emoji identifier specified")
    stack.append(_OpenTag(tag, argument, expandable, utf16))
    return i + 1


def _attribute_value(source: str, i: int) -> tuple[str, int]:
    """Read a quoted or bare attribute value starting at ``i``."""
    n = len(source)
    if source[i] not in "'\"":
        start = i
        while i < n and ((source[i].isascii() and source[i].isalnum()) or source[i] in ".-"):
            i += 1
        if i < n and source[i] not in _SPACES and source[i] != ">":
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(source, start)}"
            )
        return source[start:i].lower(), i
    quote = source[i]
    i += 1
    value: list[str] = []
    while i < n and source[i] != quote:
        if source[i] == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                value.append(decoded[0])
                i = decoded[1]
                continue
        value.append(source[i])
        i += 1
    if i < n:
        i += 1
    return "".join(value), i


def _close_tag(
    source: str,
    begin: int,
    stack: list[_OpenTag],
    entities: list[dict[str, Any]],
    utf16: int,
) -> int:
    """Read an end tag at ``begin``; emit the entity and return the index after ``>``."""
    n = len(source)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
    i = begin + 2
    while i < n and source[i] not in _SPACES and source[i] != ">":
        i += 1
    end_name = source[begin + 2 : i].lower()
    while i < n and source[i] in _SPACES:
        i += 1
    if i >= n or source[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
    opened = stack.pop()
    if end_name and end_name != opened.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
            f'expected "</{opened.name}>", found "</{end_name}>"'
        )
    length = utf16 - opened.utf16_start
    if length > 0:
        entities.append(_make_entity(opened, length, entities))
    return i + 1


def _make_entity(opened: _OpenTag, length: int, entities: list[dict[str, Any]]) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": "", "offset": opened.utf16_start, "length": length}
    if opened.name == "a":
        entity["type"] = "text_link"
        if opened.argument:
            entity["url"] = opened.argument
        else:
            entity["type"] = "url"
    elif opened.name == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
    elif opened.name == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = opened.argument
    else:
        entity["type"] = _SIMPLE_TAGS[opened.name]
    if opened.name == "pre" and entities:
        # <pre><code class="language-x">…</code></pre> is one "pre" entity with a language.
        inner = entities[-1]
        if (
            inner["type"] == "code"
            and inner["offset"] == entity["offset"]
            and inner["length"] == length
        ):
            entities.pop()
            if "language" in inner:
                entity["language"] = inner["language"]
    if opened.name == "code" and opened.argument:
        entity["language"] = opened.argument
    return entity


def normalize_text(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace the way Telegram does, keeping entities aligned."""
    text = parsed.text
    stripped_left = text.lstrip(_TRIM)
    lead = utf16_len(text[: len(text) - len(stripped_left)])
    visible = stripped_left.rstrip(_TRIM)
    total = utf16_len(visible)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed = dict(entity)
            fixed["offset"] = start
            fixed["length"] = end - start
            entities.append(fixed)
    return ParsedText(visible, entities)
