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

The parameters and input rules shared with :func:`coverage_history` live in
:mod:`rollout._coverage_inputs`, the history itself in :mod:`rollout._coverage_history`;
their public names are importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from rollout._coverage_history import coverage_history
from rollout._coverage_inputs import (
    DEFAULT_CRS,
    DEFAULT_RADII_M,
    _home_communes,
    _metric,
    _require,
    site_radius,
    sites_geodataframe,
)

__all__ = [
    "DEFAULT_CRS",
    "DEFAULT_RADII_M",
    "GRID_M",
    "coverage_areas",
    "coverage_history",
    "coverage_share",
    "gap_areas",
    "in_service_5g",
    "site_radius",
    "sites_geodataframe",
    "snap_to_grid",
]

# Snap grid for gap polygons, in metres of the metric CRS: far below any distance a planner
# reads, far above the float noise of overlays and reprojections (~1e-9 m).
GRID_M = 0.01


def in_service_5g(sites: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The 5G sites in service on ``as_of`` (in-service date on or before it)."""
    _require(sites, ["has_5g", "in_service_on"], "sites")
    dates = pd.to_datetime(sites["in_service_on"], errors="coerce")
    return sites[sites["has_5g"].astype(bool) & dates.notna() & (dates <= pd.Timestamp(as_of))]


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


SHARE_COLUMNS = ["insee", "operator_code", "as_of", "covered", "premises", "share", "method"]


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
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


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
