"""Figures as French readers expect them, and the CLI's table/CSV/JSON outputs.

Two rules every output of imported text follows (issue 12): a CSV text cell led by
``= + - @``, a tab or a carriage return gets a leading ``'`` (:func:`csv_cell`, OWASP), so no
spreadsheet reads it as a formula, numbers untouched; text for a terminal shows its control,
bidi and zero-width characters as escapes such as ``\\x1b`` (:func:`visible`), so no ANSI or
OSC sequence reaches the user's terminal.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

# OWASP "CSV injection": leads that make a spreadsheet evaluate a cell.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, zero-width and line separators.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def csv_cell(value: Any) -> Any:
    """``value`` ready for a CSV cell: text led by a formula lead gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def visible(text: str) -> str:
    """``text`` with invisible and control characters as escapes (``\\x1b``, ``\\u202e``)."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fr_int(value: Any) -> str:
    """``59696`` -> ``59 696`` (space as thousands separator); missing -> ``–``."""
    if _missing(value):
        return "–"
    return f"{int(value):,}".replace(",", " ")


def fr_share(value: Any, digits: int = 1) -> str:
    """``0.4213`` -> ``42,1 %``."""
    if _missing(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}".replace(".", ",") + " %"


def fr_number(value: Any, digits: int = 2) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}".replace(",", " ").replace(".", ",")


def fr_date(value: Any) -> str:
    """``2018-03-31`` -> ``31/03/2018``."""
    if _missing(value):
        return "–"
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def json_value(value: Any) -> Any:
    """Plain JSON types: ISO dates, None for missing, ints for integral numpy values."""
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
        if isinstance(value, list):
            return [json_value(v) for v in value]
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return None
    return value


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of ``frame`` restricted to ``columns`` as JSON-ready dicts."""
    return [
        {c: json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]


def to_json(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    return json.dumps(records(frame, columns), ensure_ascii=False, indent=2)


def to_csv(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """RFC 4180 CSV; CRLF line ends, so that a cell holding a lone CR is quoted (with ``\\n``
    Python's writer leaves it bare and readers would split the row there)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in records(frame, columns):
        writer.writerow(["" if v is None else csv_cell(v) for v in row.values()])
    return buffer.getvalue()


def to_table(rows: list[list[str]], headers: list[str], right: set[int] | None = None) -> str:
    """A plain fixed-width table; ``right`` holds the indexes of right-aligned columns; cells
    show control characters as escapes (:func:`visible`)."""
    right = right or set()
    rows = [[visible(str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def en_int(value: Any) -> str:
    """``59696`` -> ``59,696`` (comma as thousands separator); missing -> ``–``."""
    if _missing(value):
        return "–"
    return f"{int(value):,}"


def en_share(value: Any, digits: int = 1) -> str:
    """``0.4213`` -> ``42.1%``."""
    if _missing(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def en_number(value: Any, digits: int = 2) -> str:
    """``1234.5`` -> ``1,234.50``."""
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def en_date(value: Any) -> str:
    """``2018-03-31`` (ISO 8601: one reading on both sides of the Channel and the Atlantic)."""
    if _missing(value):
        return "–"
    return pd.Timestamp(value).date().isoformat()
