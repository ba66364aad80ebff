"""Writing exported rows to a file: CSV with the standard library, XLSX with openpyxl.

The file appears whole or not at all: it is written next to its final name and moved there
once complete, so a failure half-way never leaves a truncated export that looks finished.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from core.booking_export import ExportRow

FORMATS = ("csv", "xlsx")
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


def default_name(first: date, last: date, file_format: str) -> Path:
    return Path(f"bookings-{first.isoformat()}-to-{last.isoformat()}.{file_format}")


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


def _as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _write_csv(rows: list[ExportRow], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADERS)
        writer.writerows([_as_text(value) for value in _values(row)] for row in rows)


def _write_xlsx(rows: list[ExportRow], path: Path) -> None:
    from openpyxl import Workbook  # only this command needs it
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_values(row))
    for index, header in enumerate(HEADERS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(len(header), 10) + 4
        if header in XLSX_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = XLSX_FORMATS[header]
    sheet.freeze_panes = "A2"
    book.save(path)


WRITERS: dict[str, Callable[[list[ExportRow], Path], None]] = {
    "csv": _write_csv,
    "xlsx": _write_xlsx,
}


def write(rows: list[ExportRow], path: Path, file_format: str) -> None:
    """Write `rows` to `path` whole, or leave nothing there (see the module)."""
    # Readable by its owner only, as mkstemp makes it: the file holds children's ages.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    try:
        WRITERS[file_format](rows, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
