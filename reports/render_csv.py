"""CSV rendering: UTF-8, comma-separated, header row of column keys, machine values
(ISO dates, decimal point, ``true``/``false``, empty for missing). No comment lines: the
columns are documented in the method annex and the README. Text cells go through
:func:`rollout.formatting.csv_cell` (a leading ``'`` before ``= + - @``, tab, CR); numbers
are written as they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from reports import model as m
from rollout.formatting import csv_cell


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_cell(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render(document: m.Document) -> bytes:
    """The document's flat table as CSV bytes."""
    table = document.csv_table
    if table is None:
        raise ValueError(f"a {document.kind} report has no CSV form")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    writer.writerows([_text(v) for v in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8")
