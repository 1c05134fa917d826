"""JSON and GeoJSON API: communes with indicators, progress, assessments, overlays, OpenAPI."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, jsonify, request

from geodata.errors import InputError
from rollout import known_codes
from rollout.formatting import records
from rollout.frames import mask
from webmap import data, db_session, params
from webmap.auth import allowed, requires
from webmap.errors import ApiError
from webmap.layers import LAYERS
from webmap.openapi import COMMUNE_PROPERTIES, document
from webmap.page_cache import cached_view

bp = Blueprint("api", __name__, url_prefix="/api")

ASSESSMENT_COLUMNS = ["agreement_id", "operator_code", "commune_insee", "metric", "due_on",
                      "target", "status", "value_at_due", "observed_on", "delay_days",
                      "shortfall_premises", "projected_on", "series"]
SERIES_COLUMNS = ["observed_on", "connectable", "rad", "premises", "premises_as_of",
                  "connectable_share", "synthetic", "source_file"]
KNOWN = {"bbox", "as_of", "limit", "lang"}
# The filters each layer applies, by the column they read; any other filter is refused.
LAYER_FILTERS: dict[str, tuple[str, ...]] = {"sites": ("operator", "commune"),
                                             "works": ("commune",), "gaps": ("commune",),
                                             "gaps_5g": ("operator", "commune")}
_FILTER_COLUMNS = {"operator": "operator_code", "commune": "insee"}
# Every parameter that changes an answer keys its cache (the language is a key of its own).
API_PARAMETERS = tuple(sorted(KNOWN - {"lang"} | {"operator", "commune"}))
# Radio sites are public (ANFR) and drawn on the public map; gap layers are the planners'
# analysis, works the dig-once input. A layer added without an entry needs "gaps".
LAYER_PERMISSIONS = {"sites": "map", "works": "dig_once", "gaps": "gaps",
                     "gap_hexagons": "gaps", "gaps_5g": "gaps"}


def layer_permission(name: str) -> str:
    """The permission ``/api/<name>`` needs, and so does the layer on a page."""
    return LAYER_PERMISSIONS.get(name, "gaps")


def visible_layers() -> frozenset[str]:
    """The layers this request may see (on the map, on commune pages and under the API)."""
    return frozenset(name for name in LAYERS if allowed(layer_permission(name)))


def _check_unknown(extra: frozenset[str] = frozenset()) -> None:
    """Refuse misspelt parameters instead of silently ignoring a filter."""
    known = KNOWN | extra
    for name in request.args:
        if name not in known:
            raise ApiError(name, f"unknown parameter {name!r}; expected one of {sorted(known)}")


def _query(extra: frozenset[str] = frozenset()) -> tuple:
    """Validate every common parameter before any work: (as_of, bbox, limit)."""
    _check_unknown(extra)
    return params.as_of(request.args), params.bbox(request.args), params.limit(request.args)


def _filtered(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Rows matching the ``operator`` / ``commune`` filters given (known codes only); the
    ``insee`` of a work is the list of communes it touches."""
    checks = {"operator": known_codes.operator, "commune": known_codes.commune}
    for name in names:
        if value := request.args.get(name):
            wanted = known(checks[name], value, name)
            column = frame[_FILTER_COLUMNS[name]]
            frame = frame[mask(column, lambda v, w=wanted: w in v if isinstance(v, (list, tuple))
                               else v == w).to_numpy()]
    return frame


def _select(frame: gpd.GeoDataFrame, box, limit: int | None) -> gpd.GeoDataFrame:
    """Apply ``bbox`` (features intersecting it) and ``limit``."""
    if box is not None and len(frame):
        frame = frame[frame.geometry.intersects(shapely.box(*box))]
    return frame.head(limit) if limit is not None else frame


def feature_collection(frame: gpd.GeoDataFrame, columns: list[str], **members) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946) with JSON-ready properties."""
    props = records(frame, columns) if len(frame) else []
    return {
        "type": "FeatureCollection", **members,
        "features": [
            {"type": "Feature", "geometry": shapely.geometry.mapping(geom) if geom else None,
             "properties": p}
            for p, geom in zip(props, frame.geometry, strict=True)
        ],
    }


def _geojson(payload: dict) -> Response:
    response = jsonify(payload)
    response.mimetype = "application/geo+json"
    return response


@bp.route("/communes")
@requires("map")
@cached_view(*API_PARAMETERS, "zoom", personal=False, strict=True)
def communes() -> Response:
    """Every commune (display geometry) with its latest indicators as of ``as_of``.

    With ``zoom``, geometries are simplified for that zoom level (national layers: ask for the
    map's bbox and zoom; borders stay shared at every level).
    """
    as_of, box, limit = _query(frozenset({"zoom", "commune"}))
    zoom = params.zoom(request.args)
    with db_session() as session:
        if zoom is None:
            shapes = data.display_communes(session)
        else:
            shapes = data.zoomed_communes(session, zoom)
        figures = data.figures(session, as_of)
    frame = shapes[["insee", "geometry"]].merge(figures, on="insee", how="left")
    frame = _filtered(frame, ("commune",))
    columns = [c for c in COMMUNE_PROPERTIES if c in frame.columns]
    return _geojson(feature_collection(_select(frame, box, limit), columns,
                                       as_of=as_of.isoformat()))


@bp.route("/communes/<insee>/progress")
@requires("map")
@cached_view(*API_PARAMETERS, personal=False, strict=True)
def progress(insee: str) -> Response:
    """The all-operator connectable series of one commune, with denominators and provenance."""
    as_of, _, limit = _query()
    with db_session() as session:
        listing = data.display_communes(session)
        if insee not in set(listing["insee"]):
            raise ApiError("insee", f"unknown commune {insee!r}", status=404)
        history = data.share_history(session, as_of)
    history = history[history["insee"] == insee]
    if limit is not None:
        history = history.tail(limit)
    name = listing.loc[listing["insee"] == insee, "name"].iloc[0]
    return jsonify({"insee": insee, "name": name, "as_of": as_of.isoformat(),
                    "series": records(history, SERIES_COLUMNS) if len(history) else []})


def known(check, value: str, parameter: str) -> str:
    """``value`` as the database stores it, or a 400 naming ``parameter`` and the known codes."""
    with db_session() as session:
        try:
            return check(session, value, parameter)
        except InputError as exc:
            raise ApiError(parameter, str(exc.problems[0])) from None


@bp.route("/assessments")
@requires("map")
@cached_view(*API_PARAMETERS, personal=False, strict=True)
def assessments() -> Response:
    """Every milestone assessed as of ``as_of`` (empty, ``available: false`` without data)."""
    as_of, box, limit = _query(frozenset({"operator", "commune"}))
    with db_session() as session:
        assessed = data.assessments(session, as_of)
        shapes = data.display_communes(session) if box is not None else None
    if assessed is None:
        return jsonify({"as_of": as_of.isoformat(), "available": False, "assessments": []})
    frame: pd.DataFrame = assessed
    if code := request.args.get("operator"):
        frame = frame[frame["operator_code"] == known(known_codes.operator, code, "operator")]
    if insee := request.args.get("commune"):
        frame = frame[frame["commune_insee"] == known(known_codes.commune, insee, "commune")]
    if shapes is not None:
        inside = set(shapes.loc[shapes.geometry.intersects(shapely.box(*box)), "insee"])
        frame = frame[frame["commune_insee"].isin(inside)]
    if limit is not None:
        frame = frame.head(limit)
    columns = [c for c in ASSESSMENT_COLUMNS if c in frame.columns]
    return jsonify({"as_of": as_of.isoformat(), "available": True,
                    "assessments": records(frame, columns) if len(frame) else []})


def _layer_view(name: str):
    def view() -> Response:
        filters = LAYER_FILTERS.get(name, ())
        as_of, box, limit = _query(frozenset(filters))
        with db_session() as session:
            frame = LAYERS[name].read(session, as_of)
        frame = _filtered(frame, filters)
        columns = [c for c in frame.columns if c != "geometry"]
        return _geojson(feature_collection(_select(frame, box, limit), columns,
                                           as_of=as_of.isoformat()))

    view.__name__ = f"layer_{name}"
    view.__doc__ = f"The {name} layer as GeoJSON."
    cached = cached_view(*API_PARAMETERS, personal=False, strict=True)(view)
    return requires(layer_permission(name))(cached)


for _name in LAYERS:
    bp.add_url_rule(f"/{_name}", endpoint=_name, view_func=_layer_view(_name))


@bp.route("/openapi.json")
@requires("map")
@cached_view(personal=False, strict=True)
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    permissions = {rule.rule.replace("<insee>", "{insee}"):
                   vars(current_app.view_functions[rule.endpoint])["required_permission"]
                   for rule in current_app.url_map.iter_rules()
                   if rule.endpoint.startswith("api.")}
    return jsonify(document(sorted(LAYERS), permissions, LAYER_FILTERS))
