"""Spatial lookups on the loaded communes, shared by the importers."""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy.orm import Session

from rollout import queries


class CommuneLocator:
    """Point-in-polygon lookup of INSEE codes on the loaded communes (STRtree)."""

    def __init__(self, session: Session) -> None:
        communes = queries.communes(session, geometry=True)
        self.codes = communes["insee"].to_numpy(dtype=object)
        self.known = set(self.codes)
        self.tree = shapely.STRtree(communes.geometry.to_numpy())

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """INSEE code of the commune holding each point, None outside every commune."""
        points = shapely.points(lon, lat)
        found = np.full(len(points), None, dtype=object)
        point_index, commune_index = self.tree.query(points, predicate="within")
        found[point_index] = self.codes[commune_index]
        return found
