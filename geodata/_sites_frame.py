"""The canonical sites frame and what both source families share to build it.

:class:`SitesRead` and the frame's columns (described in :mod:`geodata.sites`),
the decoding of a delimited text table, and the cell rules (optional dates,
INSEE codes) that the ANFR and ARCEP readers apply alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geodata.errors import InputError, ProblemCollector
from geodata.limits import check_lines, csv_problem, csv_rows
from geodata.text import (
    NUL_REASON,
    clean_cell,
    detect_encoding,
    normalise_insee,
    nul_line,
    parse_date,
    sniff_delimiter,
)

COLUMNS = (
    "station_id operator_code operator_name insee lon lat systems bands has_5g in_service_on"
    " station_in_service_on source_row source_table"
).split()


@dataclass
class SitesRead:
    """Sites read from one file, the source family and recoverable oddities."""

    frame: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Table:
    file: str
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]

    def records(self) -> list[tuple[int, dict[str, str]]]:
        return [
            (line, dict(zip(self.columns, row, strict=True)))
            for line, row in zip(self.lines, self.rows, strict=True)
        ]


def _parse_table(file: str, data: bytes, required: list[str], delimiter: str | None) -> _Table:
    """Decode and split a delimited text table; header names are kept as written (stripped)."""
    check_lines(data, file)
    if not data.strip():
        raise InputError.single(file, "empty file", code="empty_file")
    text = data.decode(detect_encoding(data[: 1 << 20]), errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError.single(file, "empty file", code="empty_file")
    if (line := nul_line(text)) is not None:
        raise InputError.single(file, NUL_REASON, row=line, code="bad_encoding")
    sep = delimiter or sniff_delimiter(text.split("\n", 1)[0])
    reader = csv_rows(io.StringIO(text, newline=""), delimiter=sep)
    try:
        return _table_rows(file, reader, required)
    except csv.Error as exc:
        raise csv_problem(exc, file, reader.line_num) from None


def _table_rows(file: str, reader: Any, required: list[str]) -> _Table:
    header = [clean_cell(h) for h in next(reader)]
    while header and header[-1] == "":
        header.pop()  # a trailing separator at the end of every line
    missing = [c for c in required if c.upper() not in {h.upper() for h in header}]
    if missing:
        raise InputError.single(
            file,
            f"missing column(s) {', '.join(missing)}; header was {'; '.join(header)[:200]!r}",
            row=1,
            code="missing_column",
        )
    problems = ProblemCollector(file)
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        while len(row) > len(header) and row[-1] == "":
            row.pop()
        if len(row) != len(header):
            problems.add(f"expected {len(header)} fields, found {len(row)}", row=reader.line_num)
            continue
        rows.append(row)
        lines.append(reader.line_num)
    problems.raise_if_any("bad_row")
    canonical = {h.upper(): h for h in required}
    return _Table(file, [canonical.get(h.upper(), h) for h in header], rows, lines)


def _optional_date(
    value: str, line: int, column: str, problems: ProblemCollector
) -> dt.date | None:
    text = clean_cell(value)
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        problems.add(str(exc), row=line, column=column, value=text)
        return None


def _insee(value: str, line: int, warnings: list[str]) -> str | None:
    text = clean_cell(value)
    if not text:
        return None
    try:
        return normalise_insee(text)
    except ValueError:
        warnings.append(f"row {line}: INSEE code {text!r} not recognised; commune left empty")
        return None


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("station_id", "operator_code", "operator_name", "insee", "source_table"):
        frame[column] = frame[column].astype("string")
    frame["lon"] = frame["lon"].astype("float64")
    frame["lat"] = frame["lat"].astype("float64")
    frame["has_5g"] = frame["has_5g"].astype(bool)
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
