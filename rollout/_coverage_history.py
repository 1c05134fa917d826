"""Coverage on many days in one sweep: :func:`coverage_history`, importable from rollout.coverage.

It gives the figures of :func:`rollout.coverage.coverage_share` over
:func:`rollout.coverage.coverage_areas` another way (each disc clipped once, dates
swept in order, a point's coverage decided once), with its own array kernels for
premises points and for areas: apart from the one-day functions it does not call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rollout._coverage_inputs import (
    DEFAULT_CRS,
    DEFAULT_RADII_M,
    _home_communes,
    _metric,
    _require,
    site_radius,
    sites_geodataframe,
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
