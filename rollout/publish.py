"""The open-data package (issue 17.1): CSV, GeoJSON and one GeoPackage, described twice.

``rollout publish DIR`` (and ``/open-data/`` when enabled) writes the tables of
:mod:`rollout.open_data_schema` as of the publication date: communes, per-commune FTTH
figures over time (with the denominator's method and vintage), milestones and their
assessment, publishable works, radio sites and the modelled 5G coverage, plus ``sources.csv``
(the files they come from). CSV: UTF-8, ``,``, ISO dates, ``true``/``false``, empty = missing.
``datapackage.json`` (Frictionless) and ``catalog.jsonld`` (DCAT-AP) describe them
(:mod:`rollout.catalog`).

Never published: accounts, the audit log, challenge submitters' e-mails, evidence files
(only their names and sha256), works that are not publishable, and the planner layers
(5G gaps, FTTH gap hexagons) unless ``include_restricted``. Rows from synthetic batches carry
``synthetic = true``, and the catalogue says which datasets hold any.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from rollout import compliance, indicators, mobile, queries
from rollout.open_data_schema import GEOPACKAGE, TABLES, Table, table
from rollout.works_analysis import work_status


@dataclass
class Package:
    """The tables (frames) of one publication and its date."""

    as_of: dt.date
    frames: dict[str, pd.DataFrame]
    restricted: dict[str, gpd.GeoDataFrame]


def _joined(values: object) -> str | None:
    if values is None or (not isinstance(values, (list, tuple)) and pd.isna(values)):
        return None
    return "; ".join(str(v) for v in values) or None


def _synthetic(frame: pd.DataFrame, batches: pd.DataFrame, column: str = "batch_id") -> pd.Series:
    flags = dict(zip(batches["batch_id"], batches["synthetic"], strict=True))
    return frame[column].map(lambda b: bool(flags.get(b, False))).astype(bool)


def _figures(session: Session, as_of: dt.date, batches: pd.DataFrame) -> pd.DataFrame:
    series = indicators.commune_series(queries.progress(session, as_of=as_of))
    out = indicators.attach_denominator(series.reset_index(drop=True),
                                        queries.premises_counts(session))
    premises = pd.to_numeric(out["premises"]).astype("Float64")
    connectable = pd.to_numeric(out["connectable"]).astype("Float64")
    rad = pd.to_numeric(out["rad"]).astype("Float64")
    out["connectable_share"] = (connectable / premises).round(6)
    out["connectable_or_rad_share"] = ((connectable + rad.fillna(0)) / premises).round(6)
    out["synthetic"] = _synthetic(out, batches)
    return out.sort_values(["insee", "observed_on"], ignore_index=True)


def _milestones(session: Session, as_of: dt.date, batches: pd.DataFrame) -> pd.DataFrame:
    assessed = compliance.assessments(session, as_of)
    if assessed.empty:
        return pd.DataFrame(columns=[f.name for f in table("milestones").fields])
    stored = compliance.milestones(session)[["milestone_id", "rad_cap"]]
    out = assessed.merge(stored, on="milestone_id", how="left", suffixes=("", "_stored"))
    out["as_of"] = as_of
    out["synthetic"] = _synthetic(out, batches, "milestone_batch_id")
    return out


def _works(session: Session, as_of: dt.date, batches: pd.DataFrame) -> gpd.GeoDataFrame:
    works = mobile.works_frame(session)
    works = works[works["publishable"].to_numpy()].copy()
    works["status"] = work_status(works, as_of)
    works["road_names"] = works["road_names"].map(_joined)
    works["insee"] = works["insee"].map(_joined)
    works["synthetic"] = _synthetic(works, batches)
    return works.reset_index(drop=True)


def _sites(session: Session, batches: pd.DataFrame) -> gpd.GeoDataFrame:
    sites = mobile.sites_frame(session)
    for column in ("systems", "bands"):
        sites[column] = sites[column].map(_joined)
    sites["synthetic"] = _synthetic(sites, batches)
    return gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                            crs=4326)


def _communes(session: Session, batches: pd.DataFrame) -> gpd.GeoDataFrame:
    communes = queries.communes(session, geometry=True)
    communes["area_km2"] = (communes.geometry.to_crs(epsg=2154).area / 1e6).round(3)
    communes["synthetic"] = _synthetic(communes, batches)
    return communes


def build_package(session: Session, as_of: dt.date, *, include_restricted: bool = False
                  ) -> Package:
    """Every table of the package as of ``as_of`` (the publication date)."""
    batches = queries.batches(session)
    batches = batches[batches["status"] == "loaded"].sort_values("batch_id", ignore_index=True)
    sites = _sites(session, batches)
    has_5g = bool(sites["has_5g"].any())
    coverage = mobile.coverage_layers(session, as_of) if has_5g else None
    frames = {
        "sources": batches.assign(synthetic=batches["synthetic"].astype(bool)),
        "communes": _communes(session, batches),
        "commune_figures": _figures(session, as_of, batches),
        "milestones": _milestones(session, as_of, batches),
        "works": _works(session, as_of, batches),
        "radio_sites": sites,
        "coverage_5g": coverage.shares if coverage is not None else pd.DataFrame(),
    }
    restricted: dict[str, gpd.GeoDataFrame] = {}
    if include_restricted and coverage is not None:
        restricted["gaps_5g"] = coverage.gaps
    if include_restricted:
        from rollout import gaps

        points = mobile.premises_points(session, as_of)
        if len(points):
            restricted["gap_hexagons"] = gaps.aggregate_hex(gaps.premises_gap_points(points))
    return Package(as_of, frames, restricted)


def _cell(value: object, kind: str) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    if kind == "boolean":
        return "true" if bool(value) else "false"
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "integer":
        return str(int(value))
    if kind == "number":
        return repr(float(value)) if not float(value).is_integer() else str(int(value))
    return str(value)


def table_csv(spec: Table, frame: pd.DataFrame) -> bytes:
    """The table's CSV bytes: the spec's columns in order, UTF-8, ``,``, one header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in spec.fields])
    columns = [(f.name, f.type) for f in spec.fields]
    for record in frame.to_dict("records") if len(frame) else []:
        writer.writerow([_cell(record.get(name), kind) for name, kind in columns])
    return buffer.getvalue().encode("utf-8")


def _geo(spec: Table | None, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The spatial frame with the spec's columns as text/numbers GDAL and GeoJSON can hold."""
    if spec is None:
        out = frame.copy()
        for column in out.columns:
            if column != out.geometry.name and out[column].dtype == object:
                out[column] = out[column].map(lambda v: None if v is None else str(v))
        return out
    data = {f.name: [_cell(v, f.type) or None for v in frame[f.name]]
            if f.type in ("date", "datetime", "string") else frame[f.name]
            for f in spec.fields}
    return gpd.GeoDataFrame(data, geometry=list(frame.geometry), crs=4326)


def _geojson(frame: gpd.GeoDataFrame) -> bytes:
    doc = json.loads(frame.to_json(na="null", drop_id=True))
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def write_package(package: Package, folder: Path, base_url: str) -> list[Path]:
    """Write the package into ``folder``; ``base_url`` is where it will be downloaded from."""
    from rollout.catalog import catalog, datapackage

    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    gpkg = folder / GEOPACKAGE
    if gpkg.exists():
        gpkg.unlink()
    for spec in TABLES:
        frame = package.frames[spec.name]
        path = folder / f"{spec.name}.csv"
        path.write_bytes(table_csv(spec, frame))
        written[path.name] = path
        if spec.spatial:
            geo = _geo(spec, frame)
            path = folder / f"{spec.name}.geojson"
            path.write_bytes(_geojson(geo))
            written[path.name] = path
            if len(geo):
                geo.to_file(gpkg, layer=spec.name, driver="GPKG", engine="pyogrio")
    for name, frame in package.restricted.items():
        geo = _geo(None, frame)
        path = folder / f"{name}.geojson"
        path.write_bytes(_geojson(geo))
        written[path.name] = path
        if len(geo):
            geo.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    if gpkg.exists():
        written[gpkg.name] = gpkg
    descriptor = datapackage(package, written)
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=1), encoding="utf-8")
    document = catalog(package, written, base_url)
    (folder / "catalog.jsonld").write_text(
        json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return [*written.values(), folder / "datapackage.json", folder / "catalog.jsonld"]
