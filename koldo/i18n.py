"""The gettext catalogs every front translates with, read straight from the `.po` files.

The catalogs are compiled in memory when a process starts, so there is no build step and no
compiled file to forget to regenerate. Nothing here knows Telegram: the bot wraps these
translations in aiogram's I18n, a web front can use them as they are.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.languages import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for the catalogs without translating it yet."""
    return message


def read_catalogs(
    path: Path = LOCALES_DIR, domain: str = DOMAIN
) -> dict[str, gettext.GNUTranslations]:
    """The translations of each supported language that has a catalog under `path`."""
    translations: dict[str, gettext.GNUTranslations] = {}
    for language in SUPPORTED_LANGUAGES:
        po_path = path / language / "LC_MESSAGES" / f"{domain}.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as file:
            catalog = read_po(file, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        translations[language] = gettext.GNUTranslations(buffer)
    return translations
