"""XLSX rendering with openpyxl: one sheet per table, real numbers and dates, filters, frozen
headers; byte-identical for the same document (fixed properties and zip timestamps).

Every cell goes through :func:`append_row` (issue 12, item 4): a string is always a string
cell (``data_type`` ``"s"``), so text led by ``=`` (``=HYPERLINK(…)``) is shown, never run as a
formula; control characters XML cannot hold are shown as ``\\x1b``-style escapes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl import Workbook
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


def append_row(ws, values: list) -> None:
    """Append ``values`` to ``ws``: numbers, dates and booleans typed, strings as plain text."""
    ws.append([cell_text(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


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
    append_row(ws, [c.label for c in columns])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for row in rows:
        append_row(ws, [_value(v, c.kind) for c, v in zip(columns, row, strict=True)])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(10, min(60, 9 * column.width + 4))
        if column.kind in formats:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[column.kind]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(2, len(rows) + 1)}"


def _facts_sheet(ws, document: m.Document, tr: Words, formats: dict[str, str]) -> None:
    columns = [m.Column("section", tr("Partie"), "text", 2),
               m.Column("label", tr("Élément"), "text", 4),
               m.Column("value", tr("Valeur"), "text", 5)]
    _write(ws, columns, [], formats)
    for section, facts in document.facts():
        for label, value, kind in facts.rows:
            append_row(ws, [section, label, _value(value, kind)])
            if kind in formats:
                ws.cell(ws.max_row, 3).number_format = formats[kind]
    ws.auto_filter.ref = f"A1:C{max(2, ws.max_row)}"


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
    workbook = Workbook()
    taken: set[str] = set()
    summary = workbook.active
    summary.title = _sheet_name(tr("Synthèse"), taken)
    _facts_sheet(summary, document, tr, formats)
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
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _pack(buffer.getvalue(), document.as_of)
