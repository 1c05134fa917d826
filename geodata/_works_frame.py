"""The canonical works frame and what every works reader (file, WZDx, CIFS) shares to build it.

:class:`WorksRead`, the frame's columns (described in :mod:`geodata.works`), the
parsing of dates and times into UTC and the check that a geometry is in degrees;
apart from the file reader of :mod:`geodata.works` so that :mod:`geodata.wzdx`
and :mod:`geodata.cifs` build the same frame by the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputError, Problem, ProblemCollector
from geodata.text import clean_cell

COLUMNS = (
    "source_id source_format title kind owner start_at end_at start_verified end_verified"
    " types_of_work commune source_row road_names description direction vehicle_impact geometry"
).split()
LOCAL_TZ = "Europe/Paris"
_FR_TIME_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass
class WorksRead:
    """Works read from one file, recoverable oddities and the feed's own metadata."""

    frame: gpd.GeoDataFrame
    source_format: str
    warnings: list[str] = field(default_factory=list)
    feed: dict[str, Any] = field(default_factory=dict)
    # Rows left out by ``skip_invalid`` (third-party feeds), one problem or more per row.
    rejected: list[Problem] = field(default_factory=list)


def keep_valid(
    records: list[dict[str, Any]], problems: ProblemCollector, skip_invalid: bool
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The records to load and the problems of the rows left out.

    Without ``skip_invalid`` any problem refuses the file (evidence files are all or
    nothing). With it, rows with problems are left out and returned as rejected rows; a
    problem of the whole file (no row) still refuses it, and so does a file whose every
    row is bad (nothing would be loaded).
    """
    if not problems:
        return records, []
    if not skip_invalid or any(p.row is None for p in problems.problems):
        problems.raise_if_any()
    bad = {p.row for p in problems.problems}
    kept = [r for r in records if r["source_row"] not in bad]
    if not kept:
        raise InputError(list(problems.problems), code="bad_value")
    return kept, list(problems.problems)


def parse_instant(value: object, *, end: bool = False) -> tuple[pd.Timestamp, bool]:
    """Parse a date or date-time into a UTC timestamp; the flag says a local time was assumed.

    A date alone is the start of that day (``end=False``) or its last second (``end=True``).
    """
    text = clean_cell(value)
    if not text:
        raise ValueError("empty date")
    match = _FR_TIME_RE.match(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            parsed = dt.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
            date_only = hour is None
        else:
            parsed = dt.datetime.fromisoformat(text)
            date_only = len(text) == 10
    except ValueError:
        raise ValueError(
            "not a date or time (expected ISO 8601, e.g. 2026-03-10T08:00:00+01:00, or DD/MM/YYYY)"
        ) from None
    if not 1900 <= parsed.year <= 2200:
        raise ValueError("date out of range (years 1900 to 2200)")
    if date_only and end:
        parsed = parsed.replace(hour=23, minute=59, second=59)
    stamp = pd.Timestamp(parsed)
    if stamp.tzinfo is None:
        return stamp.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward").tz_convert(
            "UTC"
        ), True
    return stamp.tz_convert("UTC"), False


def lonlat_problem(geom: BaseGeometry) -> str | None:
    """Reason why a geometry cannot be longitude/latitude degrees, or None when it can."""
    if geom.is_empty:
        return "empty geometry"
    # GEOS bounds skip NaN: a 'NaN 50.6' vertex would otherwise pass and reach the database.
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return "coordinates that are not finite numbers (NaN or infinite)"
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return "coordinates outside longitude/latitude range (a projected CRS not declared?)"
    return None


def works_frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Build the canonical works frame from one dict per work (keys = :data:`COLUMNS`)."""
    frame = pd.DataFrame(records, columns=COLUMNS)
    for column in ("source_id", "source_format", "title", "kind", "owner", "commune",
                   "description", "direction", "vehicle_impact"):
        frame[column] = frame[column].astype("string")
    for column in ("start_at", "end_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
    for column in ("start_verified", "end_verified"):
        frame[column] = frame[column].astype("boolean")
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["road_names"] = [
        list(v) if isinstance(v, (list, tuple)) else None for v in frame["road_names"]
    ]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
