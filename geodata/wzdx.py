"""WZDx 4.x Work Zone Feeds (US DOT Work Zone Data Exchange), validated offline.

Feeds of versions 4.0, 4.1 and 4.2 are read. WZDx versions follow semantic versioning: a
minor release only adds optional properties and enumerated values and deprecates others
(removals wait for 5.0; see the specification's changelog), so a valid 4.0 or 4.1 feed is a
valid 4.2 feed and the 4.2 schema checks all three. The one renaming of 4.x, the root's
``road_event_feed_info`` (4.0) that became ``feed_info`` (4.1), is accepted under either
name, as the 4.2 schema itself does. Feeds of 2.x and 3.x (a flat ``properties`` object,
no ``core_details``) are refused with their version named.

The feed is validated with the official 4.2 JSON Schemas bundled in
``geodata/schemas/wzdx/4.2`` (Draft 7). Their ``$ref`` to sibling schemas resolve
to the bundled files and those to ``https://geojson.org/schema/*.json`` to the
stand-ins of ``geodata/schemas/geojson``: nothing is fetched from the network.
Work zones and detours are kept, with ``core_details.event_type`` as their kind.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7
from shapely.errors import GEOSException
from shapely.geometry import shape

from geodata._works_frame import keep_valid
from geodata.errors import InputError, Problem, ProblemCollector
from geodata.works import WorksRead, load_json, lonlat_problem, parse_instant, works_frame

VERSION = "4.2"
# Versions whose feeds the 4.2 schema validates (see the module docstring).
SUPPORTED_VERSIONS = ("4.0", "4.1", VERSION)
SCHEMAS = Path(__file__).parent / "schemas"
_LOCAL_BASES = {
    "https://raw.githubusercontent.com/usdot-jpo-ode/wzdx/main/schemas/4.2/": SCHEMAS
    / "wzdx"
    / "4.2",
    "https://geojson.org/schema/": SCHEMAS / "geojson",
}


def _retrieve(uri: str) -> Resource:
    """Resolve a schema address to a bundled file; anything else is refused (no network)."""
    for base, folder in _LOCAL_BASES.items():
        name = uri[len(base) :] if uri.startswith(base) else ""
        if name and "/" not in name and (folder / name).is_file():
            contents = json.loads((folder / name).read_text(encoding="utf-8"))
            return Resource.from_contents(contents, default_specification=DRAFT7)
    raise NoSuchResource(ref=uri)


@cache
def feed_validator() -> Draft7Validator:
    """A Draft 7 validator for WZDx 4.2 WorkZoneFeed documents, resolving $ref offline."""
    schema = json.loads((SCHEMAS / "wzdx" / "4.2" / "WorkZoneFeed.json").read_text("utf-8"))
    return Draft7Validator(schema, registry=Registry(retrieve=_retrieve))


def read_wzdx(path: str | Path, *, skip_invalid: bool = False) -> WorksRead:
    """Read a WZDx 4.0, 4.1 or 4.2 WorkZoneFeed GeoJSON file into the canonical works frame.

    ``skip_invalid`` leaves features that break the schema or the rules out and returns
    them as rejected rows; a fault of the feed itself (feed_info…) still refuses it.
    """
    path = Path(path)
    doc = load_json(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError.single(
            path.name,
            "not a WZDx feed: expected a GeoJSON FeatureCollection with feed_info",
            code="bad_wzdx",
        )
    _refuse_other_feeds(path.name, doc)
    errors = sorted(feed_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    problems = [p for e in errors for p in _problems(path.name, e)]
    if problems and (not skip_invalid or any(p.row is None for p in problems)):
        raise InputError(problems, code="schema_violation")
    broken = {p.row for p in problems}
    feed = doc.get("feed_info") or doc["road_event_feed_info"]
    sources = {s["data_source_id"]: s.get("organization_name") for s in feed["data_sources"]}
    collector = ProblemCollector(path.name)
    collector.problems.extend(problems)
    records = [
        _record(n, f, feed, sources, collector)
        for n, f in enumerate(doc["features"], start=1) if n not in broken
    ]
    records, rejected = keep_valid(records, collector, skip_invalid)
    metadata = {
        k: feed.get(k)
        for k in ("publisher", "version", "update_date", "contact_name", "contact_email", "license")
    }
    metadata["data_sources"] = list(feed["data_sources"])
    return WorksRead(works_frame(records), "wzdx", [], metadata, rejected=rejected)


def _refuse_other_feeds(file: str, doc: dict[str, Any]) -> None:
    """Refuse Device Feeds and feeds of another WZDx version, saying which they are."""
    features = doc.get("features")
    for feature in features if isinstance(features, list) else []:
        props = feature.get("properties") if isinstance(feature, dict) else None
        core = props.get("core_details") if isinstance(props, dict) else None
        if isinstance(core, dict) and "device_type" in core:
            raise InputError.single(
                file,
                "this is a WZDx Device Feed (field devices such as "
                f"{core['device_type']!r}), not a Work Zone Feed: nothing to import as works",
                code="device_feed",
            )
    feed = doc.get("feed_info") or doc.get("road_event_feed_info")
    version = feed.get("version") if isinstance(feed, dict) else None
    if version is not None and str(version) not in SUPPORTED_VERSIONS:
        raise InputError.single(
            file,
            f"WZDx version {version!r} is not supported; expected a Work Zone Feed of "
            f"version {', '.join(SUPPORTED_VERSIONS)}",
            column="feed_info.version",
            value=version,
            code="unsupported_version",
        )


def _problems(file: str, error: ValidationError) -> list[Problem]:
    """Problems for one schema violation, located by the JSON path of each offending value.

    For a ``oneOf`` (work zone or detour) only the errors of the closest branch are kept.
    """
    if error.context:
        best = best_match(error.context)
        branch = [e for e in error.context if e.schema_path[0] == best.schema_path[0]]
        return [p for e in branch for p in _problems(file, e)]
    path = list(error.absolute_path)
    is_feature = len(path) > 1 and path[0] == "features" and isinstance(path[1], int)
    value = json.dumps(error.instance, default=str)
    reason = f"schema violation: {error.message[:200]}"
    return [Problem(file, reason, path[1] + 1 if is_feature else None, error.json_path, value)]


def _record(
    number: int,
    feature: dict[str, Any],
    feed: dict[str, Any],
    sources: dict[str, str | None],
    problems: ProblemCollector,
) -> dict[str, Any]:
    props = feature["properties"]
    core = props["core_details"]
    times = []
    for key in ("start_date", "end_date"):
        try:
            stamp, local = parse_instant(props[key])
        except ValueError as exc:
            problems.add(
                str(exc),
                row=number,
                column=f"$.features[{number - 1}].properties.{key}",
                value=props[key],
            )
            stamp, local = None, False
        if local:  # RFC 3339 requires an offset; WZDx says UTC
            problems.add(
                "date-time without a UTC offset",
                row=number,
                column=f"$.features[{number - 1}].properties.{key}",
                value=props[key],
            )
        times.append(stamp)
    if times[0] is not None and times[1] is not None and times[1] < times[0]:
        problems.add(
            "end_date is before start_date",
            row=number,
            column=f"$.features[{number - 1}].properties.end_date",
            value=props["end_date"],
        )
    try:
        geom = shape(feature["geometry"])
        reason = lonlat_problem(geom)
    except (ValueError, TypeError, GEOSException) as exc:
        # The schema allows positions of any length: [1, 5e3, 41.6] next to [lon, lat].
        geom, reason = None, f"geometry cannot be built: {exc}"
    if reason:
        problems.add(
            reason, row=number, column=f"$.features[{number - 1}].geometry",
            value=None if geom is None else geom.wkt[:60],
        )
    roads = " / ".join(core["road_names"])
    detail = core.get("description") or core.get("name")
    return {
        "source_id": feature["id"],
        "source_format": "wzdx",
        "title": f"{roads}: {detail}" if detail else roads,
        "kind": core["event_type"],
        "owner": sources.get(core["data_source_id"]) or feed.get("publisher"),
        "start_at": times[0],
        "end_at": times[1],
        "start_verified": props.get("is_start_date_verified"),
        "end_verified": props.get("is_end_date_verified"),
        "types_of_work": [t["type_name"] for t in props.get("types_of_work") or []],
        "commune": None,
        "source_row": number,
        "road_names": list(core["road_names"]),
        "description": detail,
        "direction": core["direction"],
        "vehicle_impact": props.get("vehicle_impact"),
        "geometry": geom,
    }
