"""``/export.gpkg``: every layer in one GeoPackage for QGIS, written by pyogrio to a temp file."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from rollout import queries
from webmap import data, db_session, params
from webmap.auth import requires
from webmap.disposition import content_disposition
from webmap.layers import LAYERS

bp = Blueprint("export", __name__)


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: dates as datetimes, lists as text, nullable ints as floats."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column].dropna()
        if len(values) and all(isinstance(v, dt.date) for v in values):
            out[column] = pd.to_datetime(out[column])
        elif len(values) and all(isinstance(v, (list, tuple)) for v in values):
            out[column] = out[column].map(lambda v: ", ".join(map(str, v or [])))
    return out


def layers_for_export(session: Session, as_of: dt.date) -> dict[str, gpd.GeoDataFrame]:
    """Commune boundaries (full resolution) with their figures, then every overlay, empty ones
    included: a QGIS project built on the export finds the same layers whatever is loaded."""
    boundaries = queries.communes(session, geometry=True)[["insee", "geometry"]]
    figures = data.figures(session, as_of)
    out = {"communes": boundaries.merge(figures, on="insee", how="left")}
    for name, item in LAYERS.items():
        out[name] = item.read(session, as_of)
    return out


def write_geopackage(session: Session, as_of: dt.date, path: Path) -> list[str]:
    """Write every layer as of ``as_of`` to the GeoPackage ``path``; return the layer names."""
    frames = layers_for_export(session, as_of)
    for name, frame in frames.items():
        _plain(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return list(frames)


@bp.route("/export.gpkg")
@requires("exports")
def geopackage() -> Response:
    """All layers as of ``as_of`` in one GeoPackage (EPSG:4326)."""
    as_of = params.as_of(request.args)
    with tempfile.TemporaryDirectory(prefix="rollout-gpkg-") as folder:
        path = Path(folder) / "rollout.gpkg"
        with db_session() as session:
            write_geopackage(session, as_of, path)
        payload = path.read_bytes()
    return Response(payload, mimetype="application/geopackage+sqlite3", headers={
        "Content-Disposition": content_disposition(f"rollout-{as_of.isoformat()}.gpkg")})
