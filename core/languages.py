"""The languages Koldo speaks."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("ru", "ky", "en")


def supported(code: str | None) -> str | None:
    """Map a Telegram language code ("ru", "ky-KG", "en-US") to one we speak, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None
