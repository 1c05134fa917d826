"""What a building file is: its format, read from the header, and its date, read from the name.

IPE and ARCEP building files are told apart by their identifier column and dated
by their name: :func:`geodata.premises.open_premises` settles both, for the whole
file, before :class:`geodata.premises.PremisesFile` streams its rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from geodata.errors import InputError
from geodata.text import normalise_header

# Canonical key -> header as the format spells it; matched after normalise_header.
_IPE_COLUMNS = {
    "building_id": "IdentifiantImmeuble", "operator_code": "CodeOI",
    "insee": "CodeInseeImmeuble", "x": "CoordonneeImmeubleX", "y": "CoordonneeImmeubleY",
    "projection": "TypeProjectionGeographique", "premises": "NombreLogementsAdresseIPE",
    "status": "EtatImmeuble", "status_date": "DateDerniereModification",
}
_IPE_REQUIRED = ("building_id", "x", "y", "premises", "status")
_ARCEP_COLUMNS = {
    "building_id": "imb_id", "operator_code": "code_l331", "insee": "code_insee",
    "x": "x", "y": "y", "size_class": "catg_loc_imb", "status": "imb_etat",
    "status_date": "date_completude",
}
_ARCEP_REQUIRED = ("building_id", "x", "y", "status")

_QUARTER_NAME_RE = re.compile(
    r"(?<!\d)(?:(20\d{2})[_\- ]?[QT]([1-4])|[QT]([1-4])[_\- ]?(20\d{2}))(?!\d)", re.IGNORECASE
)
_DATE_NAME_RE = re.compile(r"(?<!\d)(20\d{2})([-_]?)(\d{2})\2(\d{2})(?!\d)")


def as_of_from_name(name: str, fmt: str) -> dt.date:
    """Date of the situation a file describes, read from its name.

    ARCEP names carry a quarter (``2024_Q3`` -> 30 Sept 2024); IPE names a day
    (``20240115`` or ``2024-01-15``). Each format tries its own first.
    """
    finders = (_quarter_in_name, _date_in_name)
    for finder in finders if fmt == "arcep_immeubles" else reversed(finders):
        found = finder(name)
        if found is not None:
            return found
    raise InputError.single(
        name, "no date in the file name (expected e.g. 20240115, 2024-01-15 or 2024_Q3);"
        " give the date of the data with --as-of YYYY-MM-DD", code="missing_as_of")


def _detect_format(name: str, header: list[str]) -> tuple[str, dict[str, str]]:
    found = {normalise_header(h): h for h in header}
    for fmt, spec, required in (
        ("ipe", _IPE_COLUMNS, _IPE_REQUIRED),
        ("arcep_immeubles", _ARCEP_COLUMNS, _ARCEP_REQUIRED),
    ):
        columns = {k: found[normalise_header(v)] for k, v in spec.items()
                   if normalise_header(v) in found}
        if columns.get("building_id") is None:
            continue
        missing = [spec[k] for k in required if k not in columns]
        if missing:
            raise InputError.single(
                name, f"{fmt} file without required column(s) {missing}; found {header}",
                code="missing_column", row=1)
        return fmt, columns
    raise InputError.single(
        name, "neither an IPE file (no IdentifiantImmeuble column) nor an ARCEP building file"
        f" (no imb_id column); found {header}", code="unknown_layout", row=1)


def _quarter_in_name(name: str) -> dt.date | None:
    match = _QUARTER_NAME_RE.search(name)
    if not match:
        return None
    year = int(match.group(1) or match.group(4))
    month = int(match.group(2) or match.group(3)) * 3
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _date_in_name(name: str) -> dt.date | None:
    for match in _DATE_NAME_RE.finditer(name):
        try:
            return dt.date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            continue
    return None
