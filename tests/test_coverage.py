"""5G coverage model on hand-built Lambert-93 geometries with areas worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from rollout.coverage import coverage_areas, coverage_share, gap_areas

TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
SQUARE = 10_000 * 10_000  # each commune is a 10 km square


def communes() -> gpd.GeoDataFrame:
    """Two adjacent 10 km squares near Lille, delivered in EPSG:4326 like the readers do."""
    frame = gpd.GeoDataFrame(
        {"insee": ["59001", "59002"], "population": [10_000, 4_000]},
        geometry=[
            box(700_000, 7_050_000, 710_000, 7_060_000),
            box(710_000, 7_050_000, 720_000, 7_060_000),
        ],
        crs=2154,
    )
    return frame.to_crs(4326)


def site(station, operator, x, y, bands, has_5g, in_service_on):  # type: ignore[no-untyped-def]
    lon, lat = TO_WGS84.transform(x, y)
    return {
        "station_id": station,
        "operator_code": operator,
        "lon": lon,
        "lat": lat,
        "bands": bands,
        "has_5g": has_5g,
        "in_service_on": in_service_on,
    }


SITES = pd.DataFrame(
    [
        site("S1", "20801", 705_000, 7_055_000, ["NR 3500"], True, dt.date(2021, 1, 1)),
        # on the border of the two communes: half of its 2 km disc falls in each
        site("S2", "20801", 710_000, 7_052_000, ["NR 700", "NR 3500"], True, dt.date(2022, 6, 1)),
        site("S3", "20810", 715_000, 7_055_000, ["NR 3500"], True, None),
        site("S4", "20810", 715_000, 7_055_000, ["NR 3500"], True, dt.date(2023, 1, 1)),
        site("S5", "20815", 702_000, 7_058_000, ["LTE 800"], False, dt.date(2015, 1, 1)),
        site("S6", "20820", 703_000, 7_053_000, ["NR 26000"], True, dt.date(2021, 1, 1)),
    ]
)
DISC_600 = math.pi * 600**2
HALF_DISC_2000 = math.pi * 2000**2 / 2


def areas(coverage: gpd.GeoDataFrame) -> dict[tuple[str, str], float]:
    return {
        (o, i): g.area
        for o, i, g in zip(
            coverage["operator_code"], coverage["insee"], coverage.geometry, strict=True
        )
    }


def test_single_600m_disc_inside_a_commune() -> None:
    coverage = coverage_areas(SITES, communes(), dt.date(2021, 6, 30))
    assert coverage.crs.to_epsg() == 2154
    found = areas(coverage)
    assert set(found) == {("20801", "59001")}  # S4 not yet in service, S3 has no date
    assert found[("20801", "59001")] == pytest.approx(DISC_600, rel=0.01)
    assert coverage.attrs["sites_without_radius"] == 1  # S6: NR 26000 has no radius


def test_widest_band_and_clipping_at_the_commune_border() -> None:
    found = areas(coverage_areas(SITES, communes(), dt.date(2022, 12, 31)))
    assert found[("20801", "59001")] == pytest.approx(DISC_600 + HALF_DISC_2000, rel=0.01)
    assert found[("20801", "59002")] == pytest.approx(HALF_DISC_2000, rel=0.01)
    assert ("20810", "59002") not in found


def test_in_service_on_the_day_counts() -> None:
    found = areas(coverage_areas(SITES, communes(), dt.date(2023, 1, 1)))
    assert found[("20810", "59002")] == pytest.approx(DISC_600, rel=0.01)


def test_radii_are_configurable() -> None:
    found = areas(coverage_areas(SITES, communes(), dt.date(2021, 6, 30), radii={"NR 3500": 1000}))
    assert found[("20801", "59001")] == pytest.approx(math.pi * 1000**2, rel=0.01)


def test_share_population_uniform() -> None:
    coverage = coverage_areas(SITES, communes(), dt.date(2021, 6, 30))
    share = coverage_share(coverage, communes()).set_index(["insee", "operator_code"])
    row = share.loc[("59001", "20801")]
    # 10,000 inhabitants x (pi x 600^2 / 10^8 m^2) = 113.1
    assert row["covered"] == pytest.approx(10_000 * DISC_600 / SQUARE, rel=0.01)
    assert row["premises"] == 10_000
    assert row["method"] == "population_uniform"
    assert row["as_of"] == dt.date(2021, 6, 30)
    assert share.loc[("59002", "20801"), "covered"] == 0
    assert share.loc[("59002", "20801"), "share"] == 0


def premises() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"premises": [10, 5, 1, 3]},
        geometry=[
            Point(705_100, 7_055_000),  # 100 m from S1
            Point(705_700, 7_055_000),  # 700 m from S1: outside 600 m
            Point(701_000, 7_051_000),
            Point(711_000, 7_052_000),
        ],  # 1 km from S2, in the second commune
        crs=2154,
    )
    return frame.to_crs(4326)


def test_share_premises_points() -> None:
    early = coverage_share(
        coverage_areas(SITES, communes(), dt.date(2021, 6, 30)),
        communes(),
        premises_points=premises(),
    ).set_index(["insee", "operator_code"])
    assert early.loc[("59001", "20801"), ["covered", "premises"]].tolist() == [10, 16]
    assert early.loc[("59001", "20801"), "share"] == pytest.approx(10 / 16)
    assert early.loc[("59002", "20801"), ["covered", "premises"]].tolist() == [0, 3]
    assert set(early["method"]) == {"premises_points"}
    later = coverage_share(
        coverage_areas(SITES, communes(), dt.date(2022, 12, 31)),
        communes(),
        premises_points=premises(),
    ).set_index(["insee", "operator_code"])
    assert later.loc[("59002", "20801"), "share"] == 1.0
    assert later.loc[("59001", "20801"), "covered"] == 10


def test_gap_areas_are_commune_minus_coverage() -> None:
    coverage = coverage_areas(SITES, communes(), dt.date(2021, 6, 30))
    gaps = gap_areas(coverage, communes(), operators=["20801", "20810"])
    found = areas(gaps)
    assert found[("20801", "59001")] == pytest.approx(SQUARE - DISC_600, rel=1e-3)
    assert found[("20801", "59002")] == pytest.approx(SQUARE, rel=1e-3)
    assert found[("20810", "59001")] == pytest.approx(SQUARE, rel=1e-3)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="bands"):
        coverage_areas(SITES.drop(columns="bands"), communes(), dt.date(2021, 6, 30))
    coverage = coverage_areas(SITES, communes(), dt.date(2021, 6, 30))
    with pytest.raises(ValueError, match="population"):
        coverage_share(coverage, communes().drop(columns="population"))
