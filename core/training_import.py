"""`koldo sessions import FILE`: many sessions at once from a table staff keep.

Every line is checked before anything is stored; one bad line and nothing is imported, and
every bad line is reported with its number and why (a code and its parameters, put into words
by the command). Each line has an import key: the `key` column when the table has one, else a
digest of what the line says. A line whose key is already stored is left as it is, so
importing the same file again changes nothing (even once its sessions have begun, or after
staff moved them).

Columns (a header line names them, in any order; `key` is optional):
programme, date, start, end, settlement, place_kind, place_name, address, audience, capacity,
trainers — date as 2027-03-01 or 01.03.2027, start and end as 14:00 in local time, trainers as
Telegram user ids separated by spaces, commas or semicolons.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import utcnow
from core.errors import InvalidInput
from core.training_rules import SessionDraft, check_draft
from core.training_sessions import add_session
from storage.database import Database

REQUIRED = (
    "programme", "date", "start", "end", "settlement", "place_kind", "place_name", "address",
    "audience", "capacity", "trainers",
)  # fmt: skip
KEY = "key"
MAX_KEY = 60
MAX_LINES = 5_000
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
TIME_FORMATS = ("%H:%M", "%H:%M:%S")


@dataclass(frozen=True)
class Problem:
    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: list[int]  # ids of the sessions made
    unchanged: int  # lines imported before
    problems: list[Problem]  # when any, nothing was imported

    @property
    def ok(self) -> bool:
        return not self.problems


Line = tuple[int, dict[str, str]]  # its number in the file, and its cells by column name


def _cell(cells: dict[str, str], name: str) -> str:
    return " ".join(str(cells.get(name) or "").split())


def _parse(text: str, formats: Sequence[str], what: str) -> Any:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise InvalidInput(what, value=text)


def _int(text: str, what: str) -> int:
    if not re.fullmatch(r"\d{1,9}", text):
        raise InvalidInput(what, value=text)
    return int(text)


def parse_line(cells: dict[str, str], zone: ZoneInfo) -> tuple[SessionDraft, str]:
    """The draft a line describes, and its import key; InvalidInput when it cannot be read."""
    for name in REQUIRED:
        if name not in ("address",) and not _cell(cells, name):
            raise InvalidInput("empty", column=name)
    day: date = _parse(_cell(cells, "date"), DATE_FORMATS, "date").date()
    start: time = _parse(_cell(cells, "start"), TIME_FORMATS, "start").time()
    end: time = _parse(_cell(cells, "end"), TIME_FORMATS, "end").time()
    trainers = tuple(
        _int(part, "trainers") for part in re.split(r"[\s,;]+", _cell(cells, "trainers")) if part
    )
    draft = SessionDraft(
        programme_code=_cell(cells, "programme").lower(),
        starts_at=datetime.combine(day, start, zone),
        ends_at=datetime.combine(day, end, zone),
        settlement_code=_cell(cells, "settlement").lower(),
        place_kind=_cell(cells, "place_kind").lower(),
        place_name=_cell(cells, "place_name"),
        address=_cell(cells, "address"),
        audience=_cell(cells, "audience").lower(),
        capacity=_int(_cell(cells, "capacity"), "capacity"),
        trainer_ids=trainers,
    )
    key = _cell(cells, KEY)
    if len(key) > MAX_KEY:
        raise InvalidInput("key", most=MAX_KEY)
    return draft, f"k:{key}" if key else _digest(draft)


def _digest(draft: SessionDraft) -> str:
    """What the line says, so the same line gives the same key (trainers in any order)."""
    said = "|".join(
        (
            draft.programme_code, draft.starts_at.isoformat(), draft.ends_at.isoformat(),
            draft.settlement_code, draft.place_kind, draft.place_name, draft.address,
            draft.audience, str(draft.capacity), ",".join(map(str, sorted(draft.trainer_ids))),
        )
    )  # fmt: skip
    return "d:" + hashlib.sha256(said.encode()).hexdigest()[:40]


def missing_columns(header: Sequence[str]) -> list[str]:
    return [name for name in REQUIRED if name not in header]


async def import_sessions(
    db: Database, lines: Sequence[Line], *, header: Sequence[str], zone: ZoneInfo
) -> ImportResult:
    """Check every line, then, only if all are good, store the new ones in one transaction
    (with their trainers' reminders and the subscribers' notices)."""
    missing = missing_columns(header)
    if missing:
        return ImportResult([], 0, [Problem(1, "missing_columns", {"columns": missing})])
    if len(lines) > MAX_LINES:
        return ImportResult([], 0, [Problem(1, "too_many_lines", {"most": MAX_LINES})])
    now = utcnow()
    async with db.transaction() as repos:
        parsed: list[tuple[int, SessionDraft, str]] = []
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for number, cells in lines:
            try:
                draft, key = parse_line(cells, zone)
            except InvalidInput as error:
                problems.append(Problem(number, error.code, error.params))
                continue
            if key in seen:
                problems.append(Problem(number, "duplicate_line", {"first": seen[key]}))
                continue
            seen[key] = number
            parsed.append((number, draft, key))
        stored = await repos.trainings.by_import_keys([key for _n, _d, key in parsed])
        checked: list[tuple[SessionDraft, str]] = []
        for number, draft, key in parsed:
            if key in stored:
                continue
            try:
                checked.append((await check_draft(repos, draft, now), key))
            except InvalidInput as error:
                problems.append(Problem(number, error.code, error.params))
        if problems:
            return ImportResult([], 0, sorted(problems, key=lambda p: p.line))
        created, notices = [], 0
        for draft, key in checked:
            training, notices = await add_session(
                repos, draft, actor_id=None, now=now, import_key=key, notices_before=notices
            )
            created.append(training.id)
        return ImportResult(created, len(parsed) - len(checked), [])
