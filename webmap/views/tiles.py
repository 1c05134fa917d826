"""``/tiles/<layer>/<z>/<x>/<y>.pbf``: Mapbox Vector Tiles of the communes and the heavy layers.

One route per layer, each with the permission of that layer (``LAYER_PERMISSIONS``, as its
GeoJSON route under ``/api``): ``communes`` (boundaries with the indicators of ``/api/communes``
and the commune's worst status) for everyone who may see the map; every optional layer of
:mod:`webmap.layers`; ``buildings``, the premises not connectable, summed on a grid below zoom
:data:`webmap.tiles.POINTS_FROM_ZOOM` and one by one from it (planners).

Tiles are built once per data version, as-of date and tile, and kept in memory
(:data:`TILE_CACHE_SIZE`); the ``ETag`` names the data version, so a client revalidates with
``If-None-Match`` and gets ``304`` until the next import (signed-in responses are ``no-store``,
as every authenticated response).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from rollout import gaps as gaps_analysis
from rollout import mobile
from webmap import data, db_session, params, tiles
from webmap.auth import current_user, requires
from webmap.cache import data_version
from webmap.errors import ApiError
from webmap.layers import LAYERS
from webmap.openapi import COMMUNE_PROPERTIES
from webmap.views.api import LAYER_PERMISSIONS

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
TILE_CACHE_SIZE = 4096
LAYER_CACHE_SIZE = 24
_TILES: OrderedDict[tuple, bytes] = OrderedDict()
_LAYERS: OrderedDict[tuple, tiles.Prepared] = OrderedDict()
BUILDINGS_PERMISSION = LAYER_PERMISSIONS["gap_hexagons"]
FULL_PROPERTIES_FROM_ZOOM = 9
LIGHT_PROPERTIES = ("insee", "connectable_share", "status", "delay_days", "sites_5g")


def _remember(cache: OrderedDict, size: int, key: tuple, compute):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = compute()
    if len(cache) > size:
        cache.popitem(last=False)
    return value


def _communes(session, as_of, z: int) -> tiles.Prepared:
    shapes = data.zoomed_communes(session, z)
    frame = shapes[["insee", "geometry"]].merge(data.figures(session, as_of), on="insee",
                                                how="left")
    status = data.commune_status(session, as_of)
    if status is not None:
        frame = frame.drop(columns=["status", "delay_days"], errors="ignore").merge(
            status[["insee", "status", "delay_days"]], on="insee", how="left")
    if z < FULL_PROPERTIES_FROM_ZOOM:
        # A national view holds thousands of communes per tile: the map's indicators only
        # (shares to 0.1 %), the rest from zoom FULL_PROPERTIES_FROM_ZOOM or /api/communes.
        if "connectable_share" in frame.columns:
            frame["connectable_share"] = frame["connectable_share"].round(3)
        columns = [c for c in LIGHT_PROPERTIES if c in frame.columns]
    else:
        columns = [c for c in [*COMMUNE_PROPERTIES, "status", "delay_days"] if c in frame]
    return tiles.prepare(frame, list(dict.fromkeys(columns)))


def _buildings(session, as_of, z: int) -> tiles.Prepared:
    points = mobile.premises_points(session, as_of)
    gap = gaps_analysis.premises_gap_points(points) if len(points) else points
    if z < tiles.POINTS_FROM_ZOOM:
        return tiles.prepare(tiles.grid_points(gap, z, "premises"), ["premises", "count"])
    return tiles.prepare(gap, [c for c in ("premises", "on_demand", "insee") if c in gap])


def _layer(name: str):
    def read(session, as_of, z: int) -> tiles.Prepared:
        frame = LAYERS[name].read(session, as_of)
        return tiles.prepare(frame, [c for c in frame.columns if c != "geometry"])

    return read


def _view(name: str, build, permission: str):
    def view(z: int, x: int, y: int) -> BaseResponse:
        if not tiles.valid(z, x, y):
            raise ApiError("tile", f"no tile {z}/{x}/{y}: zoom 0 to {tiles.MAX_ZOOM}, "
                           "x and y from 0 to 2^zoom - 1", status=404)
        as_of = params.as_of(request.args)
        with db_session() as session:
            version = data_version(session)
            # The prepared layer depends on the zoom only through simplification and grids;
            # every tile of a zoom shares it.
            prepared = _remember(_LAYERS, LAYER_CACHE_SIZE, (version, name, as_of, z),
                                 lambda: build(session, as_of, z))
        payload = _remember(_TILES, TILE_CACHE_SIZE, (version, name, as_of, z, x, y),
                            lambda: tiles.encode(name, prepared, z, x, y))
        response = Response(payload, content_type=MEDIA_TYPE)
        response.set_etag(hashlib.sha256(repr((version, name, as_of.isoformat(), z, x, y))
                                         .encode()).hexdigest()[:32])
        # Authenticated responses are no-store (DESIGN.md, security model): there the server's
        # cache serves; anonymous ones (public mode) may be kept and revalidated by ETag.
        if current_user() is None:
            response.cache_control.public = True
            response.cache_control.max_age = 300
        else:
            response.cache_control.no_store = True
        response.vary.add("Cookie")
        return response.make_conditional(request)

    view.__name__ = f"tile_{name}"
    view.__doc__ = f"The {name} layer as Mapbox Vector Tiles."
    return requires(permission)(view)


def _register() -> None:
    routes = {"communes": (_communes, "map"), "buildings": (_buildings, BUILDINGS_PERMISSION)}
    routes.update({name: (_layer(name), LAYER_PERMISSIONS.get(name, "gaps")) for name in LAYERS})
    for name, (build, permission) in routes.items():
        bp.add_url_rule(f"/{name}/<int:z>/<int:x>/<int:y>.pbf", endpoint=name,
                        view_func=_view(name, build, permission))


_register()
