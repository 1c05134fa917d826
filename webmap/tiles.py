"""Mapbox Vector Tiles of the map's layers (national extent: the page cannot embed 35,000
polygons).

A layer is prepared once per data version, as-of date and zoom (:func:`prepared`): features
in Web Mercator with their properties and a spatial index. A tile takes the features that
intersect it (plus a margin, so strokes join across tiles), clipped, and encodes them with
``mapbox-vector-tile`` (4096 units a side, y up as the spec's tile origin is top-left after
its flip).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely

from rollout.formatting import records

EXTENT = 4096
MARGIN = 64 / EXTENT  # of a tile's width, on every side
HALF_WORLD = 20037508.342789244  # Web Mercator (EPSG:3857) half-width in metres
MAX_ZOOM = 18
# Buildings (gap points) shown one by one from this zoom; below it, summed on a grid.
POINTS_FROM_ZOOM = 12


def bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of tile z/x/y in Web Mercator metres (XYZ: y from the north)."""
    size = 2 * HALF_WORLD / (1 << z)
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def valid(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


@dataclass
class Prepared:
    """A layer's features in EPSG:3857 with JSON-ready properties and an STRtree."""

    geometries: np.ndarray
    properties: list[dict[str, Any]]
    tree: shapely.STRtree


def prepare(frame: gpd.GeoDataFrame, columns: list[str]) -> Prepared:
    """``frame`` (any CRS) reprojected, its ``columns`` as tile properties (NULLs left out:
    vector tiles have no null)."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    mercator = frame.to_crs(epsg=3857) if len(frame) else frame
    rows = records(mercator, columns) if len(mercator) else []
    properties = [{k: v for k, v in r.items() if v is not None} for r in rows]
    geometries = np.asarray(mercator.geometry.values, dtype=object)
    return Prepared(geometries, properties, shapely.STRtree(geometries))


def encode(layer: str, prepared: Prepared, z: int, x: int, y: int) -> bytes:
    """The tile z/x/y of one layer, as MVT bytes (an empty tile when nothing falls in it)."""
    minx, miny, maxx, maxy = bounds(z, x, y)
    margin = (maxx - minx) * MARGIN
    box = (minx - margin, miny - margin, maxx + margin, maxy + margin)
    hits = prepared.tree.query(shapely.box(*box), predicate="intersects")
    features = []
    for i in np.sort(hits).tolist():
        clipped = shapely.clip_by_rect(prepared.geometries[i], *box)
        if clipped.is_empty:
            continue
        features.append({"geometry": clipped, "properties": prepared.properties[i]})
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={"quantize_bounds": (minx, miny, maxx, maxy), "extents": EXTENT})


def grid_points(points: gpd.GeoDataFrame, z: int, weight: str) -> gpd.GeoDataFrame:
    """Points summed on a grid of 1/16 of a tile at zoom ``z`` (one point per cell, at the
    weighted mean of its points): ``weight`` summed, ``count`` the points."""
    if not len(points):
        return gpd.GeoDataFrame({weight: [], "count": []}, geometry=[], crs="EPSG:3857")
    mercator = points.to_crs(epsg=3857)
    cell = 2 * HALF_WORLD / (1 << z) / 16
    xy = shapely.get_coordinates(mercator.geometry.values)
    key = pd.MultiIndex.from_arrays([np.floor(xy[:, 0] / cell), np.floor(xy[:, 1] / cell)])
    w = pd.to_numeric(mercator[weight], errors="coerce").fillna(0).to_numpy(dtype=float)
    frame = pd.DataFrame({"w": w, "wx": w * xy[:, 0], "wy": w * xy[:, 1], "n": 1,
                          "x": xy[:, 0], "y": xy[:, 1]}, index=key)
    sums = frame.groupby(level=[0, 1], sort=True).sum()
    heavy = sums["w"] > 0
    cx = np.where(heavy, sums["wx"] / sums["w"].where(heavy, 1), sums["x"] / sums["n"])
    cy = np.where(heavy, sums["wy"] / sums["w"].where(heavy, 1), sums["y"] / sums["n"])
    return gpd.GeoDataFrame(
        {weight: sums["w"].round().astype(np.int64).to_numpy(),
         "count": sums["n"].to_numpy()},
        geometry=shapely.points(cx, cy), crs="EPSG:3857")


def lonlat_of(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's (west, south, east, north) in degrees (for logs and tests)."""
    def lon(px: float) -> float:
        return px / (1 << z) * 360 - 180

    def lat(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / (1 << z)))))

    return lon(x), lat(y + 1), lon(x + 1), lat(y)
