"""Raw rows of a commitments file: CSV or XLSX decoding and location of the header row.

Each row comes back as (1-based line or spreadsheet row, cells) so that
:mod:`geodata.commitments` can report defects where a user sees them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from geodata._commitments_template import REQUIRED_COLUMNS
from geodata.errors import InputError
from geodata.limits import check_archive, check_lines, csv_problem, csv_rows
from geodata.text import (
    NUL_REASON,
    clean_cell,
    detect_encoding,
    normalise_header,
    nul_line,
    sniff_delimiter,
)


def _find_header(name: str, rows: list[tuple[int, list[object]]]) -> tuple[int, dict[str, int]]:
    for number, cells in rows:
        keys = [normalise_header(c).replace(" ", "_") for c in cells]
        if "agreement_id" not in keys:
            continue
        index: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key and key not in index:
                index[key] = i
        missing = [c for c in REQUIRED_COLUMNS if c not in index]
        if missing:
            found = [clean_cell(c) for c in cells if clean_cell(c)]
            raise InputError.single(
                name,
                f"missing required column(s) {missing}; found {found}",
                code="missing_column",
                row=number,
            )
        return number, index
    raise InputError.single(
        name,
        "no header row: no cell reads 'agreement_id' (see the commitments template)",
        code="missing_header",
    )


def _csv_rows(path: Path) -> list[tuple[int, list[object]]]:
    data = _read_bytes(path)
    check_lines(data, path.name)
    if not data.strip():
        raise InputError.single(path.name, "the file is empty", code="empty_file")
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError.single(
            path.name, f"cannot be decoded as {encoding}", code="bad_encoding", row=line
        ) from None
    if (line := nul_line(text)) is not None:
        raise InputError.single(path.name, NUL_REASON, code="bad_encoding", row=line)
    header = next((ln for ln in text.splitlines() if "agreement_id" in ln.lower()), "")
    reader = csv_rows(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header, ";,\t"))
    rows: list[tuple[int, list[object]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, list(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise csv_problem(exc, path.name, start) from None
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _read_bytes(path)  # a missing or unreadable file is reported like any other input
    check_archive(path, path.name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputError.single(
            path.name, f"not a readable XLSX workbook ({exc})", code="unreadable"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot be read: {exc.strerror}", code="unreadable"
        ) from None
