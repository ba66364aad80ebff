"""`koldo sessions import FILE` and `koldo report trainings`: the operator's side of training
sessions. Reasons and figures are printed in English, as every operator command is."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from core.training_import import ImportResult, Problem, import_sessions
from core.training_reports import Figures, TrainingsReport, trainings_report
from koldo.settings import Settings, SettingsError
from koldo.tables import Cell, TableError, format_table, read_table, write_table
from storage.database import Database

REASONS = {
    "missing_columns": "the header lacks the columns {columns}",
    "too_many_lines": "more than {most} lines; split the file",
    "empty": "the column {column} is empty",
    "date": "{value!r} is not a date (2027-03-01 or 01.03.2027)",
    "start": "{value!r} is not a time (14:00)",
    "end": "{value!r} is not a time (14:00)",
    "trainers": "{value!r} is not a Telegram user id",
    "programme": "no active programme has the code {value!r}",
    "settlement": "no active settlement has the code {value!r}",
    "in_the_past": "the session starts in the past",
    "ends": "the end must come after the start, at most {hours} hours later",
    "place_kind": "place_kind {value!r} is none of school, day_centre, settlement, other",
    "audience": "audience {value!r} is none of children, parents, teachers",
    "place_name": "place_name must have 1 to {most} characters",
    "address": "the address is longer than {most} characters",
    "unknown_trainer": "trainer {user_id} has never written to the bot (ask them to press /start)",
    "key": "the key is longer than {most} characters",
    "duplicate_line": "the same session as line {first}",
}
CAPACITY = {
    True: "the capacity must be a whole number from {low} to {high}",
    False: "{value!r} is not a whole number",
}
COLUMNS = (
    "programme", "settlement", "sessions", "girls", "boys", "women", "men",
    "age 6-9", "age 10-13", "age 14-16", "adults", "total", "trainers",
)  # fmt: skip
ALL = "(all)"


def describe(problem: Problem) -> str:
    """Why a line is bad, in words."""
    params = problem.params
    template = (
        CAPACITY["low" in params] if problem.code == "capacity" else REASONS.get(problem.code)
    )
    try:
        return template.format(**params) if template else f"{problem.code} {params}"
    except (KeyError, IndexError):
        return f"{problem.code} {params}"


async def import_file(settings: Settings, path: Path) -> int:
    """Exit status: 0 imported (or nothing new), 1 bad lines (nothing imported)."""
    try:
        header, lines = read_table(path)
    except TableError as error:
        raise SettingsError(str(error)) from error
    db = Database.from_url(settings.database.url)
    try:
        result: ImportResult = await import_sessions(
            db, lines, header=header, zone=settings.locale.zone
        )
    finally:
        await db.dispose()
    if not result.ok:
        for problem in result.problems:
            print(f"{path.name}, line {problem.line}: {describe(problem)}", file=sys.stderr)
        bad = len({problem.line for problem in result.problems})
        print(f"Nothing imported: {bad} bad line(s).", file=sys.stderr)
        return 1
    print(
        f"{len(result.created)} session(s) imported, {result.unchanged} imported before "
        "and left as they are."
    )
    return 0


def report_rows(report: TrainingsReport) -> list[list[Cell]]:
    """Each programme in each settlement, then each programme, each settlement, and all."""

    def row(programme: str, settlement: str, figures: Figures) -> list[Cell]:
        a = figures.attendance
        return [
            programme, settlement, figures.sessions, a.girls, a.boys, a.women, a.men,
            a.age_6_9, a.age_10_13, a.age_14_16, a.adults, a.total, figures.trainers,
        ]  # fmt: skip

    return [
        *(row(p, s, f) for (p, s), f in report.by_both.items()),
        *(row(p, ALL, f) for p, f in report.by_programme.items()),
        *(row(ALL, s, f) for s, f in report.by_settlement.items()),
        row(ALL, ALL, report.total),
    ]


async def report_trainings(
    settings: Settings, first: date, last: date, output: Path | None
) -> None:
    """The figures of the sessions held from `first` to `last` (local days, both included),
    printed, and written to `output` when one is given."""
    zone = settings.locale.zone
    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    db = Database.from_url(settings.database.url)
    try:
        report = await trainings_report(db, start=start, end=end)
    finally:
        await db.dispose()
    rows = report_rows(report)
    print(f"Training sessions held from {first} to {last}")
    print(format_table(COLUMNS, rows))
    if output is not None:
        write_table(output, COLUMNS, rows, sheet="Trainings")
        print(f"Written to {output}")
