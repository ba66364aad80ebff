"""`koldo export bookings`: the rows core gives for a span of days (on SQLite and PostgreSQL),
the CSV and XLSX files the command writes from them, read back, and the arguments it refuses.

"Today" is Tuesday 5 January 2027, 8:00 in Bishkek. Tuesday holds a doctor's visit at 10:00
(marked: did not come) and a hot meal at 12:00 (came); Wednesday a meal cancelled and a meal
whose family then asked to be forgotten; Friday (Thursday is Orthodox Christmas) a meal
outside the span exported.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.booking_export import Attendance, ExportRow, bookings_between
from core.bookings import BookingStatus, cancel
from core.clock import freeze
from core.day_roster import mark_attendance
from core.erasure import forget_user
from core.errors import InvalidInput
from core.staff import add_staff
from koldo.cli import main
from storage.database import Database
from storage.models import AuditEntry
from tests.conftest import run_sync
from tests.e2e import rows
from tests.test_core_day_roster import (
    DOCTOR,
    KY_PARENT,
    MEAL,
    OSH,
    RU_PARENT,
    RULES,
    STAFF,
    TUESDAY,
    at,
    booked,
)

ZONE = RULES.zone
WEDNESDAY, FRIDAY = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=3)
CANCELLING, FORGOTTEN, LATER = 8103, 8104, 8105
KEY = b"k" * 32
BOOKED_AT = datetime(2027, 1, 5, 8, 0)  # local, as the export writes it


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(TUESDAY, 8))
    yield
    freeze(None)


@dataclass(frozen=True)
class Made:
    doctor: str
    meal: str
    cancelled: str
    erased: str
    later: str


async def a_week_of_bookings(db: Database) -> Made:
    await add_staff(db, STAFF, "Нурлан")
    doctor = await booked(db, KY_PARENT, "ky", DOCTOR, at(TUESDAY, 10))
    meal = await booked(db, RU_PARENT, "ru", MEAL, at(TUESDAY, 12), ages=(7, 9))
    cancelled = await booked(db, CANCELLING, "ru", MEAL, at(WEDNESDAY, 12), ages=(6,))
    erased = await booked(db, FORGOTTEN, "en", MEAL, at(WEDNESDAY, 12, 30), ages=(6, 8, 10))
    later = await booked(db, LATER, "ru", MEAL, at(FRIDAY, 12))
    await mark_attendance(db, staff_id=STAFF, booking_id=doctor.id, came=False, rules=RULES)
    await mark_attendance(db, staff_id=STAFF, booking_id=meal.id, came=True, rules=RULES)
    await cancel(db, user_id=CANCELLING, booking_id=cancelled.id, rules=RULES)
    await forget_user(db, FORGOTTEN, key=KEY)
    return Made(doctor.reference, meal.reference, cancelled.reference, erased.reference,
                later.reference)  # fmt: skip


def expected(made: Made) -> list[ExportRow]:
    def row(reference, service, day, hour, minute, status, ages, attendance, family):
        return ExportRow(
            reference=reference, centre=OSH, service=service, day=day, time=time(hour, minute),
            status=status, children=len(ages) or 3, ages=ages, attendance=attendance,
            family=family, booked_at=BOOKED_AT.replace(tzinfo=ZONE),
        )  # fmt: skip

    return [
        row(made.doctor, DOCTOR, TUESDAY, 10, 0, BookingStatus.NO_SHOW, (7,),
            Attendance.DID_NOT_COME, KY_PARENT),
        row(made.meal, MEAL, TUESDAY, 12, 0, BookingStatus.ATTENDED, (7, 9), Attendance.CAME,
            RU_PARENT),
        row(made.cancelled, MEAL, WEDNESDAY, 12, 0, BookingStatus.CANCELLED, (6,), None,
            CANCELLING),
        # Forgotten: no family, no ages; the three children still count.
        row(made.erased, MEAL, WEDNESDAY, 12, 30, BookingStatus.CANCELLED, (), None, None),
    ]  # fmt: skip


async def test_the_rows_of_a_span_of_days_with_attendance_and_erasure(db):
    made = await a_week_of_bookings(db)
    exported = await bookings_between(
        db, first=TUESDAY, last=WEDNESDAY, zone=ZONE, actor="cli", file_format="csv"
    )
    assert exported == expected(made)
    assert made.later not in {row.reference for row in exported}

    # One day alone; a span with nothing in it.
    only_friday = await bookings_between(
        db, first=FRIDAY, last=FRIDAY, zone=ZONE, actor="cli", file_format="xlsx"
    )
    assert [(r.reference, r.attendance, r.family) for r in only_friday] == [
        (made.later, Attendance.NOT_MARKED, LATER)
    ]
    nothing = date(2027, 2, 1)
    assert (
        await bookings_between(
            db, first=nothing, last=nothing, zone=ZONE, actor="cli", file_format="csv"
        )
        == []
    )

    audit = await rows(db, AuditEntry, AuditEntry.action == "bookings.exported")
    assert [(a.actor_id, a.object_id, a.details) for a in audit] == [
        (None, "2027-01-05..2027-01-06", {"actor": "cli", "format": "csv", "rows": 4}),
        (None, "2027-01-08..2027-01-08", {"actor": "cli", "format": "xlsx", "rows": 1}),
        (None, "2027-02-01..2027-02-01", {"actor": "cli", "format": "csv", "rows": 0}),
    ]
    with pytest.raises(InvalidInput):
        await bookings_between(
            db, first=WEDNESDAY, last=TUESDAY, zone=ZONE, actor="cli", file_format="csv"
        )


# ------------------------------------------------------------------------------ the command


def working_folder(tmp_path: Path) -> Path:
    """Where the command runs: apart from the SQLite file, so what it leaves can be seen."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def exported_database(database_url, monkeypatch, tmp_path) -> Made:
    """The week's bookings in the database the command reads (KOLDO_DATABASE__URL), the
    working directory a folder of the test's own."""
    for name in list(__import__("os").environ):
        if name.startswith("KOLDO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KOLDO_DATABASE__URL", database_url)
    monkeypatch.chdir(working_folder(tmp_path))

    async def make() -> Made:
        db = Database.from_url(database_url)
        try:
            return await a_week_of_bookings(db)
        finally:
            await db.dispose()

    return run_sync(make())


HEADERS = [
    "Reference", "Centre", "Service", "Date", "Time", "Status", "Children", "Ages",
    "Attendance", "Family", "Booked at",
]  # fmt: skip


def as_csv(row: ExportRow) -> list[str]:
    return [
        row.reference, row.centre, row.service, row.day.isoformat(), row.time.strftime("%H:%M"),
        row.status.value, str(row.children), ", ".join(map(str, row.ages)),
        row.attendance.value if row.attendance else "",
        str(row.family) if row.family else "erased", "2027-01-05 08:00",
    ]  # fmt: skip


def test_the_command_writes_csv_by_default_named_after_the_span(exported_database, capsys):
    assert main(["export", "bookings", "--from", "2027-01-05", "--to", "2027-01-06"]) == 0
    path = Path("bookings-2027-01-05-to-2027-01-06.csv")
    assert capsys.readouterr().out.strip() == (
        f"4 bookings from 2027-01-05 to 2027-01-06 written to {path}"
    )
    with path.open(newline="", encoding="utf-8") as file:
        header, *body = list(csv.reader(file))
    assert header == HEADERS
    assert body == [as_csv(row) for row in expected(exported_database)]
    # Attendance and no-shows per family, from the rows alone.
    came = {(r[9], r[8]) for r in body if r[8] in ("came", "did not come")}
    assert came == {(str(RU_PARENT), "came"), (str(KY_PARENT), "did not come")}
    assert list(Path().iterdir()) == [path]  # nothing else left behind
    assert path.stat().st_mode & 0o777 == 0o600  # children's ages: for its owner only


def test_the_command_writes_xlsx_with_dates_and_numbers_as_such(exported_database):
    output = Path("january.xlsx")
    arguments = ["--from", "2027-01-05", "--to", "2027-01-06", "--format", "xlsx"]
    assert main(["export", "bookings", *arguments, "--output", str(output)]) == 0
    sheet = load_workbook(output).active
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "Bookings" and header == HEADERS
    made = expected(exported_database)
    assert body == [
        [
            row.reference, row.centre, row.service, datetime.combine(row.day, time()), row.time,
            row.status.value, row.children, ", ".join(map(str, row.ages)) or None,
            row.attendance.value if row.attendance else None,
            row.family if row.family else "erased", BOOKED_AT,
        ]
        for row in made
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--from", "2027-01-06", "--to", "2027-01-05"],
         "koldo: --from 2027-01-06 is after --to 2027-01-05."),
        (["--from", "5.1.2027", "--to", "2027-01-05"],
         "koldo: --from '5.1.2027' is not a date like 2027-03-01."),
        (["--from", "2027-01-05", "--to", "2027-02-30"],
         "koldo: --to '2027-02-30' is not a date like 2027-03-01."),
        (["--from", "2027-01-05", "--to", "2027-01-06", "--format", "pdf"],
         "koldo: --format 'pdf' is not one of csv, xlsx."),
        (["--from", "2027-01-05", "--to", "2027-01-06", "--output", "missing/b.csv"],
         "koldo: --output missing/b.csv: the folder missing does not exist."),
        (["--from", "2027-01-05"],
         "koldo: the following arguments are required: --to "
         "(see: koldo export bookings --help)."),
    ],
)  # fmt: skip
def test_bad_arguments_say_what_is_wrong_in_one_line_and_write_nothing(
    sqlite_database_url, monkeypatch, tmp_path, capsys, arguments, error
):
    monkeypatch.setenv("KOLDO_DATABASE__URL", sqlite_database_url)
    monkeypatch.chdir(working := working_folder(tmp_path))
    try:
        code = main(["export", "bookings", *arguments])
    except SystemExit as stop:  # argparse's own checks (a missing option) end this way
        code = stop.code
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [error]
    assert list(working.iterdir()) == []

    async def exports() -> list[AuditEntry]:
        db = Database.from_url(sqlite_database_url)
        try:
            return await rows(db, AuditEntry, AuditEntry.action == "bookings.exported")
        finally:
            await db.dispose()

    assert run_sync(exports()) == []
