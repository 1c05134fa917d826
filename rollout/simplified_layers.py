"""National scale: commune layers simplified per web-map zoom, served by bounding box.

Borders are simplified with ``shapely.coverage_simplify`` to half a pixel at the requested
zoom (:func:`zoom_tolerance`), so shared borders stay shared; :class:`SimplifiedCommunes`
computes each zoom once and keeps it in memory (the ``zoom`` parameter of the communes API).
"""

from __future__ import annotations

import geopandas as gpd
import shapely

# Half a screen pixel at the equator, in degrees, at zoom 0 (256-pixel tiles).
_DEGREES_PER_PIXEL_Z0 = 360 / 256


def zoom_tolerance(zoom: int) -> float:
    """Simplification tolerance in degrees at a web-map zoom: half a pixel's width."""
    return _DEGREES_PER_PIXEL_Z0 / 2 ** zoom / 2


class SimplifiedCommunes:
    """A commune layer simplified per zoom with ``shapely.coverage_simplify``, cached per zoom.

    Coverage simplification moves each shared border once for both communes: neighbours stay
    edge to edge (no gaps, no overlaps) whatever the tolerance. From ``full_zoom`` on the
    original geometries are served.
    """

    def __init__(self, communes: gpd.GeoDataFrame, *, full_zoom: int = 13) -> None:
        self.communes = communes.reset_index(drop=True)
        self.full_zoom = full_zoom
        self._cache: dict[int, gpd.GeoDataFrame] = {}
        self._bounds = shapely.bounds(self.communes.geometry.to_numpy())

    def at(self, zoom: int) -> gpd.GeoDataFrame:
        """The whole layer at ``zoom`` (computed once per zoom)."""
        zoom = min(max(int(zoom), 0), self.full_zoom)
        if zoom not in self._cache:
            self._cache[zoom] = simplified_communes(self.communes, zoom,
                                                    full_zoom=self.full_zoom)
        return self._cache[zoom]

    def in_bbox(self, bbox: tuple[float, float, float, float], zoom: int) -> gpd.GeoDataFrame:
        """Communes whose bounding box meets ``bbox`` (west, south, east, north) at ``zoom``."""
        west, south, east, north = bbox
        b = self._bounds
        hit = (b[:, 0] <= east) & (b[:, 2] >= west) & (b[:, 1] <= north) & (b[:, 3] >= south)
        return self.at(zoom)[hit]


def simplified_communes(
    communes: gpd.GeoDataFrame, zoom: int, *, full_zoom: int = 13
) -> gpd.GeoDataFrame:
    """The layer with borders simplified for ``zoom`` (pure; cache it: SimplifiedCommunes)."""
    if zoom >= full_zoom:
        return communes.copy()
    simple = shapely.coverage_simplify(communes.geometry.to_numpy(), zoom_tolerance(zoom))
    return communes.set_geometry(gpd.GeoSeries(simple, index=communes.index, crs=communes.crs))
