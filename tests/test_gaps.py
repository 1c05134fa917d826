"""FTTH gaps: commune counts and hexagons, with points placed by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from rollout.gaps import aggregate_hex, commune_gaps, premises_gap_points

S = 250.0
# Hexagon (q=-7786, r=18824) lies in Lille: centre y = 1.5 x 250 x 18824 = 7,059,000 m and
# x = 250 x sqrt(3) x (q + r/2) = 250 x sqrt(3) x 1626 = 704,078.65 m (Lambert-93).
Q, R = -7786, 18824
CX, CY = S * math.sqrt(3) * 1626, 7_059_000.0


def lambert_points(
    offsets: list[tuple[float, float]], premises: list[int | None]
) -> gpd.GeoDataFrame:
    geometry = [shapely.Point(CX + dx, CY + dy) for dx, dy in offsets]
    return gpd.GeoDataFrame(
        {"premises": pd.array(premises, dtype="Int64")}, geometry=geometry, crs=2154
    )


def test_commune_gaps_from_counts():
    communes = pd.DataFrame({"insee": ["59001", "59002", "59003"], "premises": [100, 50, 80]})
    latest = pd.DataFrame({"insee": ["59001", "59002"], "connectable": [60, 55]})
    out = commune_gaps(communes, latest).set_index("insee")
    # 100 - 60 = 40; 50 - 55 floors at 0 (INSEE denominators can be exceeded); 59003 unknown.
    assert out.loc["59001", "gap"] == 40
    assert out.loc["59002", "gap"] == 0
    assert pd.isna(out.loc["59003", "gap"]) and pd.isna(out.loc["59003", "connectable"])
    assert out.loc["59003", "premises"] == 80


def test_commune_gaps_refuses_two_rows_for_one_commune():
    communes = pd.DataFrame({"insee": ["59001"], "premises": [100]})
    latest = pd.DataFrame({"insee": ["59001", "59001"], "connectable": [60, 70]})
    with pytest.raises(ValueError, match="59001"):
        commune_gaps(communes, latest)


def test_gap_points_exclude_only_connectable_and_flag_rad():
    points = pd.DataFrame(
        {
            "building_id": list("abcdefgh"),
            "status": [
                "DEPLOYE",
                "deploye",
                "RACCORDABLE DEMANDE",
                "raccordable_demande",
                "EN COURS DE DEPLOIEMENT",
                None,
                "abandonne",
                "RAD EN COURS DE DEPLOIEMENT",
            ],
            "premises": [1, 2, 3, 4, 5, 6, 7, 8],
            "lon": [3.06] * 8,
            "lat": [50.63] * 8,
        }
    )
    gaps = premises_gap_points(points).set_index("building_id")
    # a and b are connectable; every other point is a gap, the three RAD ones on demand.
    assert sorted(gaps.index) == list("cdefgh")
    assert sorted(gaps.index[gaps["on_demand"]]) == ["c", "d", "h"]
    assert gaps.loc["e", "status"] == "en_cours_deploiement"
    assert gaps.crs.to_epsg() == 4326
    assert gaps.loc["c"].geometry.x == pytest.approx(3.06)


def test_gap_points_refuse_unknown_status():
    points = pd.DataFrame({"status": ["fibre ok"], "premises": [1], "lon": [3.0], "lat": [50.0]})
    with pytest.raises(ValueError, match="fibre ok"):
        premises_gap_points(points)


def test_hexagon_binning_by_hand():
    # Two points inside the hexagon (its vertical sides are at +-sqrt(3)/2 x 250 = +-216.5 m);
    # (230, 0) is past the east side: neighbour (q+1, r); (100, 230) is above the upper-right
    # edge (y = 250 - 125 x 100/216.5 = 192.3 m there): neighbour (q, r+1).
    points = lambert_points(
        [(10, 10), (-50, 20), (200, 0), (230, 0), (100, 230)], [3, 4, 5, 6, None]
    )
    out = aggregate_hex(points, size_m=S).set_index("hex_id")
    home, east, north_east = f"{Q}_{R}", f"{Q + 1}_{R}", f"{Q}_{R + 1}"
    assert set(out.index) == {home, east, north_east}
    assert out.loc[home, "premises"] == 3 + 4 + 5 and out.loc[home, "buildings"] == 3
    assert out.loc[east, "premises"] == 6
    assert (
        out.loc[north_east, "buildings"] == 1
        and out.loc[north_east, "buildings_without_premises"] == 1
    )
    assert out["premises"].sum() == 3 + 4 + 5 + 6
    assert out.crs.to_epsg() == 4326
    metric = out.to_crs(2154)
    # Area of a regular hexagon of side s: 3 x sqrt(3) / 2 x s^2 = 162,379.56 m2.
    assert metric.area.to_numpy() == pytest.approx([3 * math.sqrt(3) / 2 * S**2] * 3, rel=1e-6)
    centre = metric.loc[home].geometry.centroid
    assert (centre.x, centre.y) == pytest.approx((CX, CY), abs=1e-3)
    assert metric.loc[east].geometry.centroid.x == pytest.approx(CX + S * math.sqrt(3), abs=1e-3)
    # Pointy top: the highest vertex is straight above the centre, at +250 m.
    top = max(metric.loc[home].geometry.exterior.coords, key=lambda c: c[1])
    assert top == pytest.approx((CX, CY + S), abs=1e-3)


def test_hexagon_binning_reprojects_wgs84_points_and_sums_on_demand():
    lonlat = lambert_points([(10, 10), (-20, -30)], [2, 5]).to_crs(4326)
    lonlat["on_demand"] = [True, False]
    out = aggregate_hex(lonlat, size_m=S)
    assert list(out["hex_id"]) == [f"{Q}_{R}"]
    assert out.loc[0, "premises"] == 7 and out.loc[0, "premises_on_demand"] == 2


def test_hexagon_binning_needs_a_crs():
    points = gpd.GeoDataFrame({"premises": [1]}, geometry=[shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="CRS"):
        aggregate_hex(points)
