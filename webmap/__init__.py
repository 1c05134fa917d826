"""The rollout web app: map, commune/operator/import pages, JSON API, GeoPackage export."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from rollout import web_sessions
from rollout.config import Settings
from rollout.db import make_engine, session_scope


def env_flag(name: str, default: bool) -> bool:
    """A yes/no environment variable (1/true/yes/on, 0/false/no/off); ``default`` if unset."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} was {raw!r}; expected 1/true/yes/on or 0/false/no/off")


def _proxy_count(value: object) -> int:
    """``ROLLOUT_TRUSTED_PROXIES``: a whole number of proxies; unset or empty means 0."""
    text = str(value).strip()
    if text == "":
        return 0
    if isinstance(value, bool) or not text.isdigit():
        raise ValueError(f"ROLLOUT_TRUSTED_PROXIES was {value!r}; expected the number of "
                         "reverse proxies in front of the app (0 = none)")
    return int(text)


def _host_list(value: str) -> list[str] | None:
    """``ROLLOUT_TRUSTED_HOSTS``: comma-separated host names; unset or empty: any host."""
    hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
    return hosts or None


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` needs ``DATABASE_URL`` (else Settings' default applies).

    Other keys: ``TILES`` / ``TILES_ATTRIBUTION`` (basemap; ``none`` works offline),
    ``METRIC_CRS``, ``TESTING``, ``WARM_CACHE`` (default: not testing), and for access
    control (environment variable in brackets):

    - ``PUBLIC_MODE`` (``ROLLOUT_PUBLIC_MODE``, default off): anonymous visitors see the map,
      commune pages and sheets;
    - ``OPEN_DATA`` (``ROLLOUT_OPEN_DATA``, default off): ``/open-data/`` and ``/catalog.jsonld``;
    - ``SECRET_KEY`` (``ROLLOUT_SECRET_KEY``; default: a key file created with mode 0600
      next to the SpatiaLite database, see :func:`webmap.security.key_file_path`);
    - ``SESSION_COOKIE_SECURE`` (``ROLLOUT_SESSION_COOKIE_SECURE``, default off: set it when
      served over https);
    - ``MAX_CONTENT_LENGTH`` (``ROLLOUT_MAX_UPLOAD_MB``, default 200 MB) and
      ``UPLOAD_FOLDER`` (``ROLLOUT_UPLOAD_FOLDER``, default ``uploads`` next to the database);
    - ``IDLE_TIMEOUT_MINUTES`` (``ROLLOUT_IDLE_TIMEOUT_MINUTES``): minutes without a request
      after which a session ends, per role; default 30 for legal and admin, 480 for viewer
      and planner (see :func:`rollout.web_sessions.idle_timeouts` for the variable's forms);
    - ``LOGIN_RATE_LIMIT``: (failures, seconds) per username and address, default (5, 900);
    - ``TRUSTED_HOSTS`` (``ROLLOUT_TRUSTED_HOSTS``, comma-separated, default: any): the
      host names the site answers to (Flask checks ``Host``; others get 400); a leading dot
      admits subdomains;
    - ``TRUSTED_PROXIES`` (``ROLLOUT_TRUSTED_PROXIES``, default 0): the number of reverse
      proxies in front of the app; their X-Forwarded-For/-Proto/-Host headers then give the
      client's address (the login rate limiter's key), scheme and host.
    """
    settings = Settings()
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=settings.database_url,
        TILES=settings.tiles,
        TILES_ATTRIBUTION=settings.tiles_attribution,
        METRIC_CRS=settings.metric_crs,
        JSON_SORT_KEYS=False,
        PUBLIC_MODE=env_flag("ROLLOUT_PUBLIC_MODE", False),
        OPEN_DATA=env_flag("ROLLOUT_OPEN_DATA", False),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env_flag("ROLLOUT_SESSION_COOKIE_SECURE", False),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        MAX_CONTENT_LENGTH=int(os.environ.get("ROLLOUT_MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        IDLE_TIMEOUT_MINUTES=web_sessions.idle_timeouts(
            os.environ.get("ROLLOUT_IDLE_TIMEOUT_MINUTES")),
        LOGIN_RATE_LIMIT=(5, 900),
        TRUSTED_PROXIES=os.environ.get("ROLLOUT_TRUSTED_PROXIES", "0"),
        TRUSTED_HOSTS=_host_list(os.environ.get("ROLLOUT_TRUSTED_HOSTS", "")),
    )
    app.config.update(config or {})
    proxies = app.config["TRUSTED_PROXIES"] = _proxy_count(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Each proxy appends the address it received from; trusting more values than there
        # are proxies would let a client choose its own address (werkzeug ProxyFix docs).
        fixed = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
        app.wsgi_app = fixed  # type: ignore[method-assign]
    from webmap import auth, cache, compress, errors, i18n, security

    url = app.config["DATABASE_URL"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.secret_key(url)
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(os.environ.get("ROLLOUT_UPLOAD_FOLDER")
                                          or security.upload_folder(url))
    app.extensions["rollout_engine"] = make_engine(url)
    cache.init_app(app)

    from flask_wtf.csrf import CSRFProtect

    from webmap import reports_views
    from webmap.views import admin, alerts, api, challenges, export, feeds, open_data, pages, tiles

    i18n.init_app(app)
    csrf = CSRFProtect(app)
    # JSON only (415 otherwise): a cross-site form cannot send it, so no token is needed.
    csrf.exempt(challenges.api_submit)
    auth.init_app(app)
    security.init_app(app)
    compress.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(open_data.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(alerts.bp)
    app.register_blueprint(challenges.bp)
    app.register_blueprint(reports_views.reports_bp)
    if warms(app):
        warm_in_background(app)
    return app


def warms(app: Flask) -> bool:
    """Whether ``app`` computes the snapshot ahead of visitors (``WARM_CACHE``, default:
    not when testing)."""
    return bool(app.config.get("WARM_CACHE", not app.testing))


def warm(app: Flask) -> int:
    """Compute this data version's snapshot (assessments, figures, display geometries,
    layers) and the anonymous home page, as the first visitor would; returns the status.

    Milestone assessments take seconds: imports call this once they are committed (CLI and
    web) and the app at start, so no visitor waits for them (signed in or not).
    """
    from webmap import auth

    return app.test_client().get("/", environ_base={auth.WARM_UP_ENVIRON: True}).status_code


def warm_in_background(app: Flask) -> None:
    """:func:`warm` in a daemon thread (the request or the start that asks goes on)."""
    threading.Thread(target=warm, args=(app,), name="rollout-warm", daemon=True).start()


@contextmanager
def db_session() -> Iterator[Session]:
    """A read transaction on the current app's database."""
    with session_scope(current_app.extensions["rollout_engine"]) as session:
        yield session

