"""FTTH coverage gaps (DESIGN.md "Gaps"): per commune from counts, or premises points on hexagons.

Gap rule: a premises point is a gap unless its status is ``deploye`` (connectable). RAD
statuses (connectable on demand, or being made so) are still gaps, flagged ``on_demand`` so the
map can show them separately; abandoned buildings and points without a status are gaps too
(nothing shows them connectable).

Hexagons are pointy-top, of circumradius ``size_m`` metres, laid in the metric CRS from its
origin (so a hexagon keeps its ``hex_id`` from one quarter to the next): axial coordinates
(q, r), centre x = size * sqrt(3) * (q + r / 2), y = size * 3/2 * r.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.premises import RAD_STATUSES, STATUSES
from geodata.text import normalise_header

CONNECTABLE = "deploye"
HEX_COLUMNS = [
    "hex_id",
    "q",
    "r",
    "premises",
    "premises_on_demand",
    "buildings",
    "buildings_without_premises",
    "geometry",
]
_SQRT3 = np.sqrt(3.0)


def commune_gaps(communes_premises: pd.DataFrame, progress_latest: pd.DataFrame) -> pd.DataFrame:
    """Premises not yet connectable per commune, from counts (when no premises points exist).

    ``communes_premises``: ``insee, premises``; ``progress_latest``: ``insee, connectable`` (one
    row per commune). Returns ``insee, premises, connectable, gap`` (``Int64``): gap =
    premises - connectable, never negative; NA when either count is unknown (never guessed).
    """
    for frame, name, column in (
        (communes_premises, "communes_premises", "premises"),
        (progress_latest, "progress_latest", "connectable"),
    ):
        missing = [c for c in ("insee", column) if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks columns {missing}; got {list(frame.columns)}")
    twice = progress_latest["insee"][progress_latest["insee"].duplicated()]
    if len(twice):
        raise ValueError(f"progress_latest has several rows for communes {sorted(set(twice))[:5]}")
    out = communes_premises[["insee", "premises"]].merge(
        progress_latest[["insee", "connectable"]], on="insee", how="left"
    )
    premises = pd.array(out["premises"], dtype="Int64")
    connectable = pd.array(out["connectable"], dtype="Int64")
    gap = pd.Series(premises - connectable).clip(lower=0)
    return pd.DataFrame(
        {"insee": out["insee"], "premises": premises, "connectable": connectable, "gap": gap.array}
    )


def _status_key(value: object) -> str | None:
    """Canonical status (``EN COURS DE DEPLOIEMENT`` -> ``en_cours_deploiement``), None if blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    words = [
        w for w in normalise_header(value).replace("-", " ").replace("_", " ").split() if w != "de"
    ]
    return "_".join(words) or None


def premises_gap_points(points: pd.DataFrame) -> gpd.GeoDataFrame:
    """Premises points that are not connectable, with ``on_demand`` marking the RAD ones.

    ``points``: a GeoDataFrame, or a frame with ``lon, lat`` (WGS84) as the premises reader
    gives, with ``status`` and ``premises``. Statuses are matched unaccented and case-blind.
    """
    if "status" not in points.columns or "premises" not in points.columns:
        raise ValueError(f"points need 'status' and 'premises' columns; got {list(points.columns)}")
    if not isinstance(points, gpd.GeoDataFrame):
        if "lon" not in points.columns or "lat" not in points.columns:
            raise ValueError("points need a geometry or 'lon' and 'lat' columns")
        geometry = gpd.points_from_xy(points["lon"], points["lat"])
        points = gpd.GeoDataFrame(points, geometry=geometry, crs=4326)
    raw = points["status"].astype(object)
    keys = {v: _status_key(v) for v in pd.unique(raw)}
    unknown = sorted({str(v) for v, k in keys.items() if k is not None and k not in STATUSES})
    if unknown:
        raise ValueError(f"unknown building statuses {unknown}; expected one of {list(STATUSES)}")
    status = raw.map(keys)
    gaps = points[(status != CONNECTABLE).to_numpy()].copy()
    gaps["status"] = status[status != CONNECTABLE].to_numpy()
    gaps["on_demand"] = gaps["status"].isin(RAD_STATUSES).to_numpy(dtype=bool)
    return gaps


def _axial(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointy-top hexagon (q, r) holding each point: fractional axial coordinates, cube-rounded."""
    qf = (_SQRT3 / 3 * x - y / 3) / size
    rf = (2 / 3 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    # Cube rounding: the coordinate that moved most is recomputed from the other two.
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hexagons(q: np.ndarray, r: np.ndarray, size: float) -> np.ndarray:
    """Pointy-top hexagon polygons (metric CRS) of axial coordinates ``q, r``."""
    cx = size * _SQRT3 * (q + r / 2)
    cy = size * 1.5 * r
    angles = np.radians(60 * np.arange(6) - 30)
    ring = np.stack(
        [cx[:, None] + size * np.cos(angles), cy[:, None] + size * np.sin(angles)], axis=2
    )
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def aggregate_hex(
    points_gdf: gpd.GeoDataFrame, size_m: float = 250, crs: int | str = 2154
) -> gpd.GeoDataFrame:
    """Sum premises points on hexagons of ``size_m`` metres; geometry returned in EPSG:4326.

    Returns ``hex_id`` (``"q_r"``), ``q, r, premises`` (summed; points without a count excluded
    and counted in ``buildings_without_premises``), ``premises_on_demand`` (from an
    ``on_demand`` column when present), ``buildings`` (points) and the hexagon ``geometry``.
    Points without geometry are skipped.
    """
    if size_m <= 0:
        raise ValueError(f"size_m was {size_m!r}; expected a positive number of metres")
    if points_gdf.crs is None:
        raise ValueError("points_gdf has no CRS; set it (EPSG:4326 for lon/lat) before aggregating")
    pts = points_gdf[~(points_gdf.geometry.isna() | points_gdf.geometry.is_empty)].to_crs(crs)
    kinds = set(pts.geometry.geom_type)
    if kinds - {"Point"}:
        raise ValueError(
            f"points_gdf holds {sorted(kinds - {'Point'})} geometries; expected points"
        )
    q, r = _axial(pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy(), float(size_m))
    premises = pd.to_numeric(pts["premises"]).to_numpy(dtype=float, na_value=np.nan)
    on_demand = (
        pts["on_demand"].to_numpy(dtype=bool) if "on_demand" in pts else np.zeros(len(pts), bool)
    )
    cells = pd.DataFrame(
        {
            "q": q,
            "r": r,
            "premises": np.nan_to_num(premises),
            "premises_on_demand": np.where(on_demand, np.nan_to_num(premises), 0),
            "buildings": 1,
            "buildings_without_premises": np.isnan(premises).astype(int),
        }
    )
    sums = cells.groupby(["q", "r"], sort=True).sum().reset_index()
    for name in ("premises", "premises_on_demand"):
        sums[name] = sums[name].astype("int64")
    sums.insert(0, "hex_id", sums["q"].astype(str) + "_" + sums["r"].astype(str))
    polygons = gpd.GeoSeries(
        hexagons(sums["q"].to_numpy(), sums["r"].to_numpy(), float(size_m)), crs=crs
    )
    return gpd.GeoDataFrame(sums, geometry=polygons.to_crs(4326).to_numpy(), crs=4326)[HEX_COLUMNS]
