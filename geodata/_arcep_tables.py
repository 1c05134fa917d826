"""The tables of an ARCEP observatory file: XLSX sheets or a CSV, each from its header row down.

Decoding the file (legacy Excel refused, encodings, truncation, corrupt archives) and finding
the ``Code commune`` header below the title rows are the same for every vintage;
:mod:`geodata.arcep` then tells the layouts apart and reads their columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import InputError
from geodata.limits import check_archive, check_lines, csv_problem, csv_rows
from geodata.text import (
    clean_cell,
    detect_encoding,
    is_quarter_label,
    normalise_header,
    quarter_end,
    sniff_delimiter,
)

MAX_TITLE_ROWS = 10
_CODE = "code commune"


@dataclass
class _Table:
    """One sheet (or the CSV) from its header row down."""

    name: str
    header: list[str]
    keys: list[str]
    code_index: int
    rows: list[tuple[int, list[object]]]

    def find(self, key: str, *, prefix: bool = False) -> int | None:
        for i, k in enumerate(self.keys):
            if k == key or (prefix and k.startswith(key)):
                return i
        return None

    def quarter_columns(self) -> list[tuple[int, dt.date]]:
        return [(i, quarter_end(h)) for i, h in enumerate(self.header) if is_quarter_label(h)]


def _load_tables(path: Path, file: str) -> list[_Table | None]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError.single(file, f"cannot read the file: {exc.strerror}",
                                code="unreadable") from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError.single(file, "legacy Excel 97-2003 (.xls) file: save it as .xlsx or CSV",
                                code="unsupported_format")
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _load_xlsx(path, file)
    return [_load_csv(path, file)]


def _load_xlsx(path: Path, file: str) -> list[_Table | None]:
    import openpyxl

    check_archive(path, file)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted types on corrupt archives
        raise InputError.single(file, f"not a readable XLSX workbook ({type(exc).__name__})",
                                code="unreadable") from None
    try:
        tables = []
        for sheet in workbook.worksheets:
            # Dimensions written by some tools are wrong: read what is there.
            sheet.reset_dimensions()
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            tables.append(_take_table(sheet.title, rows))
        return tables
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as exc:
        raise InputError.single(file, f"truncated or corrupt XLSX workbook ({type(exc).__name__})",
                                code="unreadable") from None
    finally:
        workbook.close()


def _load_csv(path: Path, file: str) -> _Table | None:
    raw = path.read_bytes()
    check_lines(raw, file)
    if not raw.strip():
        raise InputError.single(file, "the file is empty", code="empty_file")
    if b"\x00" in raw[:65536]:
        raise InputError.single(file, "not a text file (binary content): expected XLSX or CSV",
                                code="unsupported_format")
    try:
        text = raw.decode(detect_encoding(raw))
    except UnicodeDecodeError:
        # detect_encoding accepts a sample cut inside a character; a whole file is truncated.
        raise InputError.single(file, "the file ends in the middle of a UTF-8 character: "
                                "truncated?", code="unreadable") from None
    lines = text.splitlines()[: MAX_TITLE_ROWS + 1]
    header = next((line for line in lines if _CODE in normalise_header(line)[:40]), "")
    try:
        return _take_table(file, _numbered(text, sniff_delimiter(header)))
    except csv.Error as exc:
        raise csv_problem(exc, file, None) from None


def _numbered(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Number CSV records by the line they start on, as an editor shows it."""
    reader = csv_rows(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _take_table(name: str, rows: Iterator[tuple[int, Iterable[object]]]) -> _Table | None:
    """Find the header within the first rows (0..10 title rows), then keep the non-blank rows."""
    for row_number, cells in rows:
        if row_number > MAX_TITLE_ROWS + 1:
            return None
        header = [clean_cell(c) for c in cells]
        keys = [normalise_header(c) for c in header]
        if _CODE in keys[:3]:
            break
    else:
        return None
    width = len(header)
    data = []
    for row_number, cells in rows:
        values = list(cells)[:width]
        if all(clean_cell(v) == "" for v in values):
            continue
        data.append((row_number, values + [None] * (width - len(values))))
    return _Table(name, header, keys, keys.index(_CODE), data)
