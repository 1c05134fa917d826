"""Settings read from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB_FILE = "rollout.sqlite"


def default_database_url() -> str:
    """``ROLLOUT_DATABASE_URL``, else a SpatiaLite file in the working directory."""
    url = os.environ.get("ROLLOUT_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"


@dataclass(frozen=True)
class Settings:
    """What the CLI, the web app and the reports share."""

    database_url: str = field(default_factory=default_database_url)
    # Lambert-93: areas, distances and buffers are computed in this metric CRS.
    metric_crs: int = int(os.environ.get("ROLLOUT_METRIC_CRS", "2154"))
    # Basemap tile URL template, or "none" (offline; no third-party request at all).
    tiles: str = os.environ.get("ROLLOUT_TILES", "none")
    tiles_attribution: str = os.environ.get(
        "ROLLOUT_TILES_ATTRIBUTION", "&copy; OpenStreetMap contributors"
    )
    language: str = os.environ.get("ROLLOUT_LANGUAGE", "fr")
