"""What each kind of request asks for, in which order, and what a valid answer is.

Only the fields a category needs are asked (children's data: collect no more than the flow
needs). Every parser takes the raw text a person typed and returns the clean value or raises
`InvalidInput` with a code the front turns into a polite sentence.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.errors import InvalidInput


class Category(StrEnum):
    DOCUMENTS = "documents"
    SCHOOL = "school"


class DocumentType(StrEnum):
    BIRTH_CERTIFICATE = "birth_certificate"
    PASSPORT = "passport"
    REGISTRATION = "registration"
    OTHER = "other"


class Subject(StrEnum):
    CHILD = "child"
    SELF = "self"


class Obstacle(StrEnum):
    NO_DOCUMENTS = "no_documents"
    NO_PLACE = "no_place"
    COSTS = "costs"
    CHILD_WORKS = "child_works"
    OTHER = "other"


class Danger(StrEnum):
    """The parent's own answer to "Is a child in danger right now?", asked in every form: text
    matching cannot read a voice message, and a parent may not use the words it knows."""

    YES = "yes"
    NO = "no"


class Field(StrEnum):
    DOCUMENT_TYPE = "document_type"
    SUBJECT = "subject"
    CHILD_AGE = "child_age"
    GRADE = "grade"
    SETTLEMENT = "settlement"
    OBSTACLE = "obstacle"
    DESCRIPTION = "description"
    PHONE = "phone"
    DANGER = "danger"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"


OTHER_SETTLEMENT = "other"
MAX_TEXT = 2000  # one message of free text
MAX_DESCRIPTION = 4000  # all the text of one request together
MAX_SETTLEMENT_NAME = 100
MAX_ATTACHMENTS = 10
CHILD_AGE_RANGE = {Category.DOCUMENTS: (0, 17), Category.SCHOOL: (6, 17)}
GRADE_RANGE = (1, 11)


@dataclass
class Answers:
    """A form being filled in. Kept as plain JSON in the conversation state between screens."""

    category: Category
    document_type: DocumentType | None = None
    subject: Subject | None = None
    child_age: int | None = None
    grade: int | None = None
    settlement_code: str | None = None
    settlement_other: str | None = None
    obstacle: Obstacle | None = None
    description: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    phone: str | None = None
    danger: Danger | None = None
    # Names this form: the request filed from it keeps the key, so sending the same form twice
    # (a repeated update, a double tap, a press replayed after a crash) files it once.
    key: str | None = None
    # The Telegram messages the story was made of: a message delivered twice is added once.
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value not in (None, "", [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answers:
        values = dict(data)
        values["category"] = Category(values["category"])
        for key, kind in (
            ("document_type", DocumentType),
            ("subject", Subject),
            ("obstacle", Obstacle),
            ("danger", Danger),
        ):
            if values.get(key) is not None:
                values[key] = kind(values[key])
        return cls(**values)

    def relevant(self) -> Answers:
        """A copy without answers the form no longer asks for (e.g. a child's age left over
        after the parent changed "for a child" to "for me")."""
        asked = set(fields_for(self))
        values = vars(self).copy()
        for which in Field:
            if which in asked or which in (Field.SETTLEMENT, Field.DESCRIPTION):
                continue
            values[which.value] = None
        return Answers(**values)

    def is_answered(self, which: Field) -> bool:
        if which is Field.SETTLEMENT:
            return self.settlement_code is not None
        if which is Field.DESCRIPTION:
            return bool(self.description or self.attachments)
        return getattr(self, which.value) is not None


def new_form(category: Category) -> Answers:
    """An empty form with a key of its own."""
    return Answers(category=category, key=secrets.token_hex(16))


def fields_for(answers: Answers) -> list[Field]:
    """The questions of this form, in order; the child's age only when the help is for a child,
    and always, last, whether a child is in danger."""
    if answers.category is Category.DOCUMENTS:
        steps = [Field.DOCUMENT_TYPE, Field.SUBJECT]
        if answers.subject is not Subject.SELF:
            steps.append(Field.CHILD_AGE)
        return [*steps, Field.SETTLEMENT, Field.DESCRIPTION, Field.PHONE, Field.DANGER]
    return [
        Field.CHILD_AGE,
        Field.GRADE,
        Field.SETTLEMENT,
        Field.OBSTACLE,
        Field.DESCRIPTION,
        Field.PHONE,
        Field.DANGER,
    ]


def next_field(answers: Answers, current: Field | None) -> Field | None:
    """The question after `current` (the first when None); None means the summary comes next."""
    steps = fields_for(answers)
    if current is None:
        return steps[0]
    position = steps.index(current) if current in steps else -1
    return steps[position + 1] if position + 1 < len(steps) else None


def previous_field(answers: Answers, current: Field | None) -> Field | None:
    """The question before `current` (None: current is the first); from the summary, the last."""
    steps = fields_for(answers)
    if current is None:
        return steps[-1]
    position = steps.index(current) if current in steps else 0
    return steps[position - 1] if position > 0 else None


def missing_fields(answers: Answers) -> list[Field]:
    return [step for step in fields_for(answers) if not answers.is_answered(step)]


# PostgreSQL's text refuses NUL (and no UTF-8 can hold a lone surrogate): filing a story with
# one failed every time. Telegram passes both through, so they are left out of what is kept.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _shows(char: str) -> bool:
    """A character a reader sees: not a space, nor an invisible format or control character."""
    return not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc")


def clean_text(text: str | None, *, limit: int = MAX_TEXT) -> str:
    """Free text as typed, never altered beyond trimming and leaving out what no database
    stores (see `_UNSTORABLE`): empty (nothing visible in it) and oversized are refused."""
    value = _UNSTORABLE.sub("", text or "").strip()
    if not any(_shows(char) for char in value):
        raise InvalidInput("empty")
    if len(value) > limit:
        raise InvalidInput("too_long", limit=limit, length=len(value))
    return value


def message_text(text: str | None, attachment: AttachmentKind | str | None) -> str | None:
    """The words of a message on a request: checked like any text, except that a file may
    come without a caption."""
    return clean_text(text) if attachment is None or text else text


def add_description(answers: Answers, text: str) -> None:
    """Append one message to the description; a long story may arrive in several messages."""
    value = clean_text(text)
    combined = f"{answers.description}\n\n{value}" if answers.description else value
    if len(combined) > MAX_DESCRIPTION:
        raise InvalidInput("too_long", limit=MAX_DESCRIPTION, length=len(combined))
    answers.description = combined


def add_story_message(
    answers: Answers,
    *,
    source: str,
    text: str | None,
    attachment: AttachmentKind | None = None,
    file_id: str | None = None,
) -> bool:
    """Add one message (words, a file, or a file with a caption) to the story, all of it or,
    when something does not fit, none of it. False: this message was added before."""
    if source in answers.sources:
        return False
    trial = Answers(
        category=answers.category,
        description=answers.description,
        attachments=list(answers.attachments),
    )
    if attachment is not None and file_id is not None:
        add_attachment(trial, attachment, file_id)
    if text is not None:
        add_description(trial, text)
    answers.description, answers.attachments = trial.description, trial.attachments
    answers.sources.append(source)
    return True


def add_attachment(answers: Answers, kind: AttachmentKind, file_id: str) -> None:
    if len(answers.attachments) >= MAX_ATTACHMENTS:
        raise InvalidInput("too_many_files", limit=MAX_ATTACHMENTS)
    answers.attachments.append({"kind": kind.value, "file_id": file_id})


def parse_number(text: str | None) -> int:
    value = (text or "").strip()
    if not value:
        raise InvalidInput("empty")
    if not re.fullmatch(r"\d{1,3}", value):
        raise InvalidInput("not_a_number")
    return int(value)


def parse_child_age(category: Category, text: str | None) -> int:
    low, high = CHILD_AGE_RANGE[category]
    age = parse_number(text)
    if not low <= age <= high:
        raise InvalidInput("age_out_of_range", low=low, high=high)
    return age


def parse_grade(text: str | None) -> int:
    low, high = GRADE_RANGE
    grade = parse_number(text)
    if not low <= grade <= high:
        raise InvalidInput("grade_out_of_range", low=low, high=high)
    return grade


_PHONE_NOISE = re.compile(r"[\s()\-.]")
# Kyrgyz numbers: +996 and nine digits; mobile codes start with 2, 5, 7 or 9, landlines with 3 or 6.
_KG_NATIONAL = re.compile(r"[235679]\d{8}")


def normalize_phone(text: str | None) -> str:
    """A Kyrgyz phone number in any usual spelling → +996XXXXXXXXX."""
    raw = _PHONE_NOISE.sub("", (text or "").strip())
    if not raw:
        raise InvalidInput("empty")
    if raw.startswith("+"):
        raw = raw[1:]
        if not raw.startswith("996"):
            raise InvalidInput("invalid_phone")
    if raw.startswith("996") and len(raw) == 12:
        national = raw[3:]
    elif raw.startswith("0") and len(raw) == 10:
        national = raw[1:]
    else:
        national = raw
    if not _KG_NATIONAL.fullmatch(national):
        raise InvalidInput("invalid_phone")
    return f"+996{national}"


def pretty_phone(phone: str) -> str:
    """+996700123456 → +996 700 123 456, easier to read back over the phone."""
    if len(phone) == 13 and phone.startswith("+996"):
        return f"{phone[:4]} {phone[4:7]} {phone[7:10]} {phone[10:]}"
    return phone


def parse_settlement_name(text: str | None) -> str:
    return clean_text(text, limit=MAX_SETTLEMENT_NAME)
