"""Works readers: WZDx 4.2 (official examples), Waze CIFS (XML/JSON), GeoJSON/GeoPackage/CSV."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geodata.cifs import read_cifs
from geodata.errors import InputError
from geodata.works import read_works, read_works_file
from geodata.wzdx import read_wzdx

WZDX = Path(__file__).parent / "data" / "wzdx"
UTC = "UTC"

# Feature counts read from the example files (one "type": "Feature" per road event).
EXAMPLES = {
    "scenario1_simple_linestring_example.geojson": 5,
    "scenario1_simple_multipoint_example.geojson": 5,
    "scenario2_laneshift_linestring_example.geojson": 1,
    "scenario3_shoulder_bidirectional_linestring_example.geojson": 2,
    "scenario4_detour_linestring_example.geojson": 4,
    "scenario5_recurring_linestring_example.geojson": 4,
    "scenario6_multi_lane_closure_linestring_example.geojson": 1,
    "scenario7_mobileoperation_linestring_example.geojson": 2,
    "scenario8_local_access_only_bidirectional_linestring_example.geojson": 2,
}


@pytest.mark.parametrize(("name", "count"), sorted(EXAMPLES.items()))
def test_wzdx_official_examples_load(name: str, count: int) -> None:
    result = read_wzdx(WZDX / "WorkZoneFeed" / name)
    assert len(result.frame) == count
    assert result.frame.crs.to_epsg() == 4326
    assert result.feed["version"] == "4.2"
    assert set(result.frame["source_format"]) == {"wzdx"}


def test_wzdx_detour_example_fields() -> None:
    result = read_works(WZDX / "WorkZoneFeed" / "scenario4_detour_linestring_example.geojson")
    frame = result.frame
    assert frame["kind"].tolist() == ["work-zone", "detour", "detour", "detour"]
    first = frame.iloc[0]
    assert first["source_id"] == "a15f7570-b7e6-4367-8ad9-3a462eea65dd"
    assert first["title"] == "I-35: Simple, single direction work zone with detour."
    assert first["owner"] == "Test City 1"  # organization_name of data source "1"
    assert first["start_at"] == pd.Timestamp("2010-01-01T01:03:01", tz=UTC)
    assert first["end_at"] == pd.Timestamp("2010-06-30T01:00:00", tz=UTC)
    assert bool(first["start_verified"]) is True
    assert bool(first["end_verified"]) is False
    assert first["types_of_work"] == ["surface-work"]
    assert first.geometry.geom_type == "LineString"
    assert first.geometry.coords[0] == pytest.approx((-93.570535026999949, 41.815141143000062))
    assert str(frame["start_at"].dtype) == "datetime64[ns, UTC]"
    assert result.feed["publisher"] == "TestDOT"


def test_wzdx_multipoint_geometry() -> None:
    frame = read_wzdx(WZDX / "WorkZoneFeed" / "scenario1_simple_multipoint_example.geojson").frame
    assert set(frame.geometry.geom_type) == {"MultiPoint"}


@pytest.mark.parametrize("name", ["arrow_board_ok_example.geojson", "camera_error_example.geojson"])
def test_wzdx_device_feeds_refused(name: str) -> None:
    with pytest.raises(InputError) as info:
        read_works(WZDX / "DeviceFeed" / name, "wzdx")
    assert info.value.code == "device_feed"
    assert "Device Feed" in str(info.value)


def _modified(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    doc = json.loads(
        (WZDX / "WorkZoneFeed" / "scenario2_laneshift_linestring_example.geojson").read_text(
            encoding="utf-8"
        )
    )
    change(doc)
    path = tmp_path / "feed.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_wzdx_other_version_refused(tmp_path: Path) -> None:
    path = _modified(tmp_path, lambda d: d["feed_info"].update(version="3.1"))
    with pytest.raises(InputError) as info:
        read_wzdx(path)
    assert info.value.code == "unsupported_version"
    assert "'3.1'" in str(info.value) and "4.0, 4.1, 4.2" in str(info.value)


def _as_version_4_0(doc: dict) -> None:
    """4.0 named the root's feed information ``road_event_feed_info``."""
    doc["road_event_feed_info"] = doc.pop("feed_info")
    doc["road_event_feed_info"]["version"] = "4.0"
    for feature in doc["features"]:
        feature["properties"]["core_details"].pop("name", None)  # added in 4.1


@pytest.mark.parametrize("change, version", [
    (lambda d: d["feed_info"].update(version="4.1"), "4.1"),
    (_as_version_4_0, "4.0"),
])
def test_wzdx_4_0_and_4_1_feeds_read(tmp_path: Path, change, version: str) -> None:  # type: ignore[no-untyped-def]
    reference = read_wzdx(_modified(tmp_path, lambda d: None))
    result = read_wzdx(_modified(tmp_path, change))
    assert result.feed["version"] == version
    assert list(result.frame["source_id"]) == list(reference.frame["source_id"])
    assert list(result.frame["start_at"]) == list(reference.frame["start_at"])


def test_wzdx_schema_violation_reports_json_path(tmp_path: Path) -> None:
    path = _modified(tmp_path, lambda d: d["features"][0]["properties"].update(vehicle_impact="x"))
    with pytest.raises(InputError) as info:
        read_wzdx(path)
    problem = info.value.problems[0]
    assert info.value.code == "schema_violation"
    assert (problem.row, problem.column) == (1, "$.features[0].properties.vehicle_impact")


def test_wzdx_geometry_checked_against_offline_geojson_schemas(tmp_path: Path) -> None:
    def one_position(doc: dict) -> None:
        doc["features"][0]["geometry"]["coordinates"] = [[-93.7, 41.6]]

    with pytest.raises(InputError) as info:
        read_wzdx(_modified(tmp_path, one_position))
    assert info.value.problems[0].column.startswith("$.features[0].geometry")


def cifs_xml(incidents: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return f"{declaration}\n<incidents>\n{incidents}\n</incidents>\n"


LILLE_INCIDENT = """  <incident id="MEL-2026-001">
    <source><reference>x</reference><name>Métropole Européenne de Lille</name></source>
    <type>ROAD_CLOSED</type>
    <subtype>ROAD_CLOSED_CONSTRUCTION</subtype>
    <description>Pose de fourreaux fibre</description>
    <location>
      <street>Rue Nationale</street>
      <polyline>50.6365 3.0635 50.6372 3.0700</polyline>
      <direction>BOTH_DIRECTIONS</direction>
    </location>
    <starttime>2026-03-10T08:00:00+01:00</starttime>
    <endtime>2026-07-01T18:00:00+02:00</endtime>
  </incident>"""
POINT_INCIDENT = """  <incident id="MEL-2026-002">
    <type>HAZARD</type>
    <polyline>50.69 3.18</polyline>
    <street>Grand-Place</street>
    <starttime>2026-03-11T00:00:00Z</starttime>
  </incident>"""


def test_cifs_xml_lille_polyline_is_lon_lat_and_times_utc(tmp_path: Path) -> None:
    path = tmp_path / "closures.xml"
    path.write_text(cifs_xml(LILLE_INCIDENT + "\n" + POINT_INCIDENT), encoding="utf-8")
    frame = read_works(path).frame
    first, second = frame.iloc[0], frame.iloc[1]
    assert list(first.geometry.coords) == [(3.0635, 50.6365), (3.07, 50.6372)]
    assert first["start_at"] == pd.Timestamp("2026-03-10T07:00:00", tz=UTC)  # +01:00 in March
    assert first["end_at"] == pd.Timestamp("2026-07-01T16:00:00", tz=UTC)  # +02:00 in July
    assert first["kind"] == "road-closed"
    assert first["types_of_work"] == ["road-closed-construction"]
    assert first["owner"] == "Métropole Européenne de Lille"
    assert first["title"] == "Rue Nationale — Pose de fourreaux fibre"
    assert second.geometry.equals(Point(3.18, 50.69))
    assert pd.isna(second["end_at"])
    assert second["kind"] == "hazard"
    assert frame["source_row"].tolist() == [1, 2]


@pytest.mark.parametrize(
    "wrap",
    [
        lambda inc: {"incidents": [{"incident": inc}]},
        lambda inc: {"incidents": [inc]},
        lambda inc: [inc],
    ],
)
def test_cifs_json_variants(tmp_path: Path, wrap) -> None:  # type: ignore[no-untyped-def]
    incident = {
        "id": "A1",
        "type": "ROAD_CLOSED",
        "subtype": "ROAD_CLOSED_CONSTRUCTION",
        "starttime": "2026-03-10T08:00:00+01:00",
        "endtime": "2026-03-12T08:00:00+01:00",
        "location": {
            "street": "Rue de Paris",
            "polyline": "50.63 3.06 50.64 3.07",
            "direction": "ONE_DIRECTION",
        },
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(wrap(incident)), encoding="utf-8")
    frame = read_works(path).frame
    assert frame["source_id"].tolist() == ["A1"]
    assert frame.geometry.iloc[0].equals(LineString([(3.06, 50.63), (3.07, 50.64)]))
    assert frame["end_at"].iloc[0] == pd.Timestamp("2026-03-12T07:00:00", tz=UTC)
    assert frame["source_format"].iloc[0] == "cifs"


def test_cifs_end_before_start_and_odd_polyline(tmp_path: Path) -> None:
    bad = LILLE_INCIDENT.replace("2026-07-01T18:00:00+02:00", "2026-03-09T18:00:00+01:00")
    odd = POINT_INCIDENT.replace("50.69 3.18", "50.69 3.18 50.70")
    path = tmp_path / "closures.xml"
    path.write_text(cifs_xml(bad + "\n" + odd), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_cifs(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "endtime"), (2, "polyline")]


def test_cifs_malformed_xml(tmp_path: Path) -> None:
    path = tmp_path / "closures.xml"
    path.write_text(cifs_xml(LILLE_INCIDENT.replace("</type>", "</typ>")), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_cifs(path)
    assert info.value.code == "bad_xml"
    assert info.value.problems[0].row == 5  # declaration, <incidents>, <incident>, <source>, <type>


def test_cifs_legacy_encodings(tmp_path: Path) -> None:
    text = cifs_xml(POINT_INCIDENT.replace("Grand-Place", "Rue de l'Épée"), declaration="")
    undeclared = tmp_path / "cp1252.xml"
    undeclared.write_bytes(text.encode("cp1252"))
    assert read_cifs(undeclared).frame["title"].iloc[0] == "Rue de l'Épée"
    declared = tmp_path / "latin1.xml"
    declared.write_bytes(('<?xml version="1.0" encoding="ISO-8859-1"?>' + text).encode("latin-1"))
    assert read_cifs(declared).frame["title"].iloc[0] == "Rue de l'Épée"


PORTAL_CSV = (
    "identifiant;objet;maitre_ouvrage;date_debut;date_fin;geo_point_2d;geo_shape\r\n"
    "T-1;Réfection chaussée;Ville de Lille;10/03/2026;20/03/2026;50.63, 3.06;\r\n"
    'T-2;Pose fibre;MEL;2026-04-01;;50.64, 3.07;"{""type"": ""LineString"", '
    '""coordinates"": [[3.07, 50.64], [3.08, 50.65]]}"\r\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_portal_csv(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "chantiers.csv"
    path.write_bytes(PORTAL_CSV.encode(encoding))
    result = read_works(path)
    frame = result.frame
    assert frame["source_id"].tolist() == ["T-1", "T-2"]
    assert frame["title"].tolist() == ["Réfection chaussée", "Pose fibre"]
    assert frame["owner"].tolist() == ["Ville de Lille", "MEL"]
    assert frame.geometry.iloc[0].equals(Point(3.06, 50.63))  # geo_point_2d is "lat, lon"
    assert frame.geometry.iloc[1].equals(LineString([(3.07, 50.64), (3.08, 50.65)]))
    # A date alone is Paris local time: UTC+1 in March, UTC+2 from 29 March 2026.
    assert frame["start_at"].tolist()[0] == pd.Timestamp("2026-03-09T23:00:00", tz=UTC)
    assert frame["end_at"].tolist()[0] == pd.Timestamp("2026-03-20T22:59:59", tz=UTC)
    assert frame["start_at"].tolist()[1] == pd.Timestamp("2026-03-31T22:00:00", tz=UTC)
    assert pd.isna(frame["end_at"].tolist()[1])
    assert frame["kind"].tolist() == ["work-zone", "work-zone"]
    assert frame["source_row"].tolist() == [2, 3]
    assert any("Europe/Paris" in w for w in result.warnings)


def test_csv_minimum_schema_with_wkt_and_problems(tmp_path: Path) -> None:
    path = tmp_path / "works.csv"
    path.write_text(
        "id,title,kind,owner,start,end,wkt,commune\n"
        "W1,Trench,road closed,MEL,2026-03-10T08:00:00Z,2026-03-01T00:00:00Z,"
        '"POINT (3.06 50.63)",59350\n'
        "W2,Lambert,work-zone,MEL,2026-03-10,,POINT (704000 7059000),59350\n"
        "W1,Dup,work-zone,MEL,not a date,,POINT (3 50),\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_works_file(path)
    found = [(p.row, p.column) for p in info.value.problems]
    assert found == [(2, "end"), (3, "geometry"), (4, "id"), (4, "start")]


def test_geojson_minimum_schema(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "G1",
                "properties": {
                    "title": "Fourreaux",
                    "kind": "work-zone",
                    "owner": "Orange",
                    "start": "2026-05-04T06:00:00Z",
                    "end": "2026-05-06T16:00:00Z",
                    "commune": "59350",
                    "types_of_work": "below-road-work",
                },
                "geometry": {"type": "LineString", "coordinates": [[3.06, 50.63], [3.061, 50.631]]},
            }
        ],
    }
    path = tmp_path / "works.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    frame = read_works(path).frame
    row = frame.iloc[0]
    assert (row["source_id"], row["commune"], row["source_format"]) == ("G1", "59350", "geojson")
    assert row["types_of_work"] == ["below-road-work"]
    assert row["end_at"] == pd.Timestamp("2026-05-06T16:00:00", tz=UTC)


def test_geopackage_in_lambert93_is_reprojected(tmp_path: Path) -> None:
    works = gpd.GeoDataFrame(
        {"id": ["P1"], "objet": ["Origin"], "date_debut": ["2026-01-05"]},
        geometry=[Point(700000, 6600000)],
        crs=2154,
    )
    path = tmp_path / "works.gpkg"
    works.to_file(path, driver="GPKG")
    frame = read_works(path).frame
    # (700000, 6600000) is the Lambert-93 false origin: 3° E, 46.5° N.
    assert frame.geometry.iloc[0].x == pytest.approx(3.0, abs=1e-7)
    assert frame.geometry.iloc[0].y == pytest.approx(46.5, abs=1e-7)


def test_works_missing_start_column_empty_file_and_bad_format(tmp_path: Path) -> None:
    path = tmp_path / "works.csv"
    path.write_text("id;title;wkt\n1;x;POINT (3 50)\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_works(path)
    assert info.value.code == "missing_column"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"  \n")
    with pytest.raises(InputError) as info:
        read_works(empty)
    assert info.value.code == "empty_file"
    with pytest.raises(ValueError, match="expected one of"):
        read_works(path, "shapefile")


def test_bad_json_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('{"incidents": [\n  {"id": "x",}\n]}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_works(path)
    assert info.value.code == "bad_json"
    assert info.value.problems[0].row == 2


FUZZ_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ_SETTINGS
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".json", ".xml", ".geojson"]))
def test_any_bytes_give_a_frame_or_an_input_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        result = read_works(path)
    except InputError as exc:
        assert exc.problems
    else:
        assert list(result.frame.columns)[-1] == "geometry"


@FUZZ_SETTINGS
@given(
    polyline=st.text(alphabet="0123456789 .,-eEnaif", max_size=30),
    start=st.text(alphabet="0123456789-:T+Z/ ", max_size=26),
    end=st.one_of(st.none(), st.text(alphabet="0123456789-:T+Z/ ", max_size=26)),
)
def test_cifs_fields_never_escape_as_raw_errors(
    tmp_path: Path, polyline: str, start: str, end: str | None
) -> None:
    incident = {
        "id": "F",
        "type": "ROAD_CLOSED",
        "polyline": polyline,
        "starttime": start,
        "endtime": end,
    }
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps({"incidents": [{"incident": incident}]}), encoding="utf-8")
    try:
        frame = read_cifs(path).frame
    except InputError as exc:
        assert all(p.row == 1 for p in exc.problems)
    else:
        assert frame.geometry.iloc[0].geom_type in {"Point", "LineString"}
