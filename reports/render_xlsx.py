"""XLSX rendering with openpyxl: one sheet per table, real numbers and dates, filters, frozen
headers; byte-identical for the same document (fixed properties and zip timestamps).

Every cell goes through :func:`append_row` (issue 12, item 4): a string is always a string
cell (``data_type`` ``"s"``), so text led by ``=`` (``=HYPERLINK(…)``) is shown, never run as a
formula; control characters XML cannot hold are shown as ``\\x1b``-style escapes.

Sheets are write-only (streamed to disk as rows are appended): a national report's workbook
holds millions of cells, which openpyxl's in-memory cells would take gigabytes to hold.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from reports import model as m
from reports.i18n import Words

# Excel shows the reader's own separators; the date order and the euro sign follow the report.
FORMATS = {
    "int": "#,##0",
    "days": "#,##0",
    "euros": '#,##0" €"',
    "share": "0.0%",
    "number": "#,##0.00",
    "date": "DD/MM/YYYY",
    "datetime": "DD/MM/YYYY HH:MM",
}
FORMATS_EN = {**FORMATS, "euros": '"€"#,##0', "date": "YYYY-MM-DD",
              "datetime": "YYYY-MM-DD HH:MM"}
HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def cell_text(text: str) -> str:
    """``text`` with the control characters an XLSX file cannot hold made visible (``\\x1b``)."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def append_row(ws, values: list, cells: list | None = None) -> None:
    """Append ``values`` to the write-only sheet ``ws``: numbers, dates and booleans typed,
    strings as plain text. ``cells`` (from :func:`row_cells`) gives each column a styled
    cell, refilled here (append writes the row out at once, so a cell serves every row)."""
    out = []
    for index, value in enumerate(values):
        cell = cells[index] if cells is not None else None
        if value is None or (cell is None and not isinstance(value, str)):
            out.append(value)
            continue
        if cell is None:
            cell = WriteOnlyCell(ws)
        cell.value = cell_text(value) if isinstance(value, str) else value
        if isinstance(value, str):
            cell.data_type = "s"
        out.append(cell)
    ws.append(out)


def row_cells(ws, formats: list[str | None]) -> list:
    """One reusable cell per column, with its number format (``None``: general)."""
    out = []
    for number_format in formats:
        cell = WriteOnlyCell(ws)
        if number_format is not None:
            cell.number_format = number_format
        out.append(cell)
    return out


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "flag":
        return bool(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and kind == "datetime":
        return dt.datetime.combine(value, dt.time())
    return value


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("-", name)[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _write(ws, columns: list[m.Column], rows: list[list], formats: dict[str, str]) -> None:
    _head(ws, columns, len(rows))
    cells = row_cells(ws, [formats.get(c.kind) for c in columns])
    for row in rows:
        append_row(ws, [_value(v, c.kind) for c, v in zip(columns, row, strict=True)], cells)


def _head(ws, columns: list[m.Column], rows: int) -> None:
    """Widths, frozen header, filter and the bold header row of a write-only sheet."""
    for index, column in enumerate(columns, start=1):
        width = max(10, min(60, 9 * column.width + 4))
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(2, rows + 1)}"
    header = row_cells(ws, [None] * len(columns))
    for cell in header:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    append_row(ws, [c.label for c in columns], header)


def _facts_sheet(ws, document: m.Document, tr: Words, formats: dict[str, str]) -> None:
    columns = [m.Column("section", tr("Partie"), "text", 2),
               m.Column("label", tr("Élément"), "text", 4),
               m.Column("value", tr("Valeur"), "text", 5)]
    rows = [(section, label, _value(value, kind), kind)
            for section, facts in document.facts() for label, value, kind in facts.rows]
    _head(ws, columns, len(rows))
    plain = row_cells(ws, [None, None, None])
    by_kind = {kind: row_cells(ws, [None, None, fmt]) for kind, fmt in formats.items()}
    for section, label, value, kind in rows:
        append_row(ws, [section, label, value], by_kind.get(kind, plain))


def _pack(payload: bytes, stamp: dt.date) -> bytes:
    """Rewrite the zip with fixed entry timestamps (the as-of date) in a stable order."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render(document: m.Document) -> bytes:
    """The document as an XLSX workbook."""
    tr = Words(document.lang)
    formats = FORMATS_EN if document.lang == "en" else FORMATS
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    _facts_sheet(workbook.create_sheet(_sheet_name(tr("Synthèse"), taken)), document, tr, formats)
    tables = document.tables()
    if document.csv_table is not None:
        tables.append(document.csv_table)
    for table in tables:
        _write(workbook.create_sheet(_sheet_name(table.name, taken)), table.columns, table.rows,
               formats)
    moment = dt.datetime.combine(document.as_of, dt.time())
    props = workbook.properties
    props.created = props.modified = moment
    props.creator = props.lastModifiedBy = "rollout"
    props.title, props.subject = cell_text(document.title), cell_text(document.subtitle)
    props.identifier = document.report_id
    buffer = io.BytesIO()
    # ExcelWriter, not workbook.save, which stamps the modification time with the clock.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _pack(buffer.getvalue(), document.as_of)
