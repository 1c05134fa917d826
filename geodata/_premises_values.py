"""Cell rules of the IPE and ARCEP building files, applied once per distinct value of a column.

The parsers (coordinates, projections, premises counts and size classes, INSEE
codes, status dates and keys) and the mask-fed problem collector that
:class:`geodata.premises.PremisesFile` converts each chunk with; apart so that
the fast paths of :mod:`rollout.scale` can apply the very same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from pyproj import Transformer
from pyproj.exceptions import CRSError

from geodata.errors import ProblemCollector
from geodata.text import normalise_header, normalise_insee, parse_date

# TypeProjectionGeographique values seen in IPE files; an EPSG number is also accepted.
_PROJECTIONS = {
    "rgf93": 2154, "lamb93": 2154, "lambert93": 2154, "rgf93lamb93": 2154,
    "rgf93lambert93": 2154, "wgs84": 4326,
}
_MAX_PROBLEMS_PER_CHUNK = 60


def size_class_premises(label: str) -> int | None:
    """Conservative premises count of an ARCEP ``catg_loc_imb`` size class: its lower bound.

    ``individuel`` -> 1, ``entre 2 et 11`` -> 2, ``plus de 100`` -> 101,
    ``12 et plus`` -> 12, a bare number -> itself; unknown -> None.
    """
    text = normalise_header(label).replace("_", " ")
    if text in {"individuel", "pavillon", "maison"} or text.startswith("moins de"):
        return 1
    if match := re.search(r"(?:plus de|superieur a)\s*(\d+)", text):
        return int(match.group(1)) + 1
    if match := re.search(r"(?:entre|de|au moins|a partir de)\s*(\d+)", text):
        return max(int(match.group(1)), 1)
    if match := re.fullmatch(r"(\d+)\s*(?:et plus|ou plus|\+)?", text):
        return max(int(match.group(1)), 1)
    return None


class _Problems(ProblemCollector):
    """A collector fed with boolean masks; keeps the first problems of a chunk, by line."""

    def add_mask(
        self, mask: pd.Series, rows: pd.Series, column: str | None, values: pd.Series, reason: str
    ) -> None:
        """Record one problem per row selected by ``mask``."""
        if not mask.any() or len(self.problems) >= _MAX_PROBLEMS_PER_CHUNK:
            return
        for row, value in zip(rows[mask][:_MAX_PROBLEMS_PER_CHUNK], values[mask], strict=False):
            shown = None if pd.isna(value) else value
            super().add(reason, row=int(row), column=column, value=shown)

    def raise_if_any(self, code: str = "bad_value") -> None:
        self.problems.sort(key=lambda p: p.row or 0)
        super().raise_if_any(code)


def _per_value(text: pd.Series, parse: Callable[[str], object]) -> pd.Series:
    """Apply ``parse`` once per distinct value: national files repeat the same few values."""
    codes, uniques = pd.factorize(text)
    parsed = np.empty(len(uniques) + 1, dtype=object)  # the extra slot is for code -1 (NA)
    parsed[:-1] = [parse(value) for value in uniques]
    parsed[-1] = None
    return pd.Series(parsed[codes], index=text.index, dtype=object)


def clean_text(value: str) -> str | None:
    """A cell's text without surrounding (no-break) spaces; None when blank."""
    return value.strip(" \t\u00a0\u202f") or None


def _float(value: str) -> float | None:
    # FORMATS.md §3: IPE writes coordinates with a decimal comma.
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _number(text: pd.Series, rows: pd.Series, column: str, problems: _Problems) -> pd.Series:
    numbers = _per_value(text, _float).astype("float64")
    problems.add_mask(text.isna(), rows, column, text, "missing coordinate")
    problems.add_mask(text.notna() & numbers.isna(), rows, column, text,
                      "coordinate is not a number")
    return numbers


def _count(value: str) -> int | None:
    digits = re.sub(r"[\s\u00a0\u202f]", "", value)
    return int(digits) if re.fullmatch(r"[0-9]{1,9}", digits) else None


def _ipe_premises(
    text: pd.Series, rows: pd.Series, column: str, problems: _Problems
) -> tuple[pd.Series, pd.Series]:
    counts = _per_value(text, _count).astype("float64")
    problems.add_mask(text.isna(), rows, column, text, "missing premises count")
    problems.add_mask(text.notna() & counts.isna(), rows, column, text,
                      "premises count is not a non-negative whole number")
    return counts.fillna(0).astype("int32"), pd.Series(False, index=text.index, dtype="bool")


def insee_code(value: str) -> str | None:
    """The canonical 5-character INSEE commune code of a cell; None when it is not one."""
    try:
        return normalise_insee(value)
    except ValueError:
        return None


def _insee(text: pd.Series | None, rows: pd.Series, column: str | None,
           problems: _Problems) -> pd.Series:
    if text is None:
        return pd.Series(pd.NA, index=rows.index, dtype="str")
    code = _per_value(text, insee_code)
    problems.add_mask(text.notna() & code.isna(), rows, column, text,
                      "not an INSEE commune code (expected 5 characters, e.g. 59350 or 2A004)")
    return code.astype("str")


def status_day(value: str) -> np.datetime64:
    """Day of a status date: ISO (ARCEP), French or AAAAMMJJ (IPE), time ignored; NaT if not."""
    text = value[:10]
    if re.fullmatch(r"[0-9]{8}", value):
        text = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    try:
        return np.datetime64(parse_date(text), "s")
    except ValueError:
        return np.datetime64("NaT", "s")


def status_key(value: str) -> str:
    """A building status compared unaccented, lower-case, without "de" and separators."""
    words = re.split(r"[\s_\-]+", normalise_header(value))
    return " ".join(w for w in words if w and w != "de")


def _projection_epsg(value: str) -> float | None:
    key = re.sub(r"[\s_\-:]+", "", normalise_header(value))
    if key in _PROJECTIONS:
        return float(_PROJECTIONS[key])
    match = re.fullmatch(r"(?:epsg)?(\d{4,5})", key)
    if not match:
        return None
    try:
        _transformer(int(match.group(1)))
    except CRSError:
        return None
    return float(match.group(1))


_TRANSFORMERS: dict[int, Transformer] = {}


def _transformer(epsg: int) -> Transformer:
    if epsg not in _TRANSFORMERS:
        _TRANSFORMERS[epsg] = Transformer.from_crs(epsg, 4326, always_xy=True)
    return _TRANSFORMERS[epsg]
