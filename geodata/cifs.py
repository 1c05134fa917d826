"""Waze CIFS (Closure and Incident Feed Specification) files, XML or JSON.

XML: ``<incidents><incident id="..">`` with ``type``, ``subtype``, ``description``,
``starttime``, ``endtime``, ``source/name`` and ``location`` (``street``,
``polyline``, ``direction``; these may also be direct children of the incident).
JSON: ``{"incidents": [{"incident": {...}}]}``, ``{"incidents": [{...}]}`` or a flat
list of incidents, with the same keys. ``polyline`` lists ``lat lon lat lon ...``
(latitude first, in the direction of traffic); it becomes a lon/lat LineString,
or a Point when it holds a single position. The kind is the CIFS type written
like WZDx event types (``ROAD_CLOSED`` -> ``road-closed``); the subtype is kept in
``types_of_work``. Incidents are numbered from 1 in file order for error messages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from geodata._works_frame import keep_valid
from geodata.errors import InputError, ProblemCollector
from geodata.text import clean_cell, detect_encoding
from geodata.works import (
    LOCAL_TZ,
    WorksRead,
    load_json,
    lonlat_problem,
    parse_instant,
    read_input_bytes,
    works_frame,
)

_FIELDS = (
    "type",
    "subtype",
    "description",
    "starttime",
    "endtime",
    "street",
    "polyline",
    "direction",
)


def read_cifs(path: str | Path, *, skip_invalid: bool = False) -> WorksRead:
    """Read a Waze CIFS feed (XML or JSON, chosen by content) into the canonical works frame.

    ``skip_invalid`` leaves bad incidents out and returns them as rejected rows.
    """
    path = Path(path)
    data = read_input_bytes(path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        incidents = _xml_incidents(path.name, data)
    else:
        incidents = _json_incidents(path.name, load_json(path))
    problems = ProblemCollector(path.name)
    records, local_times = [], 0
    for number, incident in enumerate(incidents, start=1):
        record, local = _record(number, incident, problems)
        records.append(record)
        local_times += local
    records, rejected = keep_valid(records, problems, skip_invalid)
    warnings = []
    if local_times:
        warnings.append(f"{local_times} time(s) without a UTC offset read as {LOCAL_TZ} local time")
    return WorksRead(works_frame(records), "cifs", warnings, rejected=rejected)


def _xml_incidents(file: str, data: bytes) -> list[dict[str, str]]:
    root = _parse_xml(file, data)
    if root.tag != "incidents":
        raise InputError.single(
            file,
            f"not a CIFS feed: root element is <{root.tag}>, expected <incidents>",
            code="bad_cifs",
        )
    out = []
    for element in root.findall("incident"):
        incident = {"id": clean_cell(element.get("id"))}
        for name in _FIELDS:
            node = element.find(name)
            if node is None:
                node = element.find(f"location/{name}")
            incident[name] = clean_cell(node.text if node is not None else "")
        owner = element.find("source/name")
        incident["owner"] = clean_cell(owner.text if owner is not None else "")
        out.append(incident)
    return out


def _parse_xml(file: str, data: bytes) -> ET.Element:
    """Parse XML bytes; an undeclared legacy encoding (cp1252) is decoded before parsing."""
    declared = re.match(rb"\s*<\?xml[^>]*encoding=", data.lstrip(b"\xef\xbb\xbf")) is not None
    try:
        if declared or detect_encoding(data) == "utf-8-sig":
            return ET.fromstring(data)
        text = data.decode(detect_encoding(data))
        return ET.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError.single(
            file,
            f"malformed XML ({str(exc).split(':')[0]}, column {column + 1})",
            row=line,
            code="bad_xml",
        ) from None
    except (LookupError, ValueError) as exc:
        # The declaration names an encoding Python does not know or expat cannot use.
        raise InputError.single(file, f"the XML declares an unusable encoding ({exc})",
                                row=1, code="bad_xml") from None


def _json_incidents(file: str, doc: Any) -> list[dict[str, str]]:
    items = doc.get("incidents") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError.single(
            file,
            'not a CIFS feed: expected {"incidents": [...]} or a list of incidents',
            code="bad_cifs",
        )
    out = []
    for item in items:
        incident = item.get("incident", item) if isinstance(item, dict) else {}
        incident = incident if isinstance(incident, dict) else {}
        location = incident.get("location") if isinstance(incident.get("location"), dict) else {}
        source = incident.get("source") if isinstance(incident.get("source"), dict) else {}
        flat = {"id": clean_cell(incident.get("id")), "owner": clean_cell(source.get("name"))}
        for name in _FIELDS:
            flat[name] = clean_cell(incident.get(name) or location.get(name))
        out.append(flat)
    return out


def _record(
    number: int, incident: dict[str, str], problems: ProblemCollector
) -> tuple[dict[str, Any], int]:
    if not incident["id"]:
        problems.add("incident without an id", row=number, column="id")
    times, local_count = [], 0
    for key in ("starttime", "endtime"):
        raw = incident[key]
        if not raw:
            if key == "starttime":
                problems.add("missing starttime", row=number, column=key)
            times.append(None)
            continue
        try:
            stamp, local = parse_instant(raw, end=key == "endtime")
        except ValueError as exc:
            problems.add(str(exc), row=number, column=key, value=raw)
            stamp, local = None, False
        local_count += local
        times.append(stamp)
    if times[0] is not None and times[1] is not None and times[1] < times[0]:
        problems.add(
            "endtime is before starttime", row=number, column="endtime", value=incident["endtime"]
        )
    geom = _polyline(incident["polyline"], number, problems)
    title = " — ".join(p for p in (incident["street"], incident["description"]) if p)
    subtype = incident["subtype"]
    return {
        "source_id": incident["id"],
        "source_format": "cifs",
        "title": title or incident["id"],
        "kind": _kind(incident["type"]),
        "owner": incident["owner"] or None,
        "start_at": times[0],
        "end_at": times[1],
        "start_verified": None,
        "end_verified": None,
        "types_of_work": [_kind(subtype)] if subtype else [],
        "commune": None,
        "source_row": number,
        "road_names": [incident["street"]] if incident["street"] else None,
        "description": incident["description"] or None,
        "direction": incident["direction"] or None,
        "geometry": geom,
    }, local_count


def _kind(cifs_type: str) -> str:
    return re.sub(r"[\s_]+", "-", cifs_type.strip().lower()) or "work-zone"


def _polyline(text: str, number: int, problems: ProblemCollector) -> BaseGeometry | None:
    """``"lat lon lat lon ..."`` (latitude first) -> lon/lat Point or LineString."""
    try:
        values = [float(v) for v in re.split(r"[\s,]+", text.strip()) if v]
    except ValueError:
        problems.add(
            "polyline must hold numbers 'lat lon lat lon ...'",
            row=number,
            column="polyline",
            value=text,
        )
        return None
    if not values or len(values) % 2:
        problems.add(
            "polyline must hold pairs of numbers 'lat lon lat lon ...'",
            row=number,
            column="polyline",
            value=text,
        )
        return None
    positions = [(values[i + 1], values[i]) for i in range(0, len(values), 2)]
    geom = Point(positions[0]) if len(positions) == 1 else LineString(positions)
    reason = lonlat_problem(geom)
    if reason:
        problems.add(
            f"{reason}; CIFS polylines are latitude first",
            row=number,
            column="polyline",
            value=text,
        )
    return geom
