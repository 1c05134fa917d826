"""Security headers on every response (full access control comes later).

Folium emits inline scripts and styles, so ``'unsafe-inline'`` is allowed for those two;
everything else comes from this server only, except basemap tiles when a tile URL is set.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app


def tile_origin(tiles: str | None) -> str | None:
    """The origin of an XYZ tile template (``{s}`` subdomains become ``*``), or None."""
    if not tiles or tiles.strip().lower() == "none":
        return None
    match = re.match(r"(https?://[^/]+)", tiles.strip())
    return match.group(1).replace("{s}", "*") if match else None


def content_security_policy(tiles: str | None) -> str:
    """The CSP header value for the configured basemap."""
    images = " ".join(filter(None, ["'self'", "data:", tile_origin(tiles)]))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    """Add the headers to every response."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = content_security_policy(
            current_app.config.get("TILES")
        )
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response
