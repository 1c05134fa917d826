"""The rollout web app: map, commune/operator/import pages, JSON API, GeoPackage export."""

from __future__ import annotations

import importlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from rollout.config import Settings
from rollout.db import make_engine, session_scope
from rollout.formatting import fr_date, fr_int, fr_number, fr_share


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` needs ``DATABASE_URL`` (else Settings' default applies).

    Other keys: ``TILES`` / ``TILES_ATTRIBUTION`` (basemap; ``none`` works offline),
    ``METRIC_CRS``, ``TESTING``, ``SECRET_KEY``, ``WARM_CACHE`` (default: not testing).
    """
    settings = Settings()
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=settings.database_url,
        TILES=settings.tiles,
        TILES_ATTRIBUTION=settings.tiles_attribution,
        METRIC_CRS=settings.metric_crs,
        SECRET_KEY=secrets.token_hex(32),
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    app.extensions["rollout_engine"] = make_engine(app.config["DATABASE_URL"])

    from webmap import compress, errors, i18n, security
    from webmap.views import api, export, pages

    app.jinja_env.filters.update(fr_int=fr_int, fr_share=fr_share, fr_date=fr_date,
                                 fr_number=fr_number)
    i18n.init_app(app)
    security.init_app(app)
    compress.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    _register_reports(app)
    if app.config.get("WARM_CACHE", not app.testing):
        # Milestone assessments take seconds: compute the home page once in the background
        # so the first visitor does not wait for them.
        threading.Thread(target=lambda: app.test_client().get("/"), name="rollout-warm",
                         daemon=True).start()
    return app


def _register_reports(app: Flask) -> None:
    """Report downloads (``webmap.reports_views``, another team's module) when installed."""
    try:
        module = importlib.import_module("webmap.reports_views")
    except ModuleNotFoundError as exc:
        if exc.name not in ("webmap.reports_views", "reports"):
            raise
        return
    app.register_blueprint(module.reports_bp)


@contextmanager
def db_session() -> Iterator[Session]:
    """A read transaction on the current app's database."""
    with session_scope(current_app.extensions["rollout_engine"]) as session:
        yield session

