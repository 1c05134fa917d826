"""5G gap polygons stay valid through reprojection, and dig-once survives invalid targets.

Commune 59001 is a quadrilateral near Lille (lon/lat below, as the readers deliver it). Orange
(20801) has a 1 km and a 600 m disc crossing its edges, SFR (20810) a 2 km disc crossing its
northern edge, Free (20815) a 2 km disc nearly 4 km east of it. The commune minus a disc
clipped to it keeps a spike ~1e-11 m wide where the disc edge meets the commune edge: valid in
Lambert-93 at full precision, self-intersecting once projected to WGS84 (as the web map serves
the gaps) and back. Expected values come from shapely on the unclipped discs, which has no spike.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from rollout.coverage import coverage_areas, gap_areas
from rollout.works_analysis import dig_once

AS_OF = dt.date(2024, 6, 1)
RING = [(3.0412, 50.6071), (3.0968, 50.6125), (3.0893, 50.6458), (3.0367, 50.6389)]
# operator, lon, lat, band and its radius in rollout.coverage.DEFAULT_RADII_M
SITES = [("20801", 3.09308, 50.62094, "NR 2100", 1000),
         ("20801", 3.08906, 50.63964, "NR 3500", 600),
         ("20810", 3.06315, 50.64302, "NR 700", 2000),
         ("20815", 3.15000, 50.63000, "NR 700", 2000)]
OPERATORS = ["20801", "20810", "20815"]
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)
TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
# Snapping to a 1 cm grid moves each vertex by at most 0.71 cm, so an area by less than
# 1 cm x the length of the edges that moved.
GRID_M = 0.01


def project(geom: shapely.Geometry, transformer: Transformer) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(*xy.T)))


def communes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"insee": ["59001"], "population": [10_000]},
                            geometry=[shapely.Polygon(RING)], crs=4326)


def sites() -> pd.DataFrame:
    return pd.DataFrame({
        "station_id": [f"S{n}" for n in range(len(SITES))],
        "operator_code": [s[0] for s in SITES], "lon": [s[1] for s in SITES],
        "lat": [s[2] for s in SITES], "bands": [[s[3]] for s in SITES], "has_5g": True,
        "in_service_on": dt.date(2023, 1, 2),
    })


def commune_l93() -> shapely.Geometry:
    return project(shapely.Polygon(RING), TO_L93)


def discs(operator: str) -> shapely.Geometry:
    """An operator's coverage before clipping (shapely's default disc, as the model builds)."""
    return shapely.union_all([shapely.buffer(project(shapely.Point(lon, lat), TO_L93), radius)
                              for op, lon, lat, _, radius in SITES if op == operator])


def spiked_gap(operator: str) -> shapely.Geometry:
    """The gap as computed before the fix: the commune minus its clipped coverage."""
    commune = commune_l93()
    return shapely.difference(commune, shapely.intersection(commune, discs(operator)))


def layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    covered = coverage_areas(sites(), communes(), AS_OF)
    return covered, gap_areas(covered, communes(), OPERATORS)


@pytest.mark.parametrize("operator", ["20801", "20810"])
def test_the_scenario_has_the_spikes(operator: str) -> None:
    gap = spiked_gap(operator)
    assert gap.is_valid and shapely.minimum_clearance(gap) < 1e-9
    assert not shapely.is_valid(project(gap, TO_WGS84))
    assert not shapely.is_valid(project(project(gap, TO_WGS84), TO_L93))


def test_layers_are_valid_in_lambert93_and_wgs84() -> None:
    for layer in layers():
        assert len(layer) and shapely.is_valid(layer.geometry.to_numpy()).all()
        wgs84 = layer.to_crs(4326)
        assert shapely.is_valid(wgs84.geometry.to_numpy()).all()
        assert shapely.is_valid(wgs84.to_crs(2154).geometry.to_numpy()).all()


def test_gap_areas_match_the_commune_minus_the_discs() -> None:
    covered, gaps = layers()
    commune = commune_l93()
    found = dict(zip(gaps["operator_code"], gaps.geometry, strict=True))
    assert sorted(found) == OPERATORS
    for operator in ("20801", "20810"):
        expected = shapely.difference(commune, discs(operator))
        assert 0 < expected.area < commune.area
        assert found[operator].area == pytest.approx(expected.area, abs=GRID_M * expected.length)
        # Seen from WGS84, as the web map serves it, the area is the same.
        served = gaps[gaps["operator_code"] == operator].to_crs(4326).to_crs(2154)
        assert served.geometry.iloc[0].area == pytest.approx(expected.area,
                                                             abs=GRID_M * expected.length)
    # Free covers none of the commune: its gap is the commune itself, not snapped.
    assert "20815" not in set(covered["operator_code"])
    assert found["20815"].area == pytest.approx(commune.area, rel=1e-12)
    # The covered areas are the discs clipped to the commune, unchanged.
    for operator, geom in zip(covered["operator_code"], covered.geometry, strict=True):
        expected = shapely.intersection(commune, discs(operator)).area
        assert geom.area == pytest.approx(expected, rel=1e-9)


def test_gap_areas_refuse_degrees() -> None:
    covered = coverage_areas(sites(), communes(), AS_OF).to_crs(4326)
    with pytest.raises(ValueError, match="metric CRS"):
        gap_areas(covered, communes(), OPERATORS)


def works(line: shapely.LineString) -> gpd.GeoDataFrame:
    """One planned work along ``line`` (Lambert-93), delivered in EPSG:4326."""
    return gpd.GeoDataFrame(
        {"source_id": ["W1"], "title": ["Voirie W1"], "kind": ["work-zone"],
         "start_at": [pd.Timestamp("2024-09-02T07:00", tz="UTC")],
         "end_at": [pd.Timestamp("2024-09-27T16:00", tz="UTC")]},
        geometry=[line], crs=2154,
    ).to_crs(4326)


def test_dig_once_measures_a_bow_tie_as_its_two_triangles() -> None:
    x, y = 705_000, 7_058_000
    # Two 10,000 m² triangles meeting at (x + 100, y + 100), holding 100 residents.
    bow_tie = shapely.Polygon([(x, y), (x + 200, y + 200), (x + 200, y), (x, y + 200)])
    assert not bow_tie.is_valid
    targets = gpd.GeoDataFrame({"premises": [100]}, geometry=[bow_tie], crs=2154)
    # A street 10 m west of the left triangle's base: its 50 m reach covers the strip
    # x - 10 - 50 .. x + 40 over the base's whole height, i.e. the left triangle's first 40 m,
    # where it is 200 - 2t m tall: 200 x 40 - 40² = 6,400 m² of the 20,000 m².
    street = shapely.LineString([(x - 10, y), (x - 10, y + 200)])
    result = dig_once(works(street), targets, AS_OF)
    assert result["source_id"].tolist() == ["W1"]
    assert result["gap_area_m2"].iloc[0] == pytest.approx(6400, rel=1e-6)
    assert result["premises"].iloc[0] == pytest.approx(100 * 6400 / 20_000, rel=1e-6)
    assert result.attrs["targets_repaired"] == 1


def test_dig_once_on_a_reprojected_spiked_gap() -> None:
    exact = spiked_gap("20810")
    # The gap as no_5g_gaps served it before the fix: in WGS84, self-intersecting.
    served = project(exact, TO_WGS84)
    targets = gpd.GeoDataFrame({"premises": [1000]}, geometry=[served], crs=4326)
    spike = shapely.get_point(shapely.minimum_clearance_line(exact), 0)
    street = shapely.LineString([(spike.x - 100, spike.y + 5), (spike.x + 100, spike.y + 5)])
    reach = shapely.buffer(project(project(street, TO_WGS84), TO_L93), 50)
    assert reach.contains(spike)
    expected = shapely.intersection(exact, reach).area
    assert 0 < expected < reach.area / 2
    result = dig_once(works(street), targets, AS_OF)
    assert result["gap_area_m2"].iloc[0] == pytest.approx(expected, abs=0.01)
    assert result["premises"].iloc[0] == pytest.approx(1000 * expected / exact.area, rel=1e-6)
    assert result.attrs["targets_repaired"] == 1
