"""5G coverage model on hand-built Lambert-93 geometries with areas worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from rollout.coverage import coverage_areas, coverage_history, coverage_share, gap_areas

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


# coverage_history: two 600 m discs of one operator 600 m apart opening on different days in
# the first square, a 1 km disc of another operator in the second.
HISTORY_SITES = pd.DataFrame(
    [
        site("A", "20801", 703_000, 7_055_000, ["NR 3500"], True, dt.date(2021, 3, 1)),
        site("B", "20801", 703_600, 7_055_000, ["NR 3500"], True, dt.date(2021, 9, 15)),
        site("C", "20810", 715_000, 7_055_000, ["NR 2100"], True, dt.date(2022, 1, 1)),
        site("D", "20810", 712_000, 7_052_000, ["NR 700"], True, None),  # never in service
        site("E", "20820", 706_000, 7_056_000, ["LTE 800"], False, dt.date(2019, 1, 1)),
        site("F", "20815", 707_000, 7_057_000, ["NR 26000"], True, dt.date(2020, 1, 1)),
    ]
)
DAYS = [
    dt.date(2020, 12, 31),
    dt.date(2021, 3, 1),  # A opens that day
    dt.date(2021, 6, 30),
    dt.date(2021, 12, 31),  # B open since 15 Sept
    dt.date(2022, 1, 1),  # C opens that day
]
# Two discs of radius r whose centres are r apart overlap on a lens of r^2 (2 pi/3 - sqrt(3)/2).
UNION_600 = 2 * DISC_600 - 600**2 * (2 * math.pi / 3 - math.sqrt(3) / 2)
DISC_1000 = math.pi * 1000**2


def history(frame: pd.DataFrame, column: str) -> dict[tuple[dt.date, str, str], float]:
    return {
        (d, i, o): v
        for d, i, o, v in zip(
            frame["as_of"], frame["insee"], frame["operator_code"], frame[column], strict=True
        )
    }


def test_history_population_uniform_grows_with_each_opening() -> None:
    found = coverage_history(HISTORY_SITES, communes(), DAYS)
    assert set(found["method"]) == {"population_uniform"}
    # every day reports every commune for every operator with a 5G site (E has no 5G)
    assert sorted(set(found["operator_code"])) == ["20801", "20810", "20815"]
    assert len(found) == len(DAYS) * 2 * 3
    covered = history(found, "covered")
    day0, opening, mid, later, last = DAYS
    assert all(v == 0 for (d, _, _), v in covered.items() if d == day0)
    per_m2 = 10_000 / SQUARE  # inhabitants of the first commune per m2
    assert covered[(opening, "59001", "20801")] == pytest.approx(per_m2 * DISC_600, rel=0.01)
    assert covered[(mid, "59001", "20801")] == pytest.approx(per_m2 * DISC_600, rel=0.01)
    # the overlap counts once: 10,000 x 1.82 km2 / 100 km2, not 10,000 x 2 x 1.13 km2 / 100 km2
    assert covered[(later, "59001", "20801")] == pytest.approx(per_m2 * UNION_600, rel=0.01)
    assert covered[(later, "59002", "20810")] == 0
    assert covered[(last, "59002", "20810")] == pytest.approx(4_000 * DISC_1000 / SQUARE, rel=0.01)
    assert covered[(last, "59001", "20815")] == 0  # NR 26000 has no radius
    premises = history(found, "premises")
    assert {premises[(last, "59001", "20801")], premises[(last, "59002", "20801")]} == {
        10_000, 4_000
    }
    share = history(found, "share")
    assert share[(last, "59002", "20810")] == pytest.approx(DISC_1000 / SQUARE, rel=0.01)


def history_points() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "premises": [10, 5, 1, 3, 7, 2, 100],
            "valid_from": [None, None, None, None, None, dt.date(2021, 6, 30), None],
            "valid_until": [None, None, None, None, dt.date(2021, 6, 30), None, None],
        },
        geometry=[
            Point(703_100, 7_055_000),  # 100 m from A
            Point(703_900, 7_055_000),  # 900 m from A, 300 m from B
            Point(701_000, 7_051_000),  # far from every site
            Point(715_500, 7_055_000),  # 500 m from C, second commune
            Point(703_050, 7_055_000),  # 50 m from A, counts before 30 June 2021 only
            Point(703_000, 7_055_100),  # 100 m from A, counts from 30 June 2021
            Point(730_000, 7_055_000),  # outside both communes
        ],
        crs=2154,
    )
    return frame.to_crs(4326)


def test_history_premises_points_count_from_the_first_covering_opening() -> None:
    found = coverage_history(
        HISTORY_SITES, communes(), DAYS, premises_points=history_points(),
        operators=["20801", "20810"],
    )
    assert set(found["method"]) == {"premises_points"}
    covered, premises = history(found, "covered"), history(found, "premises")
    day0, opening, mid, later, last = DAYS
    # first commune: 10 + 5 + 1 + 7 until 30 June 2021, then 10 + 5 + 1 + 2
    assert [premises[(d, "59001", "20801")] for d in DAYS] == [23, 23, 18, 18, 18]
    assert [covered[(d, "59001", "20801")] for d in DAYS] == [0, 17, 12, 17, 17]
    assert [premises[(d, "59002", "20810")] for d in DAYS] == [3] * 5
    assert [covered[(d, "59002", "20810")] for d in DAYS] == [0, 0, 0, 0, 3]
    assert covered[(last, "59001", "20810")] == 0
    assert covered[(last, "59002", "20801")] == 0
    assert history(found, "share")[(later, "59001", "20801")] == pytest.approx(17 / 18)


def test_history_days_are_distinct_and_ascending() -> None:
    found = coverage_history(HISTORY_SITES, communes(), [DAYS[3], DAYS[0], DAYS[3]])
    assert found["as_of"].drop_duplicates().tolist() == [DAYS[0], DAYS[3]]
    assert found["insee"].tolist()[:3] == ["59001"] * 3


@pytest.mark.parametrize("with_points", [False, True])
def test_history_matches_the_model_day_by_day(with_points: bool) -> None:
    """The sweep gives coverage_share(coverage_areas(...)) of each day (the reference model)."""
    points = premises() if with_points else None
    days = [dt.date(2020, 1, 1), dt.date(2021, 6, 30), dt.date(2022, 12, 31), dt.date(2023, 1, 1)]
    ops = ["20801", "20810", "20820"]
    found = coverage_history(SITES, communes(), days, premises_points=points, operators=ops)
    for day in days:
        expected = coverage_share(
            coverage_areas(SITES, communes(), day), communes(), premises_points=points,
            operators=ops,
        )
        got = found[found["as_of"] == day].reset_index(drop=True)
        assert got["insee"].tolist() == expected["insee"].tolist()
        assert got["operator_code"].tolist() == expected["operator_code"].tolist()
        assert got["covered"].tolist() == pytest.approx(expected["covered"].tolist(), rel=1e-9)
        assert got["premises"].tolist() == expected["premises"].tolist()


def test_history_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="in_service_on"):
        coverage_history(HISTORY_SITES.drop(columns="in_service_on"), communes(), DAYS)
    with pytest.raises(ValueError, match="population"):
        coverage_history(HISTORY_SITES, communes().drop(columns="population"), DAYS)
