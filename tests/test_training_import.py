"""`koldo sessions import`: a table of sessions, checked line by line before anything is
stored; every bad line reported with its number and why, nothing imported unless all are
good, and the same file imported again changing nothing. On SQLite and PostgreSQL, from CSV
and XLSX, and through the command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.training_import import import_sessions
from core.training_sessions import move_session
from core.training_signups import subscribe
from koldo.cli import main
from koldo.tables import read_table
from storage.database import Database
from storage.models import OutboxEntry, SessionTrainer, TrainingSession
from tests.e2e import rows
from tests.test_core_trainings import (
    CO_TRAINER,
    STAFF,
    TRAINER,
    ZONE,
    at,
    day,
    frozen_clock,  # noqa: F401  (the same frozen Monday, 1 March 2027)
    people,
)
from tests.test_settings_and_cli import clean_env  # noqa: F401

HEADER = (
    "programme,date,start,end,settlement,place_kind,place_name,address,audience,capacity,trainers"
)
GOOD = [
    "positive-parenting,2027-03-03,15:00,17:00,ak-ordo,school,School No. 5,12 Zhibek Zholu,"
    "parents,20,7001",
    "wonderful-world-of-stem,04.03.2027,10:00,12:00,ala-too,day_centre,"
    '"Day centre, room 2",,children,15,"7001, 7002"',
]
BAD = [
    "knitting,2027-03-05,10:00,12:00,ak-ordo,school,School,,parents,20,7001",
    "gals,31.02.2027,10:00,12:00,ak-ordo,school,School,,parents,20,7001",
    "gals,2027-03-05,12:00,10:00,ak-ordo,school,School,,parents,20,7001",
    "gals,2027-03-05,10:00,12:00,ak-ordo,school,School,,parents,many,7001",
    "gals,2027-03-05,10:00,12:00,ak-ordo,school,School,,parents,20,99999",
    GOOD[0],
    "gals,2027-02-01,10:00,12:00,ak-ordo,school,School,,parents,20,7001",
    "gals,2027-03-05,10:00,12:00,ak-ordo,stadium,School,,pets,20,7001",
]


def csv_file(tmp_path: Path, *lines: str, name: str = "sessions.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


async def run_import(db, path: Path):
    header, lines = read_table(path)
    return await import_sessions(db, lines, header=header, zone=ZONE)


async def test_a_good_file_is_imported_with_trainers_and_reminders(db, tmp_path):
    await people(db, TRAINER, CO_TRAINER, 7101)
    await subscribe(db, user_id=7101, programme_code="positive-parenting", settlement_code=None)
    result = await run_import(db, csv_file(tmp_path, *GOOD))
    assert result.ok and len(result.created) == 2 and result.unchanged == 0
    sessions = await rows(db, TrainingSession)
    assert [(s.programme_code, s.starts_at.replace(tzinfo=None)) for s in sessions] == [
        ("positive-parenting", at(day(2), 15).replace(tzinfo=None)),
        ("wonderful-world-of-stem", at(day(3), 10).replace(tzinfo=None)),
    ]
    assert sessions[1].place_name == "Day centre, room 2" and sessions[1].address == ""
    assert [(t.session_id, t.user_id) for t in await rows(db, SessionTrainer)] == [
        (sessions[0].id, TRAINER),
        (sessions[1].id, TRAINER),
        (sessions[1].id, CO_TRAINER),
    ]
    kinds = [e.kind for e in await rows(db, OutboxEntry)]
    assert kinds.count("training_reminder") == 6 and kinds.count("training_new") == 1


async def test_every_bad_line_is_reported_with_its_number_and_nothing_is_imported(db, tmp_path):
    await people(db, TRAINER, CO_TRAINER)
    result = await run_import(db, csv_file(tmp_path, *GOOD, *BAD))
    assert [(p.line, p.code) for p in result.problems] == [
        (4, "programme"),
        (5, "date"),
        (6, "ends"),
        (7, "capacity"),
        (8, "unknown_trainer"),
        (9, "duplicate_line"),
        (10, "in_the_past"),
        (11, "place_kind"),
    ]
    assert result.problems[5].params == {"first": 2}
    assert result.created == []
    assert await rows(db, TrainingSession) == [] and await rows(db, OutboxEntry) == []


async def test_the_same_file_again_changes_nothing_even_after_a_move(db, tmp_path):
    from core.staff import add_staff

    await people(db, TRAINER, CO_TRAINER)
    await add_staff(db, STAFF, "Айгуль")
    path = csv_file(tmp_path, *GOOD)
    first = await run_import(db, path)
    before = [(e.id, e.state) for e in await rows(db, OutboxEntry)]
    again = await run_import(db, path)
    assert (again.created, again.unchanged) == ([], 2)
    assert [(e.id, e.state) for e in await rows(db, OutboxEntry)] == before
    # Staff moved a session; the file still says the old time, and still changes nothing.
    await move_session(
        db, actor_id=STAFF, session_id=first.created[0],
        starts_at=at(day(5), 15), ends_at=at(day(5), 17),
    )  # fmt: skip
    assert (await run_import(db, path)).unchanged == 2
    assert len(await rows(db, TrainingSession)) == 2
    # Trainers listed in another order, spaces around: the same line.
    reordered = GOOD[1].replace('"7001, 7002"', '"7002;7001"').replace("10:00", " 10:00 ")
    assert (await run_import(db, csv_file(tmp_path, reordered, name="b.csv"))).unchanged == 1


async def test_an_explicit_key_names_the_line_whatever_it_says(db, tmp_path):
    await people(db, TRAINER, CO_TRAINER)
    path = tmp_path / "keyed.csv"
    path.write_text(f"{HEADER},key\n{GOOD[0]},spring-1\n", encoding="utf-8")
    assert len((await run_import(db, path)).created) == 1
    path.write_text(f"{HEADER},key\n{GOOD[0].replace('20,7001', '25,7001')},spring-1\n")
    assert (await run_import(db, path)).unchanged == 1
    [session] = await rows(db, TrainingSession)
    assert session.capacity == 20


async def test_an_xlsx_file_reads_as_a_csv_does(db, tmp_path):
    from datetime import date, time

    await people(db, TRAINER, CO_TRAINER)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(
        ["gals", date(2027, 3, 5), time(10), time(12), "kelechek", "settlement", "Yard", "",
         "parents", 30, 7001]
    )  # fmt: skip
    sheet.append(
        ["gals", "2027-03-05", "10:00", "12:00", "kelechek", "school", "", "", "parents", 30, 7001]
    )
    path = tmp_path / "sessions.xlsx"
    book.save(path)
    result = await run_import(db, path)
    assert [(p.line, p.code, p.params) for p in result.problems] == [
        (3, "empty", {"column": "place_name"})
    ]
    sheet.delete_rows(3)
    book.save(path)
    result = await run_import(db, path)
    assert len(result.created) == 1
    [session] = await rows(db, TrainingSession)
    assert (session.settlement_code, session.capacity) == ("kelechek", 30)


async def test_a_header_without_the_columns_is_one_problem(db, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("programme,date\ngals,2027-03-05\n")
    result = await run_import(db, path)
    assert [(p.line, p.code) for p in result.problems] == [(1, "missing_columns")]
    assert "trainers" in result.problems[0].params["columns"]


def test_the_command_reports_bad_lines_and_imports_a_good_file_once(clean_env, tmp_path, capsys):  # noqa: F811
    assert main(["migrate"]) == 0 and main(["seed"]) == 0

    async def trainers() -> None:
        db = Database.from_url("sqlite+aiosqlite:///koldo.sqlite3")
        await people(db, TRAINER, CO_TRAINER)
        await db.dispose()

    asyncio.run(trainers())
    capsys.readouterr()
    assert main(["sessions", "import", str(csv_file(tmp_path, *GOOD, BAD[0], BAD[4]))]) == 1
    err = capsys.readouterr().err
    assert "sessions.csv, line 4: no active programme has the code 'knitting'" in err
    assert "line 5: trainer 99999 has never written to the bot" in err
    assert "Nothing imported: 2 bad line(s)." in err
    path = csv_file(tmp_path, *GOOD, name="good.csv")
    assert main(["sessions", "import", str(path)]) == 0
    assert "2 session(s) imported, 0 imported before" in capsys.readouterr().out
    assert main(["sessions", "import", str(path)]) == 0
    assert "0 session(s) imported, 2 imported before" in capsys.readouterr().out
    assert main(["sessions", "import", str(tmp_path / "missing.csv")]) == 2


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_a_file_that_is_no_table_is_said_in_one_sentence(clean_env, tmp_path, capsys, suffix):  # noqa: F811
    path = tmp_path / f"empty{suffix}"
    path.write_text("")
    assert main(["sessions", "import", str(path)]) == 2
    assert capsys.readouterr().err.startswith("koldo: empty")
