"""Public-works analyses: status, dig-once opportunities, conflicts, works near sites, communes.

Pure functions over the canonical works frame of :mod:`geodata.works` (EPSG:4326,
``start_at``/``end_at`` in UTC, ``end_at`` NaT = open-ended). Distances are
measured in a metric CRS (Lambert-93, EPSG:2154, by default).

Status as of a date is the state at the end of that day, Europe/Paris time:
``planned`` if the work starts later, ``ended`` if it ended on or before that
day, else ``ongoing`` (an open-ended work that has started stays ongoing).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rollout._coverage_inputs import _metric, _require  # the same input checks as coverage

DEFAULT_CRS = 2154
LOCAL_TZ = "Europe/Paris"
STATUSES = ("planned", "ongoing", "ended")
_WORK_COLUMNS = ["source_id", "title", "kind", "start_at", "end_at", "geometry"]


def end_of_day(as_of: dt.date | pd.Timestamp) -> pd.Timestamp:
    """The UTC instant an "as of" means: the end of that day in Paris (or the instant given)."""
    if isinstance(as_of, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(as_of)
        return (stamp.tz_localize(LOCAL_TZ) if stamp.tzinfo is None else stamp).tz_convert("UTC")
    midnight = pd.Timestamp(as_of + dt.timedelta(days=1)).tz_localize(LOCAL_TZ)
    return midnight.tz_convert("UTC")


def work_status(works: pd.DataFrame, as_of: dt.date | pd.Timestamp) -> pd.Series:
    """``planned``, ``ongoing`` or ``ended`` for each work, as of the end of ``as_of``."""
    _require(works, ["start_at", "end_at"], "works")
    instant = end_of_day(as_of)
    start = pd.to_datetime(works["start_at"], utc=True)
    end = pd.to_datetime(works["end_at"], utc=True)
    status = np.where(
        start >= instant, "planned", np.where(end.notna() & (end < instant), "ended", "ongoing")
    )
    return pd.Series(status, index=works.index, name="status", dtype="string")


def dig_once(
    works: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    as_of: dt.date | pd.Timestamp,
    distance_m: float = 50,
    crs: int | str = DEFAULT_CRS,
) -> pd.DataFrame:
    """Planned or ongoing works within ``distance_m`` of uncovered premises or 5G gap polygons.

    Parameters
    ----------
    targets : uncovered premises points (``premises`` count per point, default 1), or gap
        polygons with an optional ``premises`` (or ``population``) count spread uniformly
        over each polygon: a work then serves the part of the gap within ``distance_m``.

    Returns one row per work near at least one target: ``source_id, title, kind, owner,
    status, start_at, end_at, targets_near, premises, gap_area_m2, rank``, ranked by
    premises that could be served (then by start, then id). Invalid target polygons are
    made valid first; ``attrs["targets_repaired"]`` counts them.
    """
    _require(works, _WORK_COLUMNS, "works")
    active = works.assign(status=work_status(works, as_of))
    active = _metric(active[active["status"] != "ended"].reset_index(drop=True), crs, "works")
    goal = _valid_polygons(_metric(targets.reset_index(drop=True), crs, "targets"))
    count_col = next((c for c in ("premises", "population") if c in goal.columns), None)
    weight = goal[count_col].astype(float).to_numpy() if count_col else np.ones(len(goal))
    polygons = bool(len(goal)) and goal.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    pairs = gpd.sjoin(
        active[["geometry"]], goal[["geometry"]], predicate="dwithin", distance=distance_m
    )
    rows = []
    for work_index, hits in pairs.groupby(level=0, sort=False)["index_right"]:
        work = active.loc[work_index]
        positions = hits.to_numpy()
        if polygons:
            reach = work.geometry.buffer(distance_m)
            near = goal.geometry.iloc[positions].intersection(reach).area.to_numpy()
            full = goal.geometry.iloc[positions].area.to_numpy()
            served = float(
                (
                    weight[positions]
                    * np.divide(near, full, where=full > 0, out=np.zeros_like(near))
                ).sum()
            )
            gap_area = float(near.sum())
        else:
            served, gap_area = float(weight[positions].sum()), np.nan
        rows.append(
            {
                "source_id": work["source_id"],
                "title": work["title"],
                "kind": work["kind"],
                "owner": work.get("owner"),
                "status": work["status"],
                "start_at": work["start_at"],
                "end_at": work["end_at"],
                "targets_near": len(positions),
                "premises": served,
                "gap_area_m2": gap_area,
            }
        )
    columns = [
        "source_id",
        "title",
        "kind",
        "owner",
        "status",
        "start_at",
        "end_at",
        "targets_near",
        "premises",
        "gap_area_m2",
    ]
    result = pd.DataFrame(rows, columns=columns)
    result = result.sort_values(
        ["premises", "start_at", "source_id"],
        ascending=[False, True, True],
        kind="stable",
        ignore_index=True,
    )
    result["rank"] = np.arange(1, len(result) + 1)
    result.attrs["targets_repaired"] = goal.attrs["repaired"]
    return result


def _valid_polygons(goal: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``goal`` with its invalid polygons made valid, keeping only their polygonal parts."""
    # GEOS measures an invalid polygon wrongly (a bow-tie's area is 0) and its overlays fail
    # ("side location conflict") or return wrong areas, e.g. a gap whose ~1e-10 m spike turned
    # self-intersecting in a reprojection; "structure" repairs them as areas, dropping collapsed
    # lines and points.
    geoms = goal.geometry.to_numpy().copy()
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    broken = polygonal & ~shapely.is_valid(geoms)
    geoms[broken] = shapely.make_valid(geoms[broken], method="structure", keep_collapsed=False)
    fixed = goal.set_geometry(gpd.GeoSeries(geoms, index=goal.index, crs=goal.crs))
    fixed.attrs["repaired"] = int(broken.sum())
    return fixed


def conflicts(
    works: gpd.GeoDataFrame, buffer_m: float = 10, crs: int | str = DEFAULT_CRS
) -> pd.DataFrame:
    """Pairs of works closer than ``buffer_m`` in space whose [start, end] intervals overlap.

    An open-ended work (no end) overlaps everything after its start. Returns
    ``source_id_a, source_id_b, title_a, title_b, overlap_start, overlap_end, distance_m``,
    one row per unordered pair (``a`` before ``b`` in the input order).
    """
    _require(works, _WORK_COLUMNS, "works")
    metric = _metric(works.reset_index(drop=True), crs, "works")
    pairs = gpd.sjoin(
        metric[["geometry"]], metric[["geometry"]], predicate="dwithin", distance=buffer_m
    )
    left = pairs.index.to_numpy()
    right = pairs["index_right"].to_numpy()
    keep = left < right
    left, right = left[keep], right[keep]
    start = pd.to_datetime(metric["start_at"], utc=True).to_numpy()
    end = pd.to_datetime(metric["end_at"], utc=True)
    end_open = end.fillna(pd.Timestamp.max.tz_localize("UTC")).to_numpy()
    overlap = (start[left] <= end_open[right]) & (start[right] <= end_open[left])
    left, right = left[overlap], right[overlap]
    geoms = metric.geometry.to_numpy()
    result = pd.DataFrame(
        {
            "source_id_a": metric["source_id"].to_numpy()[left],
            "source_id_b": metric["source_id"].to_numpy()[right],
            "title_a": metric["title"].to_numpy()[left],
            "title_b": metric["title"].to_numpy()[right],
            "overlap_start": pd.to_datetime(np.maximum(start[left], start[right]), utc=True),
            "overlap_end": pd.to_datetime(
                [
                    min((e for e in (end.iloc[a], end.iloc[b]) if pd.notna(e)), default=pd.NaT)
                    for a, b in zip(left, right, strict=True)
                ],
                utc=True,
            ),
            "distance_m": [
                float(geoms[a].distance(geoms[b])) for a, b in zip(left, right, strict=True)
            ],
        }
    )
    return result.sort_values(["source_id_a", "source_id_b"], ignore_index=True)


def works_near_sites(
    works: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    distance_m: float = 100,
    as_of: dt.date | None = None,
    recent_days: int = 180,
    crs: int | str = DEFAULT_CRS,
) -> pd.DataFrame:
    """Works within ``distance_m`` of 5G sites recently put in service or not yet in service.

    A site is ``recent`` when in service during the ``recent_days`` up to ``as_of``
    (default: today), ``upcoming`` when a 5G site has no in-service date or a later
    one; works that ended before that window are left out. Returns ``source_id, title,
    status, station_id, operator_code, in_service_on, site_state, distance_m``.
    """
    from rollout.coverage import sites_geodataframe

    _require(works, _WORK_COLUMNS, "works")
    _require(sites, ["station_id", "operator_code", "has_5g", "in_service_on"], "sites")
    as_of = as_of or dt.date.today()
    window_start = as_of - dt.timedelta(days=recent_days)
    points = sites_geodataframe(sites)
    dates = pd.to_datetime(points["in_service_on"], errors="coerce")
    upcoming = points["has_5g"].astype(bool) & (dates.isna() | (dates > pd.Timestamp(as_of)))
    recent = dates.notna() & (dates > pd.Timestamp(window_start)) & (dates <= pd.Timestamp(as_of))
    chosen = points[recent | upcoming].assign(
        site_state=np.where(recent[recent | upcoming], "recent", "upcoming")
    )
    status = work_status(works, as_of)
    ended_before = pd.to_datetime(works["end_at"], utc=True) < end_of_day(window_start)
    kept = works.assign(status=status)[~ended_before]
    near_works = _metric(kept.reset_index(drop=True), crs, "works")
    near_sites = _metric(chosen.reset_index(drop=True), crs, "sites")
    pairs = gpd.sjoin(
        near_works[["geometry"]], near_sites[["geometry"]], predicate="dwithin", distance=distance_m
    )
    rows = []
    for w, s in zip(pairs.index, pairs["index_right"], strict=True):
        work, site = near_works.iloc[w], near_sites.iloc[s]
        rows.append(
            {
                "source_id": work["source_id"],
                "title": work["title"],
                "status": work["status"],
                "station_id": site["station_id"],
                "operator_code": site["operator_code"],
                "in_service_on": site["in_service_on"],
                "site_state": site["site_state"],
                "distance_m": float(work.geometry.distance(site.geometry)),
            }
        )
    columns = [
        "source_id",
        "title",
        "status",
        "station_id",
        "operator_code",
        "in_service_on",
        "site_state",
        "distance_m",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["distance_m", "source_id", "station_id"], ignore_index=True
    )


def assign_communes(works: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``insee`` (sorted list of communes each work touches) and ``outside`` (touches none).

    Works outside every commune are kept and flagged, never dropped.
    """
    _require(communes, ["insee", "geometry"], "communes")
    if not isinstance(works, gpd.GeoDataFrame) or works.crs is None:
        raise ValueError("works must be a GeoDataFrame with a CRS")
    zones = communes[["insee", "geometry"]].to_crs(works.crs)
    plain = gpd.GeoDataFrame(geometry=works.geometry.values, crs=works.crs)
    hits = gpd.sjoin(plain, zones, predicate="intersects")
    lists = hits.groupby(level=0)["insee"].agg(lambda s: sorted(set(map(str, s))))
    insee = [lists.get(i, []) for i in range(len(works))]
    return works.assign(insee=insee, outside=[not codes for codes in insee])
