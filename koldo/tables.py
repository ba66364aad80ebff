"""Tables in files for the operator's commands: CSV or XLSX read into lines of cells by column
name (`koldo sessions import`), and rows written out as CSV or XLSX or printed as a table
(`koldo report trainings`)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from core.training_import import Line

Cell = str | int


class TableError(Exception):
    """The file cannot be read as a table (not CSV or XLSX, not there, damaged)."""


def read_table(path: Path) -> tuple[list[str], list[Line]]:
    """The header (column names, lower case) and every non-empty line after it, each with
    its line number in the file (the header is line 1) and its cells as text."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = _csv_rows(path)
        elif suffix == ".xlsx":
            rows = _xlsx_rows(path)
        else:
            raise TableError(f"{path.name}: not a .csv or .xlsx file")
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as error:
        raise TableError(f"{path.name}: {error}") from error
    if not rows:
        raise TableError(f"{path.name}: the file is empty")
    (_, header_cells), *rest = rows
    header = [cell.strip().lower() for cell in header_cells]
    lines = [
        (number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)})
        for number, cells in rest
        if any(cell.strip() for cell in cells)
    ]
    return header, lines


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Rows with the number of the file line each starts on (a quoted cell may span lines).
    Commas or semicolons (a spreadsheet in a Russian locale writes those)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        sample = file.read(4096)
        file.seek(0)
        delimiter = (
            ";"
            if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(",")
            else ","
        )
        reader = csv.reader(file, delimiter=delimiter)
        rows, start = [], 1
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
        return rows


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [
            (number, [_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _text(value: Any) -> str:
    """A spreadsheet cell as the import reads it: dates as 2027-03-01, times as 14:00."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


FORMATS = ("csv", "xlsx")


def write_table(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    sheet: str = "Sheet1",
    number_formats: Mapping[str, str] | None = None,
) -> None:
    """CSV or XLSX, as the file's name says. Numbers and moments stay such in a spreadsheet
    (`number_formats`: how a column's cells show, by its header); CSV writes them as text.

    The file appears whole or not at all: it is written next to its final name and moved
    there once complete, so a failure half-way never leaves a truncated file that looks
    finished. It is readable by its owner only, as mkstemp makes it: exports may hold
    children's ages."""
    writer = _write_xlsx if path.suffix.lower() == ".xlsx" else _write_csv
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    try:
        writer(Path(temporary), header, rows, sheet, number_formats or {})
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    _sheet: str,
    _formats: Mapping[str, str],
) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows([_as_text(value) for value in row] for row in rows)


def _write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    sheet_title: str,
    formats: Mapping[str, str],
) -> None:
    from openpyxl import Workbook  # only the commands that write XLSX need it
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for index, name in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(len(name), 10) + 4
        if name in formats:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[name]
    sheet.freeze_panes = "A2"
    book.save(path)


def format_table(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """Columns aligned for a terminal: text to the left, numbers to the right."""
    cells = [list(map(str, header)), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [
        all(isinstance(row[i], int) for row in rows) and bool(rows) for i in range(len(header))
    ]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
