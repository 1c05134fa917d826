"""OpenAPI description of ``POST /api/challenges`` (merged into :mod:`webmap.openapi`)."""

from __future__ import annotations

from typing import Any

from rollout.challenges import CATEGORIES, MAX_TEXT


def challenges_paths() -> dict[str, Any]:
    """The path items of ``/api/challenges`` and ``/api/challenges/open``."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    counts = {"get": {
        "summary": "Open signalements per commune (INSEE code -> count)",
        "x-rollout-permission": "commune_pages",
        "responses": {"200": {"description": "counts", "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": {"type": "integer"}}}}}}}}
    return {"/api/challenges/open": counts, "/api/challenges": {"post": {
        "summary": "Submit a signalement (challenge) on a commune figure, building, works or "
                   "radio site",
        "description": "JSON body (Content-Type application/json; no CSRF token is needed "
                       "for it: a cross-site form cannot send JSON). In public mode any "
                       "visitor may submit, otherwise a signed-in user. Limited per client "
                       "address and per day (429). The answer's status_url is the only way "
                       "to follow the challenge: keep it.",
        "x-rollout-permission": "commune_pages",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["category", "text"],
            "properties": {
                "category": {"type": "string", "enum": list(CATEGORIES),
                             "description": "commune figure: premises_count, "
                                            "connectable_count, sites_5g_count (commune_insee "
                                            "required); building_* (target_ref = IPE/ARCEP "
                                            "building id); works_* (target_ref = works id); "
                                            "site_* (target_ref = station id)"},
                "commune_insee": {"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$"},
                "target_ref": {"type": "string", "maxLength": 64},
                "operator_code": {"type": "string", "pattern": "^[A-Za-z0-9]{1,16}$"},
                "text": {"type": "string", "maxLength": MAX_TEXT},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "email": {"type": "string", "format": "email",
                          "description": "optional; only with email_consent true"},
                "email_consent": {"type": "boolean"},
            }}}}},
        "responses": {
            "201": {"description": "stored", "content": {"application/json": {"schema": {
                "type": "object", "required": ["id", "status", "status_url"],
                "properties": {"id": {"type": "integer"},
                               "status": {"const": "received"},
                               "status_url": {"type": "string"}}}}}},
            "400": {"description": "a field is wrong (parameter names it)", **error},
            "401": {"description": "not signed in (outside public mode)"},
            "413": {"description": "body too large"},
            "415": {"description": "not JSON"},
            "429": {"description": "too many challenges from this address today", **error},
        },
    }}}
