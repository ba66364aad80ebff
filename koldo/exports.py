"""The bookings export's columns (`koldo export bookings`); koldo.tables writes the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.booking_export import ExportRow
from koldo.tables import write_table

ERASED = "erased"
HEADERS = (
    "Reference",
    "Centre",
    "Service",
    "Date",
    "Time",
    "Status",
    "Children",
    "Ages",
    "Attendance",
    "Family",
    "Booked at",
)
# Spreadsheet cells that hold moments: shown as they read in the CSV.
XLSX_FORMATS = {"Date": "yyyy-mm-dd", "Time": "hh:mm", "Booked at": "yyyy-mm-dd hh:mm"}


def _values(row: ExportRow) -> list[Any]:
    """A row's cells as a spreadsheet takes them: numbers and moments as such."""
    return [
        row.reference,
        row.centre,
        row.service,
        row.day,
        row.time,
        row.status.value,
        row.children,
        ", ".join(str(age) for age in row.ages),
        row.attendance.value if row.attendance else "",
        row.family if row.family is not None else ERASED,
        row.booked_at.replace(tzinfo=None),
    ]


def write(rows: list[ExportRow], path: Path) -> None:
    """The bookings as CSV or XLSX, as the file's name says (whole or not at all)."""
    write_table(
        path, HEADERS, [_values(row) for row in rows], sheet="Bookings",
        number_formats=XLSX_FORMATS,
    )  # fmt: skip
