"""Query parameters of the API and pages, validated at the boundary (400 naming the parameter)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from rollout.dates import AS_OF_MAX as AS_OF_MAX
from rollout.dates import AS_OF_MIN as AS_OF_MIN
from rollout.dates import reference_date
from webmap.errors import ApiError

LIMIT_MAX = 10_000
ZOOM_MAX = 22


def today() -> dt.date:
    """The default as-of date: today (UTC)."""
    return dt.datetime.now(dt.UTC).date()


def as_of(args: Mapping[str, str]) -> dt.date:
    """``as_of`` (:func:`rollout.dates.reference_date`'s forms and range); today when absent."""
    raw = args.get("as_of")
    if raw is None or raw == "":
        return today()
    try:
        return reference_date(raw)
    except ValueError as exc:
        raise ApiError("as_of", f"as_of: {exc}") from None


def limit(args: Mapping[str, str]) -> int | None:
    """``limit`` between 1 and 10000; None when absent."""
    raw = args.get("limit")
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= LIMIT_MAX:
        raise ApiError("limit", f"limit was {raw!r}; expected a whole number from 1 to {LIMIT_MAX}")
    return int(raw)


def bbox(args: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    """``bbox=minlon,minlat,maxlon,maxlat`` in WGS84 degrees; None when absent."""
    raw = args.get("bbox")
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(parts) != 4 or len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError("bbox", f"bbox was {raw!r}; expected four numbers "
                               "minlon,minlat,maxlon,maxlat")
    minlon, minlat, maxlon, maxlat = values
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180
            and -90 <= minlat <= 90 and -90 <= maxlat <= 90):
        raise ApiError("bbox", f"bbox was {raw!r}; longitudes must lie in [-180, 180] and "
                               "latitudes in [-90, 90]")
    if minlon > maxlon or minlat > maxlat:
        raise ApiError("bbox", f"bbox was {raw!r}; the minimum must not exceed the maximum")
    return minlon, minlat, maxlon, maxlat


def zoom(args: Mapping[str, str]) -> int | None:
    """``zoom`` between 0 and 22 (web-map zoom level); None when absent."""
    raw = args.get("zoom")
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,2}", raw) or int(raw) > ZOOM_MAX:
        raise ApiError("zoom", f"zoom was {raw!r}; expected a whole number from 0 to {ZOOM_MAX}")
    return int(raw)
