"""The CLI's table/CSV/JSON outputs and the rules every output of imported text follows.

Figures are formatted by :mod:`rollout.figures` (Babel).

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
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    values = [_column_values(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _column_values(column: pd.Series) -> list[Any]:
    """:func:`json_value` of every cell, converted once per distinct value: a national listing
    has hundreds of thousands of rows but few distinct dates, codes or statuses."""
    # Extension columns (Int64, text, categories) and datetimes as the objects their rows hold
    # (an Int64 column with NA would otherwise become floats, datetimes integers).
    plain = isinstance(column.dtype, np.dtype) and column.dtype.kind not in "Mm"
    raw = column.to_numpy() if plain else column.astype(object).to_numpy()
    if raw.dtype.kind in "iub":
        return raw.tolist()
    if raw.dtype.kind == "f":
        out = raw.tolist()
        for i in np.flatnonzero(~np.isfinite(raw)).tolist():
            out[i] = None
        return out
    seen: dict[tuple[type, Any], Any] = {}
    out = []
    for value in raw.tolist():
        try:
            key = (type(value), value)
            out.append(seen[key])
        except KeyError:
            out.append(seen.setdefault(key, json_value(value)))
        except TypeError:  # unhashable (a list of codes): converted as it comes
            out.append(json_value(value))
    return out


def to_json(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """``json.dumps(records(frame, columns), ensure_ascii=False, indent=2)``, byte for byte."""
    return "".join(json_chunks(frame, columns))


def json_chunks(
    frame: pd.DataFrame, columns: Sequence[str], rows_per_chunk: int = 16_384
) -> Iterator[str]:
    """:func:`to_json`'s text in pieces of ``rows_per_chunk`` rows, for writing as it comes.

    The standard encoder is pure Python once indented, and a national listing is hundreds of
    megabytes: here each distinct cell is encoded once, and rows are assembled by Arrow from
    the encoded cells of their columns.
    """
    if not len(frame):
        yield "[]"
        return
    if not columns:
        yield "[\n" + ",\n".join(["  {}"] * len(frame)) + "\n]"
        return
    coded = []
    for name in columns:
        key = "    " + json.dumps(name, ensure_ascii=False) + ": "
        codes, uniques = _factorized(frame[name])
        coded.append((codes, pa.array([key + _encoded(v) for v in uniques], pa.string())))
    opening = "[\n"
    for start in range(0, len(frame), rows_per_chunk):
        cells = [encoded.take(pa.array(codes[start:start + rows_per_chunk]))
                 for codes, encoded in coded]
        rows = pc.binary_join_element_wise("  {\n", pc.binary_join_element_wise(
            *cells, ",\n"), "\n  }", "")
        yield opening + ",\n".join(rows.to_pylist())
        opening = ",\n"
    yield "\n]"


def _factorized(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes of each cell and the :func:`json_value` of each code (an encoder's table).

    Cells are grouped by their bits where equality would merge values JSON tells apart
    (``0.0``/``-0.0``, ``1``/``1.0``/``True`` in one object column): those columns are
    grouped by (type, value) instead, and unhashable cells get a code each.
    """
    plain = isinstance(column.dtype, np.dtype) and column.dtype.kind not in "Mm"
    raw = column.to_numpy() if plain else column.astype(object).to_numpy()
    if raw.dtype.kind in "iubf":
        codes, uniques = pd.factorize(raw.view(np.int64) if raw.dtype == np.float64 else raw)
        if raw.dtype == np.float64:
            uniques = uniques.view(np.float64)
        return _missing_last(codes, [json_value(v) for v in uniques.tolist()])
    values = raw.tolist()
    kinds = set(map(type, values))
    numbers = {k for k in kinds if issubclass(k, (bool, int, float, np.number, np.bool_))}
    if not (kinds & {list, tuple, dict, float}) and len(numbers) <= 1:
        codes, uniques = pd.factorize(raw)  # NA, None and NaN code -1: all are JSON null
        return _missing_last(codes, [json_value(v) for v in uniques.tolist()])
    table: dict[tuple[type, Any], int] = {}
    out: list[Any] = []
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        try:
            marker = (type(value), value)
            codes[i] = table[marker]
        except KeyError:
            codes[i] = table[marker] = len(out)
            out.append(json_value(value))
        except TypeError:  # unhashable (a list of codes): a code of its own
            codes[i] = len(out)
            out.append(json_value(value))
    return codes, out


def _missing_last(codes: np.ndarray, values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Code -1 (missing) made the code of a ``None`` appended to ``values``."""
    return np.where(codes < 0, len(values), codes), [*values, None]


def _encoded(value: Any) -> str:
    """One cell as the indented encoder writes it at depth 2 (a row of the top-level list)."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n    ")


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
