"""Works analyses on hand-built Lambert-93 works, premises, gaps and sites; values by hand."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from rollout.works_analysis import (
    assign_communes,
    conflicts,
    dig_once,
    work_status,
    works_near_sites,
)

AS_OF = dt.date(2026, 3, 10)


def utc(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC") if text else pd.NaT


def works() -> gpd.GeoDataFrame:
    """Works near (705000, 7055000) in Lambert-93, delivered in EPSG:4326 like the readers do."""
    rows = [
        # id, geometry, start, end
        (
            "W1",
            LineString([(705_000, 7_055_000), (705_200, 7_055_000)]),
            "2026-03-01T08:00",
            "2026-03-20T17:00",
        ),
        # 5 m north of W1, crossing nothing
        (
            "W2",
            LineString([(705_100, 7_055_005), (705_100, 7_055_300)]),
            "2026-03-15T07:00",
            "2026-04-15T16:00",
        ),
        (
            "W3",
            LineString([(705_000, 7_055_000), (705_200, 7_055_000)]),
            "2026-05-01T07:00",
            "2026-05-10T16:00",
        ),
        # 8 m north of W1 and W3, 50 m east of W2; open-ended
        ("W4", LineString([(705_150, 7_055_008), (705_150, 7_055_100)]), "2026-01-01T00:00", None),
        ("W5", Point(712_000, 7_052_000), "2025-01-01T07:00", "2025-02-01T16:00"),
        ("W6", Point(652_000, 6_862_000), "2026-06-01T07:00", "2026-06-30T16:00"),  # Paris
    ]
    frame = gpd.GeoDataFrame(
        {
            "source_id": [r[0] for r in rows],
            "title": [f"Work {r[0]}" for r in rows],
            "kind": "work-zone",
            "owner": "MEL",
            "start_at": [utc(r[2]) for r in rows],
            "end_at": pd.Series([utc(r[3]) for r in rows], dtype="datetime64[ns, UTC]"),
        },
        geometry=[r[1] for r in rows],
        crs=2154,
    )
    return frame.to_crs(4326)


def test_work_status_as_of_end_of_day() -> None:
    assert work_status(works(), AS_OF).tolist() == [
        "ongoing",
        "planned",
        "planned",
        "ongoing",
        "ended",
        "planned",
    ]
    edge = pd.DataFrame(
        {
            # 22:30 UTC on 10 March is 23:30 in Paris (still the 10th); 23:30 UTC is the 11th
            "start_at": [utc("2026-03-10T22:30"), utc("2026-03-10T23:30"), utc("2026-03-01T00:00")],
            "end_at": [utc(None), utc(None), utc("2026-03-10T12:00")],
        }
    )
    assert work_status(edge, AS_OF).tolist() == ["ongoing", "planned", "ended"]


def premises_points() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"premises": [4, 2, 7]},
        geometry=[
            Point(705_100, 7_054_970),  # 30 m from W1/W3, 35 m from W2, 62.8 m from W4
            Point(705_160, 7_055_140),  # 41.2 m from the end of W4, 60 m from W2
            Point(712_010, 7_052_000),  # 10 m from W5, which has ended
        ],
        crs=2154,
    )
    return frame.to_crs(4326)


def test_dig_once_with_uncovered_premises() -> None:
    result = dig_once(works(), premises_points(), AS_OF)
    assert result["source_id"].tolist() == ["W1", "W2", "W3", "W4"]  # 4, 4, 4 by start, then 2
    assert result["premises"].tolist() == [4, 4, 4, 2]
    assert result["targets_near"].tolist() == [1, 1, 1, 1]
    assert result["rank"].tolist() == [1, 2, 3, 4]
    assert result["status"].tolist() == ["ongoing", "planned", "planned", "ongoing"]


def test_dig_once_distance_is_configurable() -> None:
    result = dig_once(works(), premises_points(), AS_OF, distance_m=25)
    assert result.empty  # the nearest premises is 30 m away


def test_dig_once_with_gap_polygons() -> None:
    # A 200 m x 60 m gap 40 m south of W1/W3 holding 12 premises spread uniformly.
    gaps = gpd.GeoDataFrame(
        {"premises": [12]}, geometry=[box(705_000, 7_054_900, 705_200, 7_054_960)], crs=2154
    ).to_crs(4326)
    result = dig_once(works(), gaps, AS_OF).set_index("source_id")
    # W1: the band 705000-705200 x 7054950-7054960 is within 50 m: 2,000 m2 of 12,000 m2.
    assert result.loc["W1", "gap_area_m2"] == pytest.approx(2000, rel=1e-3)
    assert result.loc["W1", "premises"] == pytest.approx(2.0, rel=1e-3)
    # W2 ends 45 m above the gap: a circular cap of radius 50, height 5.
    cap = 50**2 * math.acos(45 / 50) - 45 * math.sqrt(50**2 - 45**2)
    assert result.loc["W2", "gap_area_m2"] == pytest.approx(cap, rel=0.05)
    assert list(result.index[:2]) == ["W1", "W3"]


def test_conflicts_overlap_in_space_and_time() -> None:
    found = conflicts(works())
    pairs = list(zip(found["source_id_a"], found["source_id_b"], strict=True))
    assert pairs == [("W1", "W2"), ("W1", "W4"), ("W3", "W4")]
    first = found.iloc[0]
    assert first["overlap_start"] == utc("2026-03-15T07:00")
    assert first["overlap_end"] == utc("2026-03-20T17:00")
    assert first["distance_m"] == pytest.approx(5, abs=0.01)
    assert found.iloc[2]["overlap_end"] == utc("2026-05-10T16:00")  # W4 is open-ended


def test_conflicts_buffer_is_configurable() -> None:
    found = conflicts(works(), buffer_m=60)
    pairs = set(zip(found["source_id_a"], found["source_id_b"], strict=True))
    assert pairs == {("W1", "W2"), ("W1", "W4"), ("W3", "W4"), ("W2", "W4")}


def test_works_near_recent_sites() -> None:
    sites = pd.DataFrame(
        {
            "station_id": ["A", "B", "C", "D"],
            "operator_code": ["20801", "20810", "20815", "20820"],
            "has_5g": [True, True, True, False],
            "in_service_on": [dt.date(2026, 2, 1), dt.date(2020, 1, 1), None, None],
        }
    )
    points = gpd.GeoDataFrame(
        sites,
        geometry=[Point(705_100, 7_055_060)] * 2
        + [Point(712_000, 7_052_050), Point(705_100, 7_055_060)],
        crs=2154,
    ).to_crs(4326)
    found = works_near_sites(works(), points, as_of=AS_OF)
    # A (recent) on W2, 50 m from W4, 60 m from W1 and W3; B too old; D not 5G;
    # C upcoming but only near W5, which ended before the 180-day window.
    assert found["source_id"].tolist() == ["W2", "W4", "W1", "W3"]
    assert set(found["station_id"]) == {"A"}
    assert found["distance_m"].tolist() == pytest.approx([0, 50, 60, 60], abs=0.01)
    assert set(found["site_state"]) == {"recent"}
    upcoming = works_near_sites(works(), points, as_of=AS_OF, recent_days=500)
    assert ("W5", "C", "upcoming") in set(
        zip(upcoming["source_id"], upcoming["station_id"], upcoming["site_state"], strict=True)
    )


def test_assign_communes_keeps_works_outside() -> None:
    communes = gpd.GeoDataFrame(
        {"insee": ["59001", "59002"]},
        geometry=[
            box(700_000, 7_050_000, 710_000, 7_060_000),
            box(710_000, 7_050_000, 720_000, 7_060_000),
        ],
        crs=2154,
    ).to_crs(4326)
    crossing = gpd.GeoDataFrame(
        {"source_id": ["W7"]},
        geometry=[LineString([(709_900, 7_051_000), (710_100, 7_051_000)])],
        crs=2154,
    ).to_crs(4326)
    all_works = pd.concat([works(), crossing], ignore_index=True)
    result = assign_communes(all_works, communes)
    assert len(result) == 7
    assert result["insee"].tolist() == [
        ["59001"],
        ["59001"],
        ["59001"],
        ["59001"],
        ["59002"],
        [],
        ["59001", "59002"],
    ]
    assert result["outside"].tolist() == [False, False, False, False, False, True, False]
