"""``/feeds/works.wzdx.geojson``, ``/feeds/works.cifs.xml`` and ``.json``: works feeds out.

A thin adapter over :mod:`rollout.feeds`. Feeds carry only publishable works, so they are
open to anyone who may see the map (everyone in public mode). ``ETag`` (the payload's
sha256) and ``Last-Modified`` (the newest works import) let harvesters ask for changes only.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from rollout import feeds
from webmap import db_session
from webmap.auth import current_user, requires

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

_TYPES = {
    "works.wzdx.geojson": "application/geo+json",
    "works.cifs.xml": "application/xml",
    "works.cifs.json": "application/json",
}


def _feed(name: str) -> BaseResponse:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with db_session() as session:
        payload = feeds.render_feeds(session, now)[name]
        modified = feeds.feed_version(session).modified
    response = Response(payload, content_type=f"{_TYPES[name]}; charset=utf-8")
    response.set_etag(hashlib.sha256(payload).hexdigest())
    response.last_modified = modified.replace(tzinfo=dt.UTC)
    # Signed-in responses are never stored (DESIGN.md, security model); anonymous ones may be.
    response.cache_control.public = current_user() is None
    if current_user() is None:
        response.cache_control.max_age = 300
    else:
        response.cache_control.no_store = True
    return response.make_conditional(request)


@bp.route("/works.wzdx.geojson")
@requires("map")
def wzdx() -> BaseResponse:
    """WZDx 4.2 Work Zone Feed of the publishable planned and ongoing works."""
    return _feed("works.wzdx.geojson")


@bp.route("/works.cifs.xml")
@requires("map")
def cifs_xml() -> BaseResponse:
    """Waze CIFS incidents (XML) of the publishable planned and ongoing works."""
    return _feed("works.cifs.xml")


@bp.route("/works.cifs.json")
@requires("map")
def cifs_json() -> BaseResponse:
    """Waze CIFS incidents (JSON) of the publishable planned and ongoing works."""
    return _feed("works.cifs.json")
