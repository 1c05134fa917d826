"""``/open-data/`` and ``/catalog.jsonld``: the open-data package on the site, when enabled.

A thin adapter over :mod:`rollout.publish`. ``OPEN_DATA`` (``ROLLOUT_OPEN_DATA``, default
off) turns it on; the package is then open to whoever may see the map (everyone in public
mode). It is built once per database, data version, day and address into a private
temporary folder of this process and served from there; ``/open-data/`` answers with its
``datapackage.json``. Restricted layers are never served here (``rollout publish
--include-restricted`` is the only way to publish them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import threading
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_file

from rollout.publish import build_package, write_package
from webmap import db_session
from webmap.auth import requires
from webmap.cache import data_version

bp = Blueprint("open_data", __name__)
_LOCK = threading.Lock()
_ROOT: list[Path] = []  # this process's folder of built packages, made on first use
_TYPES = {".csv": "text/csv", ".geojson": "application/geo+json", ".json": "application/json",
          ".jsonld": "application/ld+json", ".gpkg": "application/geopackage+sqlite3"}


def _package_folder() -> Path:
    """The folder holding today's package for the current data version, built if missing."""
    if not current_app.config.get("OPEN_DATA"):
        abort(404)
    base_url = request.url_root + "open-data/"
    today = dt.date.today()
    with db_session() as session:
        key = repr((data_version(session), today, base_url)).encode()
        with _LOCK:
            if not _ROOT:
                _ROOT.append(Path(tempfile.mkdtemp(prefix="rollout-open-data-")))
            folder = _ROOT[0] / hashlib.sha256(key).hexdigest()[:24]
            if not (folder / "catalog.jsonld").exists():
                write_package(build_package(session, today), folder, base_url)
    return folder


def _file(folder: Path, name: str) -> Response:
    path = folder / name
    if "/" in name or not path.is_file():
        abort(404)
    return send_file(path, mimetype=_TYPES.get(path.suffix, "application/octet-stream"),
                     conditional=True, etag=True)


@bp.route("/catalog.jsonld")
@requires("map")
def catalog() -> Response:
    """The DCAT-AP catalogue (JSON-LD) national portals harvest."""
    return _file(_package_folder(), "catalog.jsonld")


@bp.route("/open-data/")
@requires("map")
def index() -> Response:
    """The Frictionless ``datapackage.json``: every file of the package, described."""
    return _file(_package_folder(), "datapackage.json")


@bp.route("/open-data/<name>")
@requires("map")
def download(name: str) -> Response:
    """One file of the package (CSV, GeoJSON, GeoPackage, descriptors)."""
    return _file(_package_folder(), name)
