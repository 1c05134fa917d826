"""Read models for 5G sites, public works, 5G coverage and dig-once, for CLI, web and reports.

Database -> frames -> the pure functions of :mod:`rollout.coverage` and
:mod:`rollout.works_analysis`, so every adapter quotes the same numbers.

Revisions: a radio station is identified by (``station_id``, ``operator_code``) and a
work published in a feed (WZDx, CIFS) by (``source_format``, ``source_id``): the latest
batch wins, earlier rows stay as evidence. Works from GeoJSON/GeoPackage/CSV files are all
kept, since their ids may be row numbers.

Coverage observations (:func:`coverage_observations`, the input of the
``mobile_5g_premises_coverage_share`` milestones) are computed on each quarter end from the
one before the first 5G in-service date up to ``as_of``, and on ``as_of`` itself: 5G
in-service dates are exact days, so the series can be evaluated on any day, and quarter
ends match the FTTH observations the reports put beside them. Each commune's denominator
is the premises points of its latest vintage on or before the observation date (else its
earliest), else its population spread uniformly over its area (``method`` says which).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import functions as gfunc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout import coverage, gaps, known_at, queries
from rollout.frames import concat_rows
from rollout.models import ImportBatch, PremisesPoint, PublicWork, PublicWorkCommune, RadioSite
from rollout.works_analysis import conflicts, dig_once, work_status, works_near_sites

FEED_FORMATS = ("wzdx", "cifs")
SITE_COLUMNS = [
    "station_id", "operator_code", "operator_name", "insee", "lon", "lat", "systems", "bands",
    "has_5g", "in_service_on", "batch_id", "source_row",
]
WORK_COLUMNS = [
    "work_id", "source_id", "source_format", "title", "kind", "owner", "start_at", "end_at",
    "start_verified", "end_verified", "types_of_work", "outside_communes", "batch_id",
    "source_row", "publishable", "road_names", "description", "direction", "vehicle_impact",
    "insee",
]


def sites_frame(session: Session) -> pd.DataFrame:
    """Current radio sites: one row per station and operator, sorted by station."""
    rows = session.execute(known_at.restrict(
        select(RadioSite.station_id, RadioSite.operator_code, RadioSite.operator_name,
               RadioSite.insee, gfunc.ST_X(RadioSite.geom), gfunc.ST_Y(RadioSite.geom),
               RadioSite.systems, RadioSite.bands, RadioSite.has_5g, RadioSite.in_service_on,
               RadioSite.batch_id, RadioSite.source_row)
        .order_by(RadioSite.batch_id), RadioSite.batch_id)
    ).all()
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    frame = frame.drop_duplicates(["station_id", "operator_code"], keep="last")
    frame["has_5g"] = frame["has_5g"].astype(bool)
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float)
    return frame.sort_values(["station_id", "operator_code"], ignore_index=True)


def works_frame(session: Session) -> gpd.GeoDataFrame:
    """Current public works (EPSG:4326, times UTC) with ``insee``: the communes each touches."""
    rows = session.execute(known_at.restrict(
        select(PublicWork.id, PublicWork.source_id, PublicWork.source_format, PublicWork.title,
               PublicWork.kind, PublicWork.owner, PublicWork.start_at, PublicWork.end_at,
               PublicWork.start_verified, PublicWork.end_verified, PublicWork.types_of_work,
               PublicWork.outside_communes, PublicWork.batch_id, PublicWork.source_row,
               PublicWork.publishable, PublicWork.road_names, PublicWork.description,
               PublicWork.direction, PublicWork.vehicle_impact,
               gfunc.ST_AsBinary(PublicWork.geom))
        .order_by(PublicWork.batch_id, PublicWork.id), PublicWork.batch_id)
    ).all()
    links = session.execute(
        select(PublicWorkCommune.work_id, PublicWorkCommune.insee)
        .order_by(PublicWorkCommune.work_id, PublicWorkCommune.insee)
    ).all()
    communes: dict[int, list[str]] = {}
    for work_id, insee in links:
        communes.setdefault(work_id, []).append(insee)
    frame = pd.DataFrame([r[:-1] for r in rows], columns=WORK_COLUMNS[:-1])
    frame["insee"] = [communes.get(w, []) for w in frame["work_id"]]
    geometry = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
    works = gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)
    feed = works["source_format"].isin(FEED_FORMATS)
    replaced = feed & works.duplicated(["source_format", "source_id"], keep="last")
    works = works[~replaced.to_numpy()].copy()
    for column in ("start_at", "end_at"):
        works[column] = pd.to_datetime(works[column]).dt.tz_localize("UTC")
    works["outside_communes"] = works["outside_communes"].astype(bool)
    works["publishable"] = works["publishable"].astype(bool)
    return works.sort_values(["start_at", "source_id", "work_id"], ignore_index=True)


def premises_points(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Premises points of each commune's latest vintage on or before ``as_of`` (else earliest)."""
    return _vintage(_all_points(session), as_of)


def _all_points(session: Session) -> gpd.GeoDataFrame:
    rows = session.execute(known_at.restrict(
        select(PremisesPoint.building_id, PremisesPoint.insee, PremisesPoint.premises,
               PremisesPoint.status, PremisesPoint.observed_on, PremisesPoint.batch_id,
               gfunc.ST_X(PremisesPoint.geom), gfunc.ST_Y(PremisesPoint.geom))
        .where(PremisesPoint.insee.is_not(None)), PremisesPoint.batch_id)
    ).all()
    # Plain tuples: pandas probes each SQLAlchemy Row for namedtuple fields, a third of the time.
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["building_id", "insee", "premises",
                                                            "status", "observed_on", "batch_id",
                                                            "lon", "lat"])
    # A building listed by several operators (or re-imported) in one vintage counts once.
    frame = frame.sort_values("batch_id").drop_duplicates(
        ["insee", "observed_on", "building_id"], keep="last"
    )
    points = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float))
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=points, crs=4326)


def _vintage(points: gpd.GeoDataFrame, day: dt.date) -> gpd.GeoDataFrame:
    if points.empty:
        return points
    dates = points[["insee", "observed_on"]].drop_duplicates()
    before = dates[dates["observed_on"] <= day].groupby("insee")["observed_on"].max()
    earliest = dates.groupby("insee")["observed_on"].min()
    chosen = earliest.copy()
    chosen.loc[before.index] = before
    keep = points["observed_on"].to_numpy() == points["insee"].map(chosen).to_numpy()
    return points[keep].reset_index(drop=True)


def observation_dates(first_in_service: dt.date | None, as_of: dt.date) -> list[dt.date]:
    """Quarter ends from the one before ``first_in_service`` up to ``as_of``, then ``as_of``."""
    if first_in_service is None or first_in_service > as_of:
        return [as_of]
    start = pd.Period(first_in_service, freq="Q") - 1
    ends = [
        q.end_time.date() for q in pd.period_range(start, pd.Period(as_of, freq="Q"), freq="Q")
    ]
    return sorted({d for d in ends if d < as_of} | {as_of})


@dataclass
class CoverageLayers:
    """5G coverage on one day: covered areas and gaps (EPSG:4326) and shares per commune."""

    areas: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    shares: pd.DataFrame
    seconds: float


def _shares(
    covered: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    operators: list[str],
) -> pd.DataFrame:
    """Shares by premises points where a commune has them, by population elsewhere."""
    with_points = set(points["insee"]) if len(points) else set()
    parts = []
    if with_points:
        parts.append(coverage.coverage_share(
            covered[covered["insee"].isin(with_points)],
            communes[communes["insee"].isin(with_points)],
            premises_points=points[["premises", "geometry"]], operators=operators,
        ))
    rest = communes[~communes["insee"].isin(with_points)]
    if len(rest):
        parts.append(coverage.coverage_share(
            covered[covered["insee"].isin(set(rest["insee"]))],
            rest.assign(population=rest["population"].astype(float).fillna(0.0)),
            operators=operators,
        ))
    shares = concat_rows(parts, coverage.SHARE_COLUMNS)
    return shares.sort_values(["insee", "operator_code"], ignore_index=True)


def coverage_layers(
    session: Session, as_of: dt.date, radii: Mapping[str, float] = coverage.DEFAULT_RADII_M
) -> CoverageLayers:
    """Covered areas, gaps and shares per operator and commune on ``as_of`` (timed)."""
    started = time.perf_counter()
    communes = queries.communes(session, geometry=True)
    sites = sites_frame(session)
    operators = sorted(set(sites.loc[sites["has_5g"], "operator_code"]))
    areas = coverage.coverage_areas(sites, communes, as_of, radii)
    shares = _shares(areas, communes, premises_points(session, as_of), operators)
    shares["as_of"] = as_of
    holes = coverage.gap_areas(areas, communes, operators)
    return CoverageLayers(
        areas.to_crs(4326), holes.to_crs(4326), shares, time.perf_counter() - started
    )


def coverage_observations(
    session: Session,
    as_of: dt.date,
    radii: Mapping[str, float] = coverage.DEFAULT_RADII_M,
    insee: Collection[str] | None = None,
) -> pd.DataFrame:
    """``insee, operator_code, as_of, covered, premises, method`` on every observation date.

    Only for the communes ``insee`` when given (the ones milestones need). Empty when no 5G
    site is stored; see the module docstring for the dates and denominators. Results are
    kept per database, arguments and latest import batch (any import invalidates them), as
    pages and reports assess the same day many times.
    """
    latest = session.scalar(select(func.max(ImportBatch.id)))
    key = (session.get_bind().engine.url.render_as_string(), as_of, tuple(sorted(radii.items())),
           None if insee is None else tuple(sorted(insee)), latest, known_at.current())
    if key not in _COVERAGE_CACHE:
        if len(_COVERAGE_CACHE) >= 16:
            _COVERAGE_CACHE.pop(next(iter(_COVERAGE_CACHE)))
        _COVERAGE_CACHE[key] = _coverage_observations(session, as_of, radii, insee)
    return _COVERAGE_CACHE[key].copy()


_COVERAGE_CACHE: dict[tuple, pd.DataFrame] = {}


def clear_coverage_cache() -> None:
    """Forget computed coverage observations (e.g. to time the model or after changing radii)."""
    _COVERAGE_CACHE.clear()


def _coverage_observations(
    session: Session,
    as_of: dt.date,
    radii: Mapping[str, float],
    insee: Collection[str] | None,
) -> pd.DataFrame:
    columns = ["insee", "operator_code", "as_of", "covered", "premises", "method"]
    sites = sites_frame(session)
    fives = sites[sites["has_5g"]]
    if fives.empty:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(fives["in_service_on"], errors="coerce").dropna()
    first = dates.min().date() if len(dates) else None
    metric = coverage.DEFAULT_CRS  # project once: the model's functions keep a matching CRS
    communes = queries.communes(session, geometry=True).to_crs(metric)
    points = _all_points(session).to_crs(metric)
    if insee is not None:
        communes = communes[communes["insee"].isin(set(insee))]
        points = points[points["insee"].isin(set(insee))]
    fives = coverage.sites_geodataframe(fives).to_crs(metric)
    operators = sorted(set(fives["operator_code"]))
    days = observation_dates(first, as_of)
    # The same split as _shares: premises points where a commune has some, else population.
    with_points = set(points["insee"])
    parts = []
    if with_points:
        parts.append(coverage.coverage_history(
            fives, communes[communes["insee"].isin(with_points)], days,
            premises_points=_vintage_spans(points), operators=operators, radii=radii, crs=metric,
        ))
    rest = communes[~communes["insee"].isin(with_points)]
    if len(rest):
        parts.append(coverage.coverage_history(
            fives, rest.assign(population=rest["population"].astype(float).fillna(0.0)), days,
            operators=operators, radii=radii, crs=metric,
        ))
    if not parts:
        return pd.DataFrame(columns=columns)
    found = pd.concat(parts, ignore_index=True)
    return found.sort_values(["as_of", "insee", "operator_code"], ignore_index=True)[columns]


def _vintage_spans(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``points`` with the days their vintage is the one :func:`_vintage` picks.

    ``valid_from`` is the vintage's date (open for a commune's earliest, used before it),
    ``valid_until`` the commune's next vintage (open for its latest).
    """
    spans = points[["insee", "observed_on"]].drop_duplicates().sort_values(["insee", "observed_on"])
    spans["valid_until"] = spans.groupby("insee")["observed_on"].shift(-1)
    spans["valid_from"] = spans["observed_on"].where(spans["insee"].duplicated())
    return points.merge(spans, on=["insee", "observed_on"], how="left")


def no_5g_gaps(session: Session, as_of: dt.date,
               radii: Mapping[str, float] = coverage.DEFAULT_RADII_M) -> gpd.GeoDataFrame:
    """Parts of communes no operator covers in 5G, with the population living there (uniform)."""
    return _no_5g_gaps_metric(session, as_of, radii).to_crs(4326)


def _no_5g_gaps_metric(
    session: Session, as_of: dt.date, radii: Mapping[str, float]
) -> gpd.GeoDataFrame:
    """:func:`no_5g_gaps` in the model's metric CRS, snapped to ``coverage.GRID_M``."""
    communes = queries.communes(session, geometry=True)
    areas = coverage.coverage_areas(sites_frame(session), communes, as_of, radii)
    union = areas.assign(operator_code="any").dissolve(by="insee", as_index=False)
    holes = coverage.gap_areas(union, communes, ["any"]).to_crs(coverage.DEFAULT_CRS)
    # gap_areas snaps the gaps it cuts to coverage.GRID_M (valid once reprojected, so dig-once
    # overlays cannot fail on them); a commune without coverage is its own, valid boundary.
    holes = holes[(holes.geometry.area > 0).to_numpy()].reset_index(drop=True)
    metric = communes.to_crs(holes.crs).set_index("insee")
    share = holes.geometry.area.to_numpy() / metric.geometry.area.reindex(holes["insee"]).to_numpy()
    population = metric["population"].astype(float).fillna(0.0).reindex(holes["insee"])
    return holes.drop(columns="operator_code").assign(premises=population.to_numpy() * share)


def dig_once_frame(
    session: Session, as_of: dt.date, distance_m: float = 50,
    radii: Mapping[str, float] = coverage.DEFAULT_RADII_M,
) -> pd.DataFrame:
    """Planned or ongoing works near not-yet-connectable premises (``target`` ``ftth``) or near
    areas without any 5G (``5g``: residents estimated from population), ranked per target.
    """
    works = works_frame(session)
    # Gaps stay in Lambert-93, where dig_once measures: no needless round trip through WGS84.
    targets = {"ftth": gaps.premises_gap_points(premises_points(session, as_of)),
               "5g": _no_5g_gaps_metric(session, as_of, radii)}
    parts = []
    for name, target in targets.items():
        if len(works) and len(target):
            found = dig_once(works, target[["premises", "geometry"]], as_of, distance_m)
            parts.append(found.assign(target=name))
    columns = ["target", "rank", "source_id", "title", "kind", "owner", "status", "start_at",
               "end_at", "targets_near", "premises", "gap_area_m2"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def conflicts_frame(session: Session, as_of: dt.date, buffer_m: float = 10) -> pd.DataFrame:
    """Pairs of works not ended on ``as_of`` that overlap in space (``buffer_m``) and time."""
    works = works_frame(session)
    active = works[(work_status(works, as_of) != "ended").to_numpy()]
    return conflicts(active, buffer_m)


def works_near_sites_frame(
    session: Session, as_of: dt.date, distance_m: float = 100, recent_days: int = 180
) -> pd.DataFrame:
    """Works near 5G sites opened in the last ``recent_days`` or not yet in service."""
    return works_near_sites(
        works_frame(session), sites_frame(session), distance_m, as_of, recent_days
    )


def upcoming_works(
    session: Session, as_of: dt.date, insee: str | None = None
) -> gpd.GeoDataFrame:
    """Works planned or ongoing on ``as_of`` (optionally touching commune ``insee``), by start."""
    works = works_listing(works_frame(session), as_of)
    # Plain booleans: with no works loaded, pandas would mix bool[pyarrow] with float64.
    keep = (works["status"] != "ended").to_numpy(dtype=bool)
    if insee is not None:
        keep &= np.array([insee in codes for codes in works["insee"]], dtype=bool)
    return works[keep].reset_index(drop=True)


def first_coordinates(geometries: gpd.GeoSeries) -> np.ndarray:
    """The first (lon, lat) of each geometry, as the CLI contract's ``first_lon/first_lat``."""
    out = np.full((len(geometries), 2), np.nan)
    for index, geom in enumerate(geometries):
        coords = shapely.get_coordinates(geom)
        if len(coords):
            out[index] = coords[0]
    return out


def works_listing(works: gpd.GeoDataFrame, as_of: dt.date) -> gpd.GeoDataFrame:
    """Works with the CLI contract's fields: ``id`` (the source's id), ``status`` on ``as_of``,
    ``geometry_type``, ``first_lon``/``first_lat``; other columns kept."""
    first = first_coordinates(works.geometry)
    return works.assign(
        id=works["source_id"], status=work_status(works, as_of),
        geometry_type=works.geom_type, first_lon=first[:, 0], first_lat=first[:, 1],
    )


def works_geojson(listing: gpd.GeoDataFrame, columns: list[str]) -> dict:
    """A GeoJSON FeatureCollection (lon/lat) of the works listing with ``columns`` as properties."""
    from rollout.formatting import records

    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": props["id"], "properties": props,
             "geometry": shapely.geometry.mapping(geom)}
            for props, geom in zip(records(listing, columns), listing.geometry, strict=True)
        ],
    }
