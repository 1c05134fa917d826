"""Works feeds out (issue 17.2): a WZDx 4.2 Work Zone Feed and Waze CIFS incidents, XML and JSON.

Only publishable works (``public_work.publishable``, see :mod:`rollout.importers.works`)
that are planned or ongoing at ``now`` go out. The feeds are built from the database's
canonical works, so the project's own WZDx and CIFS readers read them back to the same works:

- WZDx: ``id`` = the work's source id; ``core_details.name`` = its title; ``road_names`` =
  its road names (else its title: WZDx requires one); ``description`` and ``direction`` as
  stored (``unknown`` when the source had none a WZDx feed allows); ``vehicle_impact`` as
  stored, else ``all-lanes-closed`` for a road closure and ``unknown`` otherwise. WZDx needs an
  end date and a LineString or MultiPoint: open-ended works are left out of it (they stay in
  CIFS), a Point becomes a one-point MultiPoint, a polygon its outer ring.
- CIFS: a closure (``ROAD_CLOSED`` / ``ROAD_CLOSED_CONSTRUCTION``) unless the source says
  lanes stay open or it is a hazard (``HAZARD`` / ``HAZARD_ON_ROAD_CONSTRUCTION``); detours are
  not incidents and are left out. ``polyline`` is latitude first, times carry the Europe/Paris
  offset. Text goes through a real XML serializer (:mod:`xml.etree.ElementTree`); characters
  XML 1.0 cannot carry (control characters) become U+FFFD.

Works from synthetic batches say so in their data source (WZDx) and source name (CIFS).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout import mobile
from rollout.models import ImportBatch
from rollout.rows import each_row

WZDX_VERSION = "4.2"
DEFAULT_PUBLISHER = "Métropole Européenne de Lille"
SYNTHETIC_MARK = " (données synthétiques)"
FEED_FILES = ("works.wzdx.geojson", "works.cifs.xml", "works.cifs.json")
_WZDX_DIRECTIONS = {"northbound", "eastbound", "southbound", "westbound", "undefined", "unknown",
                    "inner-loop", "outer-loop"}
_VEHICLE_IMPACTS = {
    "all-lanes-closed", "some-lanes-closed", "all-lanes-open", "alternating-one-way",
    "some-lanes-closed-merge-left", "some-lanes-closed-merge-right", "all-lanes-open-shift-left",
    "all-lanes-open-shift-right", "some-lanes-closed-split", "flagging",
    "temporary-traffic-signal", "unknown",
}
_WORK_TYPES = {"maintenance", "minor-road-defect-repair", "roadside-work", "overhead-work",
               "below-road-work", "barrier-work", "surface-work", "painting",
               "roadway-relocation", "roadway-creation"}
# XML 1.0 Char production: tab, newline, carriage return and everything from U+0020 up,
# except the surrogates and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LOCAL_TZ = "Europe/Paris"


@dataclass(frozen=True)
class FeedVersion:
    """What the HTTP validators are made of: the newest works batch and when it was loaded."""

    last_batch: int | None
    modified: dt.datetime  # naive UTC


def publisher() -> str:
    """The feeds' publisher (``ROLLOUT_PUBLISHER``, default the metropolis' name)."""
    return os.environ.get("ROLLOUT_PUBLISHER") or DEFAULT_PUBLISHER


def feed_version(session: Session) -> FeedVersion:
    """The newest loaded works batch: feeds change only when one is added."""
    last, when = session.execute(
        select(func.max(ImportBatch.id), func.max(ImportBatch.finished_at))
        .where(ImportBatch.kind == "works", ImportBatch.status == "loaded")
    ).one()
    return FeedVersion(last, when or dt.datetime(1970, 1, 1))


def publishable_works(session: Session, now: dt.datetime) -> gpd.GeoDataFrame:
    """Publishable works not ended at ``now`` (naive UTC), with their batch's synthetic flag."""
    works = mobile.works_frame(session)
    synthetic = dict(session.execute(select(ImportBatch.id, ImportBatch.synthetic)).all())
    works["synthetic"] = works["batch_id"].map(lambda b: bool(synthetic.get(b)))
    stamp = pd.Timestamp(now).tz_localize("UTC")
    live = works["end_at"].isna() | (works["end_at"] >= stamp)
    keep = works["publishable"].to_numpy() & live.to_numpy()
    return works[keep].reset_index(drop=True)


def _utc(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert(_LOCAL_TZ).isoformat(timespec="seconds")


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _ids(works: gpd.GeoDataFrame) -> list[str]:
    """Source ids, made unique where two files used the same one (``id~work``)."""
    counts = works["source_id"].value_counts()
    return [s if counts[s] == 1 else f"{s}~{w}"
            for s, w in zip(works["source_id"], works["work_id"], strict=True)]


def _wzdx_geometry(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, (LineString, MultiPoint)):
        return geom
    if isinstance(geom, Point):
        return MultiPoint([geom])
    if geom.geom_type == "Polygon":
        return LineString(geom.exterior.coords)
    merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    return merged if isinstance(merged, LineString) else MultiPoint(shapely.get_coordinates(geom))


def _source(owner: str | None, synthetic: bool) -> tuple[str, str]:
    """(data source id, organisation name) of a work's owner."""
    name = (owner or publisher()) + (SYNTHETIC_MARK if synthetic else "")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "source"
    return slug, name


def wzdx_feed(works: gpd.GeoDataFrame, modified: dt.datetime) -> dict:
    """A WZDx 4.2 WorkZoneFeed (GeoJSON) of ``works`` (from :func:`publishable_works`)."""
    sources: dict[str, str] = {}
    features = []
    for work, fid in zip(each_row(works, index=False), _ids(works), strict=True):
        if pd.isna(work.end_at):
            continue
        source_id, organisation = _source(_text(work.owner), bool(work.synthetic))
        sources[source_id] = organisation
        detour = work.kind == "detour"
        direction = _text(work.direction)
        core = {
            "data_source_id": source_id,
            "event_type": "detour" if detour else "work-zone",
            "road_names": list(work.road_names or []) or [str(work.title)],
            "direction": direction if direction in _WZDX_DIRECTIONS else "unknown",
            "name": str(work.title),
        }
        if _text(work.description):
            core["description"] = str(work.description)
        props: dict = {
            "core_details": core, "start_date": _utc(work.start_at), "end_date": _utc(work.end_at),
            "is_start_date_verified": bool(work.start_verified is True),
            "is_end_date_verified": bool(work.end_verified is True),
        }
        if not detour:
            impact = _text(work.vehicle_impact)
            if impact not in _VEHICLE_IMPACTS:
                impact = "all-lanes-closed" if work.kind == "road-closed" else "unknown"
            props.update(
                vehicle_impact=impact, location_method="unknown",
                is_start_position_verified=False, is_end_position_verified=False,
                types_of_work=[{"type_name": t} for t in work.types_of_work if t in _WORK_TYPES],
            )
        features.append({"id": fid, "type": "Feature", "properties": props,
                         "geometry": mapping(_wzdx_geometry(work.geometry))})
    if not sources:  # WZDx requires at least one data source, even for an empty feed
        sources[_source(None, False)[0]] = publisher()
    return {
        "feed_info": {
            "publisher": publisher(), "version": WZDX_VERSION,
            "update_date": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data_sources": [{"data_source_id": k, "organization_name": v}
                             for k, v in sorted(sources.items())],
        },
        "type": "FeatureCollection",
        "features": features,
    }


def _cifs_kind(work) -> tuple[str, str]:
    """(type, subtype) of a work as a CIFS incident (module docstring)."""
    for subtype in work.types_of_work:
        upper = str(subtype).upper().replace("-", "_")
        if upper.startswith(("ROAD_CLOSED_", "HAZARD_ON_ROAD")):
            return ("ROAD_CLOSED" if upper.startswith("ROAD_CLOSED") else "HAZARD"), upper
    impact = _text(work.vehicle_impact)
    if work.kind == "hazard" or (impact not in (None, "unknown", "all-lanes-closed")):
        return "HAZARD", "HAZARD_ON_ROAD_CONSTRUCTION"
    return "ROAD_CLOSED", "ROAD_CLOSED_CONSTRUCTION"


def cifs_incidents(works: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """Flat CIFS incidents of ``works`` (detours left out), in feed order."""
    incidents = []
    for work, fid in zip(each_row(works, index=False), _ids(works), strict=True):
        if work.kind == "detour":
            continue
        kind, subtype = _cifs_kind(work)
        geom = work.geometry
        line = geom.exterior if geom.geom_type == "Polygon" else geom
        coords = shapely.get_coordinates(line)
        direction = _text(work.direction)
        if direction not in ("BOTH_DIRECTIONS", "ONE_DIRECTION"):
            one_way = direction in _WZDX_DIRECTIONS - {"undefined", "unknown"}
            direction = "ONE_DIRECTION" if one_way else "BOTH_DIRECTIONS"
        owner = (_text(work.owner) or publisher()) + (SYNTHETIC_MARK if work.synthetic else "")
        incident = {
            "id": fid, "type": kind, "subtype": subtype,
            "street": " / ".join(work.road_names or []) or str(work.title),
            "polyline": " ".join(f"{lat:.7f} {lon:.7f}" for lon, lat in coords),
            "direction": direction,
            "description": _text(work.description) or str(work.title),
            "starttime": _local(work.start_at),
            "source": owner,
        }
        if not pd.isna(work.end_at):
            incident["endtime"] = _local(work.end_at)
        incidents.append(incident)
    return incidents


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def cifs_xml(incidents: list[dict[str, str]]) -> bytes:
    """The CIFS XML document: ``<incidents><incident id=…>`` with a ``<location>`` each."""
    root = ET.Element("incidents")
    for item in incidents:
        node = ET.SubElement(root, "incident", {"id": _xml_text(item["id"])})
        ET.SubElement(ET.SubElement(node, "source"), "name").text = _xml_text(item["source"])
        for name in ("type", "subtype", "description"):
            ET.SubElement(node, name).text = _xml_text(item[name])
        location = ET.SubElement(node, "location")
        for name in ("street", "polyline", "direction"):
            ET.SubElement(location, name).text = _xml_text(item[name])
        for name in ("starttime", "endtime"):
            if name in item:
                ET.SubElement(node, name).text = item[name]
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def cifs_json(incidents: list[dict[str, str]]) -> bytes:
    """The CIFS JSON document ``{"incidents": [{…}]}`` (source as ``{"name": …}``)."""
    items = [{**{k: v for k, v in i.items() if k != "source"}, "source": {"name": i["source"]}}
             for i in incidents]
    return json.dumps({"incidents": items}, ensure_ascii=False, indent=1).encode("utf-8")


def render_feeds(session: Session, now: dt.datetime) -> dict[str, bytes]:
    """Every feed file (:data:`FEED_FILES`) as bytes, from the same publishable works."""
    works = publishable_works(session, now)
    version = feed_version(session)
    incidents = cifs_incidents(works)
    wzdx = json.dumps(wzdx_feed(works, version.modified), ensure_ascii=False, indent=1)
    return {
        "works.wzdx.geojson": wzdx.encode("utf-8"),
        "works.cifs.xml": cifs_xml(incidents),
        "works.cifs.json": cifs_json(incidents),
    }


def write_feeds(session: Session, folder: Path, now: dt.datetime) -> list[Path]:
    """Write every feed file into ``folder`` (for a static host); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, payload in render_feeds(session, now).items():
        path = folder / name
        path.write_bytes(payload)
        paths.append(path)
    return paths
