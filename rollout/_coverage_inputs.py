"""What the one-day coverage functions and the coverage history share.

The model's parameters (radius per 5G band, metric CRS), the radius of a site's
disc, the checks and reprojection of input frames, and the placing of premises
points in communes: apart so that :mod:`rollout.coverage` and
:mod:`rollout._coverage_history` apply the same rules without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import pandas as pd

DEFAULT_RADII_M: dict[str, float] = {"NR 3500": 600, "NR 2100": 1000, "NR 700": 2000}
DEFAULT_CRS = 2154


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; got {list(frame.columns)}")


def _metric(frame: gpd.GeoDataFrame, crs: int | str, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise ValueError(f"{what} must be a GeoDataFrame with a CRS")
    return frame.to_crs(crs)


def sites_geodataframe(sites: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points (EPSG:4326) for a sites frame that only has ``lon``/``lat`` columns."""
    if isinstance(sites, gpd.GeoDataFrame):
        return sites
    _require(sites, ["lon", "lat"], "sites")
    return gpd.GeoDataFrame(
        sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326
    )


def site_radius(bands: Iterable[str], radii: Mapping[str, float]) -> float:
    """Radius of the disc a site covers: its widest configured band, 0 if none is configured."""
    return max((float(radii[b]) for b in bands if b in radii), default=0.0)


def _home_communes(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``points`` joined to the ``insee`` of the commune each lies in; others are dropped."""
    in_commune = gpd.sjoin(points, communes[["insee", "geometry"]], predicate="intersects")
    # A point on a shared border belongs to the first commune only.
    return in_commune[~in_commune.index.duplicated()]
