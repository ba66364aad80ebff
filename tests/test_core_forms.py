"""The form rules in core: what is asked, in which order, and what a valid answer is."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.forms import (
    MAX_ATTACHMENTS,
    MAX_DESCRIPTION,
    Answers,
    AttachmentKind,
    Category,
    Field,
    Subject,
    add_attachment,
    add_description,
    clean_text,
    fields_for,
    missing_fields,
    next_field,
    normalize_phone,
    parse_child_age,
    parse_grade,
    pretty_phone,
    previous_field,
)
from core.urgency import UrgencyKeywords
from koldo.settings import DataSettings


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+996 700 123 456", "+996700123456"),
        ("996700123456", "+996700123456"),
        ("0700123456", "+996700123456"),
        ("0 (555) 12-34-56", "+996555123456"),
        ("700 123 456", "+996700123456"),
        ("+996 312 62 14 50", "+996312621450"),
    ],
)
def test_kyrgyz_numbers_in_every_usual_spelling(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "12345", "+7 916 123 45 67", "0800123456", "+99670012345", "abc"]
)
def test_other_numbers_are_refused(typed):
    with pytest.raises(InvalidInput) as error:
        normalize_phone(typed)
    assert error.value.code in {"invalid_phone", "empty"}


def test_pretty_phone():
    assert pretty_phone("+996700123456") == "+996 700 123 456"


def test_documents_for_a_child_ask_the_age_and_for_oneself_do_not():
    answers = Answers(category=Category.DOCUMENTS, subject=Subject.CHILD)
    assert Field.CHILD_AGE in fields_for(answers)
    answers.subject = Subject.SELF
    assert Field.CHILD_AGE not in fields_for(answers)
    assert next_field(answers, Field.SUBJECT) is Field.SETTLEMENT
    assert previous_field(answers, Field.SETTLEMENT) is Field.SUBJECT


def test_school_order_and_summary_position():
    answers = Answers(category=Category.SCHOOL)
    assert fields_for(answers) == [
        Field.CHILD_AGE,
        Field.GRADE,
        Field.SETTLEMENT,
        Field.OBSTACLE,
        Field.DESCRIPTION,
        Field.PHONE,
        Field.DANGER,
    ]
    assert next_field(answers, Field.PHONE) is Field.DANGER
    assert next_field(answers, Field.DANGER) is None
    assert previous_field(answers, None) is Field.DANGER
    assert previous_field(answers, Field.CHILD_AGE) is None


def test_relevant_drops_answers_no_longer_asked():
    answers = Answers(category=Category.DOCUMENTS, subject=Subject.SELF, child_age=7, grade=3)
    relevant = answers.relevant()
    assert relevant.child_age is None and relevant.grade is None
    assert Field.CHILD_AGE not in missing_fields(relevant)


def test_answers_survive_a_json_round_trip():
    answers = Answers(category=Category.SCHOOL, child_age=9, grade=3, description="x")
    add_attachment(answers, AttachmentKind.VOICE, "v1")
    assert Answers.from_json(answers.to_json()) == answers


@pytest.mark.parametrize(
    ("category", "typed", "code"),
    [
        (Category.DOCUMENTS, "18", "age_out_of_range"),
        (Category.SCHOOL, "5", "age_out_of_range"),
        (Category.DOCUMENTS, "-1", "not_a_number"),
        (Category.DOCUMENTS, "nine", "not_a_number"),
        (Category.DOCUMENTS, " ", "empty"),
    ],
)
def test_child_age_limits(category, typed, code):
    with pytest.raises(InvalidInput) as error:
        parse_child_age(category, typed)
    assert error.value.code == code


def test_valid_ages_and_grades():
    assert parse_child_age(Category.DOCUMENTS, " 0 ") == 0
    assert parse_child_age(Category.SCHOOL, "16") == 16
    assert parse_grade("11") == 11
    with pytest.raises(InvalidInput):
        parse_grade("12")


def test_story_grows_message_by_message_up_to_the_limit():
    answers = Answers(category=Category.DOCUMENTS)
    add_description(answers, "first")
    add_description(answers, "second")
    assert answers.description == "first\n\nsecond"
    with pytest.raises(InvalidInput) as error:
        for _ in range(5):
            add_description(answers, "x" * 1500)
    assert error.value.params["limit"] == MAX_DESCRIPTION
    assert len(answers.description) <= MAX_DESCRIPTION


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Сын\x00 потерял паспорт \n", "Сын потерял паспорт"),
        ("half of a pair \ud83d", "half of a pair"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # joiners inside are kept
        ("<b>as typed</b> &amp;", "<b>as typed</b> &amp;"),
    ],
)
def test_text_is_kept_as_typed_without_what_databases_refuse(typed, kept):
    assert clean_text(typed) == kept


@pytest.mark.parametrize("typed", ["", "   ", "\x00", "\u200b", "\u200c\u200d", "\ufeff \u2060"])
def test_text_with_nothing_visible_is_empty(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_text(typed)
    assert refused.value.code == "empty"


def test_attachments_are_limited():
    answers = Answers(category=Category.DOCUMENTS)
    for number in range(MAX_ATTACHMENTS):
        add_attachment(answers, AttachmentKind.PHOTO, f"p{number}")
    with pytest.raises(InvalidInput):
        add_attachment(answers, AttachmentKind.PHOTO, "one-too-many")


@pytest.fixture(scope="module")
def keywords() -> UrgencyKeywords:
    return UrgencyKeywords.load(DataSettings().urgent_keywords_file)


@pytest.mark.parametrize(
    "text",
    [
        "Отчим избивает дочь",
        "Күйөөм баламды уруп жатат",
        "My husband beats our son",
        "ОТЧИМ ИЗБИВАЕТ ДОЧЬ",
    ],
)
def test_urgent_texts(keywords, text):
    assert keywords.matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "Нужен билет в школу, ребенок болеет, потеряли паспорт",
        "Балам мектепке бара албай жатат, документтерди жоготтук",
        "We lost the passport and he cannot attend school",
        "",
    ],
)
def test_everyday_texts_are_not_urgent(keywords, text):
    assert not keywords.matches(text)
