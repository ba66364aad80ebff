"""Keeping the catalogs in step with the code: `python -m koldo.catalogs`.

Extracts every marked string from every front (`FRONTS`: the composition root's shared labels
and the Telegram bot; a web front joins the list) and merges it into
locales/{ru,ky,en}/LC_MESSAGES/messages.po: new strings appear untranslated, vanished ones are
dropped, existing translations are kept. The catalog test uses the same extraction.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.languages import SUPPORTED_LANGUAGES
from koldo.i18n import DOMAIN, LOCALES_DIR

PROJECT_DIR = Path(__file__).resolve().parent.parent
FRONTS = ("koldo", "bot")
# A comment starting with one of these, right above a marked string, goes into the catalogs as a
# note for translators (`#.` lines): short buttons and labels are ambiguous without it.
COMMENT_TAGS = ("Translators:", "i18n:")
# T/B/N_/gettext_/say take one message; TP/ngettext_/say_n take singular and plural.
KEYWORDS = {
    "T": None,
    "say": None,
    "say_n": (1, 2),
    "B": None,
    "N_": None,
    "gettext_": None,
    "TP": (1, 2),
    "ngettext_": (1, 2),
}


def extract() -> Catalog:
    template = Catalog(project="koldo", domain=DOMAIN)
    for front in FRONTS:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(PROJECT_DIR / front), keywords=KEYWORDS, comment_tags=COMMENT_TAGS
        ):
            template.add(
                message,
                locations=[(f"{front}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def update() -> None:
    template = extract()
    for language in SUPPORTED_LANGUAGES:
        path = po_path(language)
        if path.exists():
            with path.open("rb") as file:
                catalog = read_po(file, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="koldo", domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, sort_output=False)
        missing = sum(1 for m in catalog if m.id and not _translated(m.string))
        print(f"{path}: {len(catalog)} messages, {missing} untranslated")


def _translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


if __name__ == "__main__":
    update()
