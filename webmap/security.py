"""Security headers, per-request CSP nonces and the persistent session key.

Content-Security-Policy (issue 7): every asset is local, so scripts and styles come from this
server or carry the request's nonce; no ``'unsafe-inline'`` at all. Folium's inline
``<script>``/``<style>`` elements get the nonce when the page is rendered (:func:`nonced`);
cached responses — report HTML downloads too, served byte for byte as built — allow their
inline elements by hash instead (:mod:`webmap.page_cache`). Basemap tiles are the only other
origin, for images only.

Caching and transport (issue 12 item 7): :func:`cache_policy` is the one place that decides a
response's ``Cache-Control``, from the view's ``required_permission`` and whether someone is
signed in; HSTS follows ``SESSION_COOKIE_SECURE``; ``Location`` headers are made relative.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from markupsafe import Markup
from sqlalchemy import make_url
from werkzeug.exceptions import SecurityError

from rollout.audit import visible
from webmap.auth import PUBLIC_PERMISSIONS, current_user

KEY_FILE_SUFFIX = ".secret-key"
_OPENING_TAG = re.compile(r"<(script|style)(?=[\s>])", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
HSTS = "max-age=31536000"  # one year, this host only: subdomains are not ours to decide


def tile_origin(tiles: str | None) -> str | None:
    """The origin of an XYZ tile template (``{s}`` subdomains become ``*``), or None."""
    if not tiles or tiles.strip().lower() == "none":
        return None
    match = re.match(r"(https?://[^/]+)", tiles.strip())
    return match.group(1).replace("{s}", "*") if match else None


def csp_nonce() -> str:
    """This request's nonce (128 random bits, base64url), created on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def nonced(html: str) -> Markup:
    """``html`` (trusted, e.g. Folium's output) with the request's nonce on every
    ``<script>`` and ``<style>`` opening tag.

    Only for markup built from constants (the map frame of :mod:`webmap.mapview`, which no
    data reaches): it is marked safe, so data given here would be markup.
    """
    return Markup(_OPENING_TAG.sub(rf'<\1 nonce="{csp_nonce()}"', str(html)))


def content_security_policy(tiles: str | None, nonce: str | None,
                            style_hashes: tuple[str, ...] | list[str] = (),
                            script_hashes: tuple[str, ...] | list[str] = ()) -> str:
    """The CSP header value for the configured basemap and this request's nonce (None: a
    cached page, whose inline elements are allowed by their hashes)."""
    images = " ".join(filter(None, ["'self'", "data:", tile_origin(tiles)]))
    nonces = [f"'nonce-{nonce}'"] if nonce else []
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *nonces, *script_hashes]),
        " ".join(["style-src 'self'", *nonces, *style_hashes]),
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def _data_folder(database_url: str) -> Path:
    """Where files belonging to a database live: the SpatiaLite file's folder, else
    ``ROLLOUT_DATA_DIR``, else the working directory (like the default database file)."""
    file = _sqlite_file(database_url)
    if file is not None:
        return file.parent
    return Path(os.environ.get("ROLLOUT_DATA_DIR") or Path.cwd())


def key_file_path(database_url: str) -> Path:
    """The session key file of a database: ``<file>.secret-key`` next to a SpatiaLite file,
    else ``rollout.secret-key`` in the data folder."""
    file = _sqlite_file(database_url)
    if file is not None:
        return file.with_name(file.name + KEY_FILE_SUFFIX)
    return _data_folder(database_url) / f"rollout{KEY_FILE_SUFFIX}"


def persistent_secret_key(path: Path) -> str:
    """The key stored in ``path``, created once with mode 0600 (owner only).

    Sessions must survive restarts and be shared by every server thread and process, so the
    key is never random per process. ``O_EXCL`` makes concurrent first starts agree on one key.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_text(encoding="ascii").strip()
            if key:
                if path.stat().st_mode & 0o077:
                    raise PermissionError(
                        f"{path} is readable by other users; run chmod 600 on it") from None
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty; delete it to create a new key") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def secret_key(database_url: str) -> str:
    """``ROLLOUT_SECRET_KEY``, else the key file of the database (see :func:`key_file_path`)."""
    return os.environ.get("ROLLOUT_SECRET_KEY") or persistent_secret_key(
        key_file_path(database_url))


def upload_folder(database_url: str) -> Path:
    """Default folder of uploaded source files: ``uploads`` next to the database."""
    return _data_folder(database_url) / "uploads"


def _view_permission() -> tuple[bool, str | None]:
    """(whether this request matched a view, that view's ``required_permission``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None, getattr(view, "required_permission", None)


def is_shareable(response: Response) -> bool:
    """Whether ``response`` may be stored by a browser or a shared cache: nobody is signed
    in, no cookie is being set, and the view is a public one (map, commune pages, sheets),
    a static asset, or no view at all (404)."""
    if current_user() is not None or session.modified or "Set-Cookie" in response.headers:
        return False
    if request.endpoint == "static":
        return True
    matched, permission = _view_permission()
    return not matched or permission in PUBLIC_PERMISSIONS


def cache_policy(response: Response) -> None:
    """The one Cache-Control policy of the site.

    Signed-in users, every view beyond the public ones (legal reports, ``/imports``,
    ``/admin/*``, ``/account/*``, ``/login``, exports, gaps, works…) and every response setting
    a cookie: ``no-store``, overriding anything a view set. Anonymous public responses keep
    the view's own headers: that is where ``public, max-age`` and an ``ETag`` for anonymous
    pages belong (the views' caching work), and nothing else need change.
    """
    if not is_shareable(response):
        response.headers["Cache-Control"] = "no-store"


def relative_location(response: Response) -> None:
    """Turn a ``Location`` on this host (werkzeug's slash-merging and trailing-slash
    redirects build them from the ``Host`` header) into a path; a path opening with ``//``
    or ``/\\`` (another host to a browser) keeps one slash."""
    location = response.headers.get("Location")
    if not location:
        return
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() != request.host.lower():
        return  # an explicit off-site URL chosen by a view (none today)
    path = parts.path or "/"
    if path.startswith(("//", "/\\")):
        path = "/" + path.lstrip("/\\")
    response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    """Add the headers to every response and ``csp_nonce()`` / ``nonced`` to templates."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced
    app.jinja_env.filters["visible"] = visible  # logged text: control characters escaped

    def _headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if "Content-Security-Policy" not in response.headers:  # cached pages bring theirs
            response.headers["Content-Security-Policy"] = content_security_policy(
                current_app.config.get("TILES"), csp_nonce())
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = HSTS
        cache_policy(response)
        relative_location(response)
        return response

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> Response:
        # No page template: without a trusted host Flask has no URL adapter to build links.
        return Response("400 Bad Request: this host name is not served here\n", 400,
                        mimetype="text/plain")

    # Flask runs after-request functions last registered first: put this one at the front so
    # it runs after every other (the language cookie, compression) and sees their headers.
    app.after_request_funcs.setdefault(None, []).insert(0, _headers)
