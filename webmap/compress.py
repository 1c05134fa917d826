"""Gzip text responses for clients that accept it: the map page shrinks from ~500 KB to ~80 KB.

waitress does not compress, and an intranet deployment may have no reverse proxy in front.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_BYTES = 1024
COMPRESSIBLE = {"text/html", "text/csv", "text/css", "application/json",
                "application/geo+json", "application/javascript", "text/javascript",
                "application/vnd.mapbox-vector-tile"}


def init_app(app: Flask) -> None:
    """Compress eligible responses after every request."""

    @app.after_request
    def _gzip(response: Response) -> Response:
        if ("gzip" not in request.headers.get("Accept-Encoding", "").lower()
                or response.direct_passthrough or response.status_code != 200
                or response.mimetype not in COMPRESSIBLE
                or "Content-Encoding" in response.headers):
            return response
        body = response.get_data()
        if len(body) < MIN_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
