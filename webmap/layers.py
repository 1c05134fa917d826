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
from sqlalchemy.orm import Session

from rollout import gaps as gaps_analysis
from rollout import mobile
from rollout.models import SRID
from webmap import data

Reader = Callable[[Session, dt.date], gpd.GeoDataFrame]


@dataclass(frozen=True)
class Layer:
    """A layer: ``draw`` is ``points`` (clustered markers), ``circles``, ``hexagons``, ``shapes``.

    ``on_map=False`` keeps a layer too heavy to embed in the page to the API and the export.
    """

    name: str
    title: str
    read: Reader
    draw: str
    group_by: str | None = None
    popup: tuple[tuple[str, str], ...] = ()
    on_map: bool = True


LAYERS: dict[str, Layer] = {}


def layer(name: str, title: str, draw: str, group_by: str | None = None,
          popup: tuple[tuple[str, str], ...] = (), on_map: bool = True
          ) -> Callable[[Reader], Reader]:
    """Register ``read`` as the layer ``name`` (``title`` is French; ``popup``: column, label)."""

    def register(read: Reader) -> Reader:
        LAYERS[name] = Layer(name, title, read, draw, group_by, popup, on_map)
        return read

    return register


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


@layer("gap_hexagons", "Locaux non raccordables (hexagones)", "hexagons",
       popup=(("premises", "Locaux non raccordables"), ("premises_on_demand", "dont à la demande"),
              ("buildings", "Immeubles")))
def gap_hexagons(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Premises not connectable (IPE points, latest vintage) summed on 250 m hexagons."""
    points = mobile.premises_points(session, as_of)
    if points.empty:
        return gpd.GeoDataFrame({"hex_id": []}, geometry=[], crs="EPSG:4326")
    return gaps_analysis.aggregate_hex(gaps_analysis.premises_gap_points(points))


@layer("sites", "Sites radio", "points", group_by="operator_name",
       popup=(("station_id", "Identifiant"), ("operator_name", "Opérateur"),
              ("systems", "Systèmes"), ("in_service_on", "Mise en service")))
def sites(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Radio sites in service on ``as_of``, one row per station and operator. A site without
    an in-service date is in service at no date shown, as the coverage model and the
    assessment count it (issue 14.15); `rollout sites` still lists it."""
    frame = mobile.sites_frame(session)
    in_service = pd.to_datetime(frame["in_service_on"], errors="coerce") <= pd.Timestamp(as_of)
    frame = frame[in_service.to_numpy()].copy()
    frame["systems"] = frame["systems"].map(lambda s: ", ".join(s or []))
    frame["bands"] = frame["bands"].map(lambda s: ", ".join(s or []))
    frame["operator_name"] = frame["operator_name"].fillna(frame["operator_code"])
    points = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=points, crs=f"EPSG:{SRID}").reset_index(drop=True)


@layer("works", "Travaux publics", "shapes", group_by="status",
       popup=(("title", "Titre"), ("kind", "Type"), ("owner", "Maître d'ouvrage"),
              ("start_at", "Début"), ("end_at", "Fin")))
def works(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Public works with their status on ``as_of``: planned, ongoing or ended."""
    listing = mobile.works_listing(mobile.works_frame(session), as_of)
    listing["insee"] = listing["insee"].map(lambda codes: ", ".join(codes or []))
    listing["types_of_work"] = listing["types_of_work"].map(
        lambda kinds: ", ".join(map(str, kinds or [])))
    listing["status"] = listing["status"].astype(str)
    return listing.reset_index(drop=True)


@layer("gaps_5g", "Zones sans 5G", "shapes", group_by="operator_code", on_map=False)
def gaps_5g(session: Session, as_of: dt.date) -> gpd.GeoDataFrame:
    """Parts of each commune outside every in-service 5G site's modelled coverage, per operator.

    DESIGN.md's buffer model (``rollout.mobile.coverage_layers``); several thousand vertices
    per operator, so it is served by the API and the export rather than embedded in the map.
    """
    return mobile.coverage_layers(session, as_of).gaps.reset_index(drop=True)
