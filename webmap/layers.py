"""Optional map layers: one registered reader per layer, shared by the map, the API and the export.

Adding a layer is one function decorated with :func:`layer`: it returns a GeoDataFrame in
EPSG:4326 (empty when nothing is loaded) and the layer then appears on the map (when it has
rows), under ``/api/<name>`` and in ``/export.gpkg``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from geoalchemy2 import functions as gfunc
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.models import SRID, PublicWork, RadioSite
from webmap import data

Reader = Callable[[Session, dt.date], gpd.GeoDataFrame]


@dataclass(frozen=True)
class Layer:
    """A map overlay: ``draw`` is ``points`` (clustered markers), ``circles`` or ``shapes``."""

    name: str
    title: str
    read: Reader
    draw: str
    group_by: str | None = None
    popup: tuple[tuple[str, str], ...] = ()


LAYERS: dict[str, Layer] = {}


def layer(name: str, title: str, draw: str, group_by: str | None = None,
          popup: tuple[tuple[str, str], ...] = ()) -> Callable[[Reader], Reader]:
    """Register ``read`` as the layer ``name`` (``title`` is French; ``popup``: column, label)."""

    def register(read: Reader) -> Reader:
        LAYERS[name] = Layer(name, title, read, draw, group_by, popup)
        return read

    return register


def _geoframe(rows: list, columns: list[str]) -> gpd.GeoDataFrame:
    """Rows whose last value is WKB -> GeoDataFrame in EPSG:4326."""
    frame = pd.DataFrame(rows, columns=[*columns, "wkb"])
    geoms = shapely.from_wkb([bytes(w) for w in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRID}")


@layer("gaps", "Locaux non raccordables", "circles",
       popup=(("name", "Commune"), ("gap_premises", "Locaux non raccordables"),
              ("observed_on", "Observé le"), ("source_file", "Source")))
def gaps(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Commune-level FTTH gap (premises - connectable) at a point inside each commune."""
    shapes = data.display_communes(session)
    figures = data.figures(session, as_of)[
        ["insee", "premises", "connectable", "gap_premises", "observed_on", "synthetic",
         "source_file"]
    ]
    out = shapes.merge(figures, on="insee", how="inner")
    out = out[out["gap_premises"].fillna(0) > 0].reset_index(drop=True)
    out["geometry"] = out.geometry.representative_point()
    return out


@layer("sites", "Sites radio", "points", group_by="operator_name",
       popup=(("station_id", "Identifiant"), ("operator_name", "Opérateur"),
              ("systems", "Systèmes"), ("in_service_on", "Mise en service")))
def sites(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Radio sites in service on ``as_of`` (or without a date), one row per station and operator."""
    rows = session.execute(
        select(RadioSite.station_id, RadioSite.operator_code, RadioSite.operator_name,
               RadioSite.insee, RadioSite.systems, RadioSite.has_5g, RadioSite.in_service_on,
               gfunc.ST_AsBinary(RadioSite.geom))
        .where((RadioSite.in_service_on <= as_of) | RadioSite.in_service_on.is_(None))
        .order_by(RadioSite.station_id, RadioSite.operator_code)
    ).all()
    out = _geoframe(rows, ["station_id", "operator_code", "operator_name", "insee", "systems",
                           "has_5g", "in_service_on"])
    out["systems"] = out["systems"].map(lambda s: ", ".join(s or []))
    out["operator_name"] = out["operator_name"].fillna(out["operator_code"])
    return out


@layer("works", "Travaux publics", "shapes", group_by="timing",
       popup=(("title", "Titre"), ("kind", "Type"), ("owner", "Maître d'ouvrage"),
              ("start_at", "Début"), ("end_at", "Fin")))
def works(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Public works with their timing relative to ``as_of``: past, ongoing or planned."""
    rows = session.execute(
        select(PublicWork.id, PublicWork.source_id, PublicWork.source_format, PublicWork.title,
               PublicWork.kind, PublicWork.owner, PublicWork.start_at, PublicWork.end_at,
               PublicWork.outside_communes, gfunc.ST_AsBinary(PublicWork.geom))
        .order_by(PublicWork.id)
    ).all()
    out = _geoframe(rows, ["id", "source_id", "source_format", "title", "kind", "owner",
                           "start_at", "end_at", "outside_communes"])
    moment = pd.Timestamp(as_of)
    start = pd.to_datetime(out["start_at"])
    end = pd.to_datetime(out["end_at"])
    out["timing"] = "ongoing"
    out.loc[start > moment, "timing"] = "planned"
    out.loc[end.notna() & (end < moment), "timing"] = "past"
    return out
