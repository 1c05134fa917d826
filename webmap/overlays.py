"""The map's overlays as data: one JSON entry per layer-control line, drawn by ``map.js``.

Nothing here is markup: popup values are plain text (``map.js`` shows them with
``textContent``), styles are computed from this module's constants, and the page carries only
the layers the caller names (the visitor's permissions, :func:`webmap.views.api.layer_allowed`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
import shapely

from rollout.figures import fmt_date, fmt_datetime
from webmap import data
from webmap.i18n import language, translate
from webmap.layers import LAYERS, Layer

TIMING_COLORS = {"ended": "#969696", "ongoing": "#e6550d", "planned": "#3182bd"}
WORK_STATUS_FR = {"ended": "terminés", "ongoing": "en cours", "planned": "prévus"}
HEX_BREAKS = [5, 20, 50, 100]
HEX_COLORS = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
SITE_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
OTHER_COLOR = "#636363"


def missing(value: Any) -> bool:
    """Whether ``value`` is a missing scalar (None, NaN, pandas NA or NaT)."""
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))


def popup_text(value: Any) -> str:
    """A popup value as plain text: dates in the page's language, Paris local times, '–'
    when missing."""
    if missing(value):
        return "–"
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_convert("Europe/Paris") if value.tzinfo else value
        return fmt_datetime(stamp, language())
    if isinstance(value, dt.date):
        return fmt_date(value, language())
    return str(value)


def _collection(frame, item: Layer) -> dict:
    """GeoJSON of ``frame`` whose properties are the layer's popup values, as text."""
    shown = frame[[c for c, _ in item.popup] + ["geometry"]].copy()
    for column, _ in item.popup:
        shown[column] = shown[column].map(popup_text)
    # 1e-5 degree (about 1 m) is finer than any source of these layers, and shared vertices
    # (adjacent hexagons) stay shared.
    shown["geometry"] = shapely.set_precision(shown.geometry.values, data.DISPLAY_GRID_DEG)
    return json.loads(shown.to_json(drop_id=True))


def _entry(item: Layer, name: str, collection: dict, color: str | None = None) -> dict:
    return {"layer": item.name, "name": name, "draw": item.draw, "color": color,
            "popup": [[column, translate(label)] for column, label in item.popup],
            "data": collection}


def _circles(item: Layer, frame) -> list[dict]:
    """Gap circles: the area of each circle grows with the commune's gap."""
    collection = _collection(frame, item)
    largest = max(float(frame["gap_premises"].max()), 1.0)
    for feature, gap in zip(collection["features"], frame["gap_premises"], strict=True):
        feature["style"] = {"radius": round(4 + 20 * math.sqrt(float(gap) / largest), 2)}
    return [_entry(item, translate(item.title), collection)]


def _hexagons(item: Layer, frame) -> list[dict]:
    """Gap hexagons coloured by how many premises each holds (HEX_BREAKS)."""
    collection = _collection(frame, item)
    for feature, premises in zip(collection["features"], frame["premises"], strict=True):
        feature["style"] = {"fillColor": HEX_COLORS[sum(1 for b in HEX_BREAKS
                                                        if int(premises) >= b)]}
    return [_entry(item, translate(item.title), collection)]


def _groups(item: Layer, frame) -> list[dict]:
    """One entry per value of ``group_by`` (works by status, sites by operator)."""
    title = translate(item.title)
    if not item.group_by:
        return [_entry(item, title, _collection(frame, item), OTHER_COLOR)]
    out = []
    for index, group in enumerate(sorted(frame[item.group_by].dropna().unique())):
        # Operator names are data, shown as they are; work statuses are our own words.
        label = (translate(WORK_STATUS_FR[str(group)]) if str(group) in WORK_STATUS_FR
                 else str(group))
        color = (TIMING_COLORS.get(str(group), OTHER_COLOR) if item.draw == "shapes"
                 else SITE_COLORS[index % len(SITE_COLORS)])
        part = frame[frame[item.group_by] == group]
        out.append(_entry(item, f"{title} — {label}", _collection(part, item), color))
    return out


DRAWERS = {"circles": _circles, "hexagons": _hexagons, "points": _groups, "shapes": _groups}


def overlays(session, as_of: dt.date, names: frozenset[str]) -> list[dict]:
    """The layer-control entries of every map layer in ``names`` that has rows on ``as_of``."""
    out: list[dict] = []
    for item in LAYERS.values():
        if not item.on_map or item.name not in names:
            continue
        frame = item.read(session, as_of)
        if len(frame):
            out.extend(DRAWERS[item.draw](item, frame))
    return out
