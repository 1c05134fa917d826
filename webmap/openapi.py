"""The OpenAPI 3.1 document of ``/api``, written by hand next to the routes it describes."""

from __future__ import annotations

from typing import Any

from webmap.params import LIMIT_MAX

# Properties of /api/communes features; status, delay_days and sites_5g only when loaded.
COMMUNE_PROPERTIES: dict[str, dict[str, Any]] = {
    "insee": {"type": "string", "pattern": "^[0-9AB]{5}$"},
    "name": {"type": "string"},
    "population": {"type": ["integer", "null"]},
    "area_km2": {"type": ["number", "null"], "description": "computed in the metric CRS"},
    "premises": {"type": ["integer", "null"], "description": "denominator (latest vintage "
                 "on or before observed_on, else the earliest known)"},
    "premises_as_of": {"type": ["string", "null"], "format": "date"},
    "premises_method": {"type": ["string", "null"]},
    "connectable": {"type": ["integer", "null"]},
    "connectable_share": {"type": ["number", "null"], "description": "over 1 is kept, flagged"},
    "gap_premises": {"type": ["integer", "null"], "description": "premises - connectable"},
    "observed_on": {"type": ["string", "null"], "format": "date"},
    "over_100": {"type": "boolean"},
    "synthetic": {"type": "boolean", "description": "true for synthetic demo data"},
    "source_file": {"type": ["string", "null"]},
    "status": {"type": ["string", "null"], "enum": ["met", "met_late", "missed", "at_risk",
                                                    "on_track", "no_data", None]},
    "delay_days": {"type": ["integer", "null"]},
    "sites_5g": {"type": ["integer", "null"]},
}

_PARAMETERS = {
    "bbox": {"name": "bbox", "in": "query", "required": False,
             "description": "minlon,minlat,maxlon,maxlat (WGS84 degrees); features intersecting it",
             "schema": {"type": "string", "example": "2.9,50.5,3.3,50.8"}},
    "as_of": {"name": "as_of", "in": "query", "required": False,
              "description": "evaluation date YYYY-MM-DD (default: today)",
              "schema": {"type": "string", "format": "date"}},
    "limit": {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX}},
    "operator": {"name": "operator", "in": "query", "required": False,
                 "description": "operator code (FRTE, SFR0, 20801…; case-blind); an unknown "
                                "code is a 400 naming the known ones",
                 "schema": {"type": "string"}},
    "commune": {"name": "commune", "in": "query", "required": False,
                "description": "INSEE code of a loaded commune; an unknown code is a 400",
                "schema": {"type": "string"}},
    "zoom": {"name": "zoom", "in": "query", "required": False,
             "description": "web-map zoom level: geometries simplified to half a pixel at that "
                            "zoom (shared borders stay shared); full detail from 13",
             "schema": {"type": "integer", "minimum": 0, "maximum": 22}},
}
_ERROR = {"description": "bad parameter", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _collection(description: str, properties: dict | None = None) -> dict:
    schema: dict[str, Any] = {"$ref": "#/components/schemas/FeatureCollection"}
    if properties:
        schema = {"allOf": [schema, {"properties": {"features": {"items": {"properties": {
            "properties": {"type": "object", "properties": properties}}}}}}]}
    return {"200": {"description": description,
                    "content": {"application/geo+json": {"schema": schema}}}, "400": _ERROR}


def _get(summary: str, responses: dict, parameters: list[str], extra: list | None = None) -> dict:
    return {"get": {"summary": summary, "responses": responses,
                    "parameters": [_PARAMETERS[p] for p in parameters] + (extra or [])}}


ACCESS = (
    "Access: sign in at /login (session cookie). Roles are cumulative: viewer (map, commune "
    "pages and sheets), planner (+ exports, gaps, dig-once), legal (+ operator-delay reports "
    "and evidence), admin (+ imports, users, audit log). Each operation's "
    "`x-rollout-permission` names the permission it needs. When the server runs in public "
    "mode (ROLLOUT_PUBLIC_MODE=1), anonymous clients get the viewer's permissions: "
    "/api/communes, /api/communes/{insee}/progress, /api/assessments and /api/sites (all "
    "already visible on the public map), never the gap layers, works, exports or reports. "
    "Refusals: 401 without a session, 403 when the role lacks the permission."
)


def document(layers: list[str], permissions: dict[str, str] | None = None,
             filters: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """The OpenAPI document, listing one path per registered layer; ``permissions`` maps a
    path to the permission it needs (see :data:`ACCESS`), ``filters`` a layer to the filter
    parameters it applies (any other filter is a 400)."""
    filters = filters or {}
    paths: dict[str, Any] = {
        "/api/communes": _get("Communes with their latest indicators (simplified geometry)",
                              _collection("communes", COMMUNE_PROPERTIES),
                              ["bbox", "as_of", "limit", "zoom", "commune"]),
        "/api/communes/{insee}/progress": _get(
            "All-operator connectable series of one commune",
            {"200": {"description": "series", "content": {"application/json": {"schema": {
                "type": "object", "required": ["insee", "name", "as_of", "series"],
                "properties": {"insee": {"type": "string"}, "name": {"type": "string"},
                               "as_of": {"type": "string", "format": "date"},
                               "series": {"type": "array", "items": {"type": "object"}}}}}}},
             "400": _ERROR, "404": {"description": "unknown commune"}},
            ["as_of", "limit"],
            [{"name": "insee", "in": "path", "required": True, "schema": {"type": "string"}}]),
        "/api/assessments": _get(
            "Milestones assessed as of a date",
            {"200": {"description": "assessments", "content": {"application/json": {"schema": {
                "type": "object", "required": ["as_of", "available", "assessments"],
                "properties": {"as_of": {"type": "string", "format": "date"},
                               "available": {"type": "boolean"},
                               "assessments": {"type": "array", "items": {"type": "object"}}}}}}},
             "400": _ERROR},
            ["bbox", "as_of", "limit", "operator", "commune"]),
    }
    for name in layers:
        paths[f"/api/{name}"] = _get(f"The {name} layer", _collection(name),
                                     ["bbox", "as_of", "limit", *filters.get(name, ())])
    from webmap.openapi_challenges import challenges_paths

    for path, permission in (permissions or {}).items():
        if path in paths:
            paths[path]["get"]["x-rollout-permission"] = permission
            paths[path]["get"]["responses"].update({
                "401": {"description": "not signed in"},
                "403": {"description": f"the role lacks the {permission!r} permission"}})
    paths.update(challenges_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "rollout API", "version": "1",
                 "description": "FTTH and 5G rollout per commune versus commitments. " + ACCESS},
        "paths": paths,
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error", "parameter"],
                      "properties": {"error": {"type": "string"},
                                     "parameter": {"type": ["string", "null"]}}},
            "FeatureCollection": {
                "type": "object", "required": ["type", "features"],
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "as_of": {"type": "string", "format": "date"},
                    "features": {"type": "array", "items": {
                        "type": "object", "required": ["type", "geometry", "properties"],
                        "properties": {"type": {"const": "Feature"},
                                       "geometry": {"type": ["object", "null"]},
                                       "properties": {"type": "object"}}}}}},
        }},
    }
