"""5G coverage model: buffers around in-service 5G sites, per operator and commune, and gaps.

The model is deliberately simple and documented so it can be quoted: a 5G site
covers a disc whose radius depends on its best band (``DEFAULT_RADII_M``,
configurable); an operator's coverage in a commune is the union of its discs
clipped to the commune. The share covered counts premises points inside that
coverage when they are known, else spreads the commune's population uniformly
over its area. Distances and areas are computed in a metric CRS (Lambert-93,
EPSG:2154, by default); returned geometries are in that CRS, gaps snapped to a
1 cm grid (:func:`snap_to_grid`). Covered areas need no snapping: a disc crosses a
commune's edge, it never runs along it, so their intersection has no slivers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

DEFAULT_RADII_M: dict[str, float] = {"NR 3500": 600, "NR 2100": 1000, "NR 700": 2000}
DEFAULT_CRS = 2154
# Snap grid for gap polygons, in metres of the metric CRS: far below any distance a planner
# reads, far above the float noise of overlays and reprojections (~1e-9 m).
GRID_M = 0.01


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; got {list(frame.columns)}")


def _metric(frame: gpd.GeoDataFrame, crs: int | str, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise ValueError(f"{what} must be a GeoDataFrame with a CRS")
    return frame.to_crs(crs)


def sites_geodataframe(sites: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points (EPSG:4326) for a sites frame that only has ``lon``/``lat`` columns."""
    if isinstance(sites, gpd.GeoDataFrame):
        return sites
    _require(sites, ["lon", "lat"], "sites")
    return gpd.GeoDataFrame(
        sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326
    )


def in_service_5g(sites: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The 5G sites in service on ``as_of`` (in-service date on or before it)."""
    _require(sites, ["has_5g", "in_service_on"], "sites")
    dates = pd.to_datetime(sites["in_service_on"], errors="coerce")
    return sites[sites["has_5g"].astype(bool) & dates.notna() & (dates <= pd.Timestamp(as_of))]


def site_radius(bands: Iterable[str], radii: Mapping[str, float]) -> float:
    """Radius of the disc a site covers: its widest configured band, 0 if none is configured."""
    return max((float(radii[b]) for b in bands if b in radii), default=0.0)


def coverage_areas(
    sites_gdf: pd.DataFrame,
    communes_gdf: gpd.GeoDataFrame,
    as_of: dt.date,
    radii: Mapping[str, float] = DEFAULT_RADII_M,
    crs: int | str = DEFAULT_CRS,
) -> gpd.GeoDataFrame:
    """Covered area per operator and commune on ``as_of``: union of site discs clipped to communes.

    Returns a GeoDataFrame ``[operator_code, insee, as_of, geometry]`` in ``crs``, one row
    per operator and commune with some coverage. ``attrs["sites_without_radius"]`` counts
    in-service 5G sites none of whose bands has a configured radius (they are ignored).
    """
    _require(sites_gdf, ["operator_code", "bands"], "sites")
    _require(communes_gdf, ["insee", "geometry"], "communes")
    sites = _metric(sites_geodataframe(in_service_5g(sites_gdf, as_of)), crs, "sites")
    communes = _metric(communes_gdf, crs, "communes")
    radius = np.array([site_radius(b, radii) for b in sites["bands"]], dtype=float)
    sites = sites.assign(radius_m=radius)
    rows = []
    for operator, group in sites[radius > 0].groupby("operator_code", sort=True):
        union = shapely.union_all(shapely.buffer(group.geometry.values, group["radius_m"].values))
        clipped = shapely.intersection(communes.geometry.values, union)
        for insee, geom in zip(communes["insee"], clipped, strict=True):
            if not geom.is_empty and geom.area > 0:
                rows.append(
                    {
                        "operator_code": str(operator),
                        "insee": str(insee),
                        "as_of": as_of,
                        "geometry": geom,
                    }
                )
    result = gpd.GeoDataFrame(
        rows, columns=["operator_code", "insee", "as_of", "geometry"], geometry="geometry", crs=crs
    )
    result.attrs["sites_without_radius"] = int((radius == 0).sum())
    return result


def coverage_share(
    coverage: gpd.GeoDataFrame,
    communes_gdf: gpd.GeoDataFrame,
    premises_points: gpd.GeoDataFrame | None = None,
    operators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Share of premises (or population) inside each operator's coverage, per commune.

    Parameters
    ----------
    coverage : output of :func:`coverage_areas`.
    communes_gdf : ``insee``, geometry and, without premises points, ``population``.
    premises_points : points with an optional ``premises`` count (default 1 per point);
        when given, ``method`` is ``premises_points``, else ``population_uniform``
        (covered = population x covered area / commune area).
    operators : operators to report (default: those present in ``coverage``); an operator
        without coverage in a commune gets ``covered`` 0.
    """
    _require(coverage, ["operator_code", "insee", "as_of", "geometry"], "coverage")
    crs = coverage.crs or DEFAULT_CRS
    communes = _metric(communes_gdf, crs, "communes")
    ops = sorted(set(operators) if operators is not None else set(coverage["operator_code"]))
    as_of = coverage["as_of"].iloc[0] if len(coverage) else None
    if premises_points is not None:
        method = "premises_points"
        totals, covered = _premises_inside(premises_points, communes, coverage, crs)
    else:
        method = "population_uniform"
        _require(communes, ["population"], "communes (without premises points)")
        totals = dict(zip(communes["insee"], communes["population"].astype(float), strict=True))
        areas = dict(zip(communes["insee"], communes.geometry.area, strict=True))
        # Population spread uniformly over the commune: covered = population x area share.
        covered = {
            (o, i): totals[i] * g.area / areas[i]
            for o, i, g in zip(
                coverage["operator_code"], coverage["insee"], coverage.geometry, strict=True
            )
            if i in totals and areas[i] > 0
        }
    rows = []
    for insee in communes["insee"]:
        total = float(totals.get(insee, 0.0))
        for op in ops:
            value = float(covered.get((op, insee), 0.0))
            rows.append(
                {
                    "insee": insee,
                    "operator_code": op,
                    "as_of": as_of,
                    "covered": value,
                    "premises": total,
                    "share": value / total if total else np.nan,
                    "method": method,
                }
            )
    return pd.DataFrame(
        rows, columns=["insee", "operator_code", "as_of", "covered", "premises", "share", "method"]
    )


def _premises_inside(
    premises_points: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    coverage: gpd.GeoDataFrame,
    crs: int | str,
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """Premises per commune and per (operator, commune) coverage, by point location."""
    points = _metric(premises_points, crs, "premises points")
    weight = points["premises"].astype(float) if "premises" in points.columns else 1.0
    points = gpd.GeoDataFrame({"weight": weight}, geometry=points.geometry.values, crs=crs)
    in_commune = _home_communes(points, communes)
    totals = in_commune.groupby("insee")["weight"].sum().to_dict()
    in_cover = gpd.sjoin(
        points, coverage[["operator_code", "insee", "geometry"]], predicate="intersects"
    )
    in_cover = in_cover.join(in_commune["insee"].rename("home"), how="inner")
    in_cover = in_cover[in_cover["insee"] == in_cover["home"]]
    covered = in_cover.groupby(["operator_code", "insee"])["weight"].sum().to_dict()
    return totals, covered


def _home_communes(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``points`` joined to the ``insee`` of the commune each lies in; others are dropped."""
    in_commune = gpd.sjoin(points, communes[["insee", "geometry"]], predicate="intersects")
    # A point on a shared border belongs to the first commune only.
    return in_commune[~in_commune.index.duplicated()]


def snap_to_grid(geometry: shapely.Geometry, grid_m: float = GRID_M) -> shapely.Geometry:
    """``geometry`` snap-rounded to a ``grid_m`` grid: valid, and still valid once reprojected."""
    # The grid is detached, else GEOS would snap every later overlay with the result to it.
    return shapely.set_precision(shapely.set_precision(geometry, grid_m), 0.0)


def gap_areas(
    coverage: gpd.GeoDataFrame,
    communes_gdf: gpd.GeoDataFrame,
    operators: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Uncovered part of each commune per operator: the commune minus that operator's coverage."""
    _require(coverage, ["operator_code", "insee", "as_of", "geometry"], "coverage")
    crs = coverage.crs or DEFAULT_CRS
    if not pyproj.CRS(crs).is_projected:
        raise ValueError(f"coverage must be in a metric CRS, as coverage_areas returns; got {crs}")
    communes = _metric(communes_gdf, crs, "communes")
    ops = sorted(set(operators) if operators is not None else set(coverage["operator_code"]))
    as_of = coverage["as_of"].iloc[0] if len(coverage) else None
    covered = {
        (o, i): g
        for o, i, g in zip(
            coverage["operator_code"], coverage["insee"], coverage.geometry, strict=True
        )
    }
    rows = []
    for insee, commune in zip(communes["insee"], communes.geometry, strict=True):
        for op in ops:
            geom = covered.get((op, insee))
            # A commune minus its clipped discs keeps ~1e-10 m spikes where a disc edge meets
            # the commune edge: valid in exact floats, self-intersecting once reprojected (to
            # WGS84 for the web map), and GEOS overlays on them then fail or give wrong areas.
            # Snap rounding removes them; an uncut commune is returned as given.
            gap = commune if geom is None else snap_to_grid(shapely.difference(commune, geom))
            if not gap.is_empty and gap.area > 0:
                rows.append({"operator_code": op, "insee": insee, "as_of": as_of, "geometry": gap})
    return gpd.GeoDataFrame(
        rows, columns=["operator_code", "insee", "as_of", "geometry"], geometry="geometry", crs=crs
    )


def coverage_history(
    sites_gdf: pd.DataFrame,
    communes_gdf: gpd.GeoDataFrame,
    dates: Iterable[dt.date],
    premises_points: gpd.GeoDataFrame | None = None,
    operators: Iterable[str] | None = None,
    radii: Mapping[str, float] = DEFAULT_RADII_M,
    crs: int | str = DEFAULT_CRS,
) -> pd.DataFrame:
    """:func:`coverage_share` of :func:`coverage_areas` on each of ``dates``, in one sweep.

    Coverage only grows when a site enters service, so each site's disc is clipped to the
    communes once and the dates are swept in order: a point's coverage is decided once (the
    first day a disc holding it is in service), an area grows by the newly opened pieces only.

    Parameters
    ----------
    sites_gdf, radii, crs : as for :func:`coverage_areas`.
    communes_gdf, operators : as for :func:`coverage_share`, except that ``operators``
        defaults to every operator with a 5G site, so each day has the same rows.
    dates : the observation days; the result holds each distinct day once, ascending.
    premises_points : as for :func:`coverage_share`, with optional ``valid_from`` and
        ``valid_until`` dates: a point counts on the days ``d`` with
        ``valid_from <= d < valid_until`` (a missing bound is open), e.g. one vintage
        of a premises register.

    Returns
    -------
    ``insee, operator_code, as_of, covered, premises, share, method``: for each day, the
    communes in their given order, then operators sorted.
    """
    _require(sites_gdf, ["operator_code", "bands", "has_5g", "in_service_on"], "sites")
    _require(communes_gdf, ["insee", "geometry"], "communes")
    communes = _metric(communes_gdf, crs, "communes")
    days = sorted(set(dates))
    sites = _metric(sites_geodataframe(sites_gdf), crs, "sites")
    fives = sites["has_5g"].astype(bool).to_numpy()
    ops = sorted(
        set(operators) if operators is not None else set(sites.loc[fives, "operator_code"])
    )
    discs, owner, opened = _discs(sites[fives], ops, radii)
    stamps = np.array([pd.Timestamp(d).to_datetime64() for d in days], dtype="datetime64[ns]")
    if premises_points is not None:
        method = "premises_points"
        points = _metric(premises_points, crs, "premises points")
        covered, totals = _points_history(points, communes, discs, owner, opened, stamps, len(ops))
    else:
        method = "population_uniform"
        _require(communes, ["population"], "communes (without premises points)")
        population = communes["population"].astype(float).to_numpy()
        area = communes.geometry.area.to_numpy()
        covered_area = _area_history(communes, discs, owner, opened, stamps, len(ops))
        # Population spread uniformly over the commune: covered = population x area share.
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = population[None, :, None] * covered_area / area[None, :, None]
        covered = np.where((covered_area > 0) & (area[None, :, None] > 0), spread, 0.0)
        totals = np.broadcast_to(population[None, :, None], covered.shape)
    totals = np.broadcast_to(totals, covered.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals != 0, covered / totals, np.nan)
    n_communes, n_ops = len(communes), len(ops)
    return pd.DataFrame(
        {
            "insee": np.tile(np.repeat(communes["insee"].to_numpy(), n_ops), len(days)),
            "operator_code": np.tile(np.array(ops, dtype=object), n_communes * len(days)),
            "as_of": np.repeat(np.array(days, dtype=object), n_communes * n_ops),
            "covered": covered.ravel(),
            "premises": totals.ravel().astype(float),
            "share": share.ravel(),
            "method": method,
        },
        columns=["insee", "operator_code", "as_of", "covered", "premises", "share", "method"],
    )


def _discs(
    fives: gpd.GeoDataFrame, ops: list[str], radii: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discs of the dated 5G sites of ``ops`` with a radius: geometry, operator index, opening."""
    opened = pd.to_datetime(fives["in_service_on"], errors="coerce").to_numpy("datetime64[ns]")
    radius = np.array([site_radius(b, radii) for b in fives["bands"]], dtype=float)
    index = {op: k for k, op in enumerate(ops)}
    owner = np.array([index.get(str(o), -1) for o in fives["operator_code"]], dtype=int)
    keep = ~np.isnat(opened) & (radius > 0) & (owner >= 0)
    # Same polygons as coverage_areas, so both functions agree on every point and area.
    discs = shapely.buffer(fives.geometry.to_numpy()[keep], radius[keep])
    return discs, owner[keep], opened[keep]


def _points_history(
    points: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    discs: np.ndarray,
    owner: np.ndarray,
    opened: np.ndarray,
    stamps: np.ndarray,
    n_ops: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Covered premises ``[day, commune, operator]`` and premises ``[day, commune, 1]``."""
    weight = points["premises"].astype(float) if "premises" in points.columns else 1.0
    bounds = {
        name: pd.to_datetime(points[name], errors="coerce").to_numpy("datetime64[ns]")
        if name in points.columns else np.full(len(points), np.datetime64("NaT"), "datetime64[ns]")
        for name in ("valid_from", "valid_until")
    }
    frame = gpd.GeoDataFrame(
        {"weight": weight, **bounds}, geometry=points.geometry.to_numpy(), crs=points.crs
    )
    homed = _home_communes(frame, communes.reset_index(drop=True))
    home = homed["index_right"].to_numpy()
    weight = np.nan_to_num(homed["weight"].to_numpy(float))  # a sum skips missing counts
    # First day each point is covered by each operator: the earliest opening of a disc
    # holding it (the point-in-disc test coverage_share makes against the union).
    never = np.iinfo(np.int64).max
    first = np.full((len(homed), n_ops), never, dtype=np.int64)
    point_at, disc_at = shapely.STRtree(discs).query(
        homed.geometry.to_numpy(), predicate="intersects"
    )
    np.minimum.at(first, (point_at, owner[disc_at]), opened[disc_at].view(np.int64))
    valid_from = homed["valid_from"].to_numpy("datetime64[ns]")
    valid_until = homed["valid_until"].to_numpy("datetime64[ns]")
    n_communes = len(communes)
    cells = home[:, None] * n_ops + np.arange(n_ops)[None, :]
    covered = np.zeros((len(stamps), n_communes, n_ops))
    totals = np.zeros((len(stamps), n_communes, 1))
    for k, day in enumerate(stamps):
        counts = (np.isnat(valid_from) | (valid_from <= day)) & (
            np.isnat(valid_until) | (day < valid_until)
        )
        totals[k, :, 0] = np.bincount(home[counts], weight[counts], minlength=n_communes)
        inside = counts[:, None] & (first <= day.astype(np.int64))
        covered[k] = np.bincount(
            cells[inside], np.broadcast_to(weight[:, None], inside.shape)[inside],
            minlength=n_communes * n_ops,
        ).reshape(n_communes, n_ops)
    return covered, totals


def _area_history(
    communes: gpd.GeoDataFrame,
    discs: np.ndarray,
    owner: np.ndarray,
    opened: np.ndarray,
    stamps: np.ndarray,
    n_ops: int,
) -> np.ndarray:
    """Covered area ``[day, commune, operator]``: running unions of the newly opened pieces."""
    shapes = communes.geometry.to_numpy()
    disc_at, commune_at = shapely.STRtree(shapes).query(discs, predicate="intersects")
    pieces = shapely.intersection(discs[disc_at], shapes[commune_at])
    order = np.argsort(opened[disc_at], kind="stable")
    pieces, commune_at = pieces[order], commune_at[order]
    operator_at, piece_opened = owner[disc_at][order], opened[disc_at][order]
    areas = np.zeros((len(stamps), len(shapes), n_ops))
    running: dict[tuple[int, int], shapely.Geometry] = {}
    start = 0
    for k, day in enumerate(stamps):
        if k:
            areas[k] = areas[k - 1]
        stop = int(np.searchsorted(piece_opened, day, side="right"))
        grown: dict[tuple[int, int], list[shapely.Geometry]] = {}
        for at in range(start, stop):
            grown.setdefault((int(commune_at[at]), int(operator_at[at])), []).append(pieces[at])
        for cell, new in grown.items():
            old = [running[cell]] if cell in running else []
            running[cell] = shapely.union_all(old + new)
            areas[(k, *cell)] = running[cell].area
        start = stop
    return areas
