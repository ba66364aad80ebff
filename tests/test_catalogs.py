"""Every text a person can see exists, translated, in Russian, Kyrgyz and English."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from core.languages import SUPPORTED_LANGUAGES
from koldo.catalogs import extract, po_path

PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
TAG = re.compile(r"</?([a-z-]+)")


def load(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def forms(message: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs: each plural form is checked against the plural source."""
    if isinstance(message.id, tuple):
        singular, plural = message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return [(singular if i == 0 else plural, s) for i, s in enumerate(strings)]
    return [(message.id, message.string)]


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    assert len(ids) > 100, "extraction found too little: are the keywords right?"
    return ids


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_catalog_matches_the_code(language, source_ids):
    catalog_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in load(language) if m.id}
    assert source_ids - catalog_ids == set(), "run `python -m koldo.catalogs` and translate"
    assert catalog_ids - source_ids == set(), "stale entries: run `python -m koldo.catalogs`"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_entry_translated_and_not_fuzzy(language):
    catalog = load(language)
    problems = [m.id for m in catalog if m.id and (m.fuzzy or not all(s for _, s in forms(m)))]
    assert problems == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_placeholders_and_markup_are_kept(language):
    catalog = load(language)
    plural_forms = catalog.num_plurals
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert len(forms(message)) == plural_forms, message.id
        for source, translation in forms(message):
            assert Counter(PLACEHOLDER.findall(source)) == Counter(
                PLACEHOLDER.findall(translation)
            ), (language, source, translation)
            assert Counter(TAG.findall(source)) == Counter(TAG.findall(translation)), (
                language,
                source,
            )


def test_plural_rules_are_the_languages_own():
    assert load("ru").num_plurals == 3
    assert load("ky").num_plurals == 2
    assert load("en").num_plurals == 2


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_translations_are_not_left_in_english(language):
    catalog = load(language)
    untranslated = [
        m.id
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string == m.id and re.search(r"[a-z]{3}", m.id)
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_notes_for_translators_reach_the_catalogs(language):
    """A `# Translators:` comment above a marked string is what a translator sees as `#.`."""
    notes = {m.id: list(m.auto_comments) for m in extract() if m.id and m.auto_comments}
    assert notes, "no notes extracted: are the comment tags passed to the extraction?"
    catalog = load(language)
    assert {key: list(catalog[key].auto_comments) for key in notes} == notes


def test_short_labels_carry_a_note_for_translators():
    """One or two words (a button, a label, a status) are ambiguous without saying where."""
    bare = [
        m.id
        for m in extract()
        if m.id and isinstance(m.id, str) and len(re.findall(r"[A-Za-z']+", m.id)) <= 2
        if not m.auto_comments
    ]
    assert bare == []
