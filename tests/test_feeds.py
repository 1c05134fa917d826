"""Works feeds out (issue 17.2) on both backends: WZDx 4.2 and Waze CIFS, CLI and web.

Works file (communes: square A 59001 = lon 3.000-3.014, square B 59002 = lon 3.014-3.028):
  W1 MEL, Rue Nationale, 2030-03-10 07:00 UTC -> 2030-04-10 17:00 UTC, line in A, trenching
  W2 "Enedis" (not MEL) -> not publishable by the own-organisation rule: in no feed
  W3 MEL, ended 2020-01-31 -> not planned nor ongoing: in no feed
  W4 MEL, open-ended from 2030-05-01 -> in CIFS only (WZDx needs an end date)
  W5 MEL detour -> in WZDx only (a detour is not a CIFS incident)
  W6 Métropole Européenne de Lille, hostile description (markup, CDATA close, control chars)
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from geodata.wzdx import feed_validator
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.mobile import works_frame
from tests.builders import SQUARE_A, SQUARE_B, write_communes
from tests.conftest import _fresh_url
from tests.hostile import by_name
from tests.web_login import sign_in
from webmap import create_app

HOSTILE = " ".join(by_name(n).text for n in ("script", "xml_cdata", "entities", "ansi_colour"))
LINE_A = [[3.002, 50.602], [3.006, 50.604], [3.010, 50.605]]
LINE_B = [[3.016, 50.603], [3.020, 50.606]]


def _feature(fid, owner, start, end, kind="work-zone", street="Rue Nationale",
             description="Tranchée fibre", line=LINE_A, types="below-road-work"):
    return {"type": "Feature", "id": fid,
            "properties": {"id": fid, "title": f"Chantier {fid}", "kind": kind, "owner": owner,
                           "start": start, "end": end, "street": street,
                           "description": description, "types_of_work": types},
            "geometry": {"type": "LineString", "coordinates": line}}


def write_works(path: Path) -> Path:
    features = [
        _feature("W1", "MEL", "2030-03-10T07:00:00Z", "2030-04-10T17:00:00Z"),
        _feature("W2", "Enedis", "2030-03-10T07:00:00Z", "2030-04-10T17:00:00Z"),
        _feature("W3", "MEL", "2020-01-01T07:00:00Z", "2020-01-31T17:00:00Z"),
        _feature("W4", "MEL", "2030-05-01T06:00:00Z", "", line=LINE_B),
        _feature("W5", "MEL", "2030-03-10T07:00:00Z", "2030-04-10T17:00:00Z", kind="detour",
                 street="Rue de la Gare", line=LINE_B, types=""),
        _feature("W6", "Métropole Européenne de Lille", "2030-06-01T06:00:00Z",
                 "2030-06-02T18:00:00Z", description=HOSTILE),
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _invoke(url: str, *args: str):
    result = CliRunner().invoke(main, ["--database", url, *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def loaded(db_url, tmp_path):
    communes = write_communes(tmp_path / "communes.geojson",
                              {"59001": ("Alpha", SQUARE_A), "59002": ("Beta", SQUARE_B)})
    _invoke(db_url, "import", "communes", str(communes))
    _invoke(db_url, "import", "works", str(write_works(tmp_path / "works.geojson")))
    return db_url, communes


@pytest.fixture
def written(loaded, tmp_path):
    url, communes = loaded
    out = tmp_path / "feeds"
    result = _invoke(url, "feeds", "write", str(out))
    assert result.output.count("flux écrit") == 3
    return out, communes


def test_wzdx_feed_validates_and_holds_only_publishable_live_works(written):
    out, _ = written
    feed = json.loads((out / "works.wzdx.geojson").read_text("utf-8"))
    assert list(feed_validator().iter_errors(feed)) == []
    by_id = {f["id"]: f for f in feed["features"]}
    assert sorted(by_id) == ["W1", "W5", "W6"]
    core = by_id["W1"]["properties"]["core_details"]
    assert core["road_names"] == ["Rue Nationale"]
    assert core["description"] == "Tranchée fibre"
    assert core["name"] == "Chantier W1"
    props = by_id["W1"]["properties"]
    assert props["start_date"] == "2030-03-10T07:00:00Z"
    assert props["end_date"] == "2030-04-10T17:00:00Z"
    assert props["is_start_date_verified"] is False
    assert props["types_of_work"] == [{"type_name": "below-road-work"}]
    assert props["vehicle_impact"] == "unknown"
    assert by_id["W5"]["properties"]["core_details"]["event_type"] == "detour"
    assert by_id["W1"]["geometry"]["coordinates"] == LINE_A
    assert by_id["W6"]["properties"]["core_details"]["description"] == HOSTILE


def test_cifs_xml_is_latitude_first_with_offsets_and_literal_text(written):
    out, _ = written
    root = ET.fromstring((out / "works.cifs.xml").read_bytes())
    incidents = {i.get("id"): i for i in root.findall("incident")}
    assert sorted(incidents) == ["W1", "W4", "W6"]
    w1 = incidents["W1"]
    assert w1.findtext("type") == "ROAD_CLOSED"
    assert w1.findtext("subtype") == "ROAD_CLOSED_CONSTRUCTION"
    first = [float(v) for v in w1.findtext("location/polyline").split()[:2]]
    assert first == [50.602, 3.002]
    # 07:00 UTC on 10 March 2030 is 08:00 in Paris (winter time, +01:00).
    assert w1.findtext("starttime") == "2030-03-10T08:00:00+01:00"
    assert w1.findtext("endtime") == "2030-04-10T19:00:00+02:00"
    assert w1.findtext("location/direction") == "BOTH_DIRECTIONS"
    assert w1.findtext("location/street") == "Rue Nationale"
    assert incidents["W4"].find("endtime") is None
    text = incidents["W6"].findtext("description")
    # Markup and a CDATA close stay text; ESC (not allowed in XML 1.0) becomes U+FFFD.
    assert text == HOSTILE.replace("\x1b", "\ufffd")
    raw = (out / "works.cifs.xml").read_bytes()
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw


def test_cifs_json_matches_the_xml(written):
    out, _ = written
    incidents = json.loads((out / "works.cifs.json").read_text("utf-8"))["incidents"]
    assert [i["id"] for i in incidents] == ["W1", "W4", "W6"]
    assert incidents[0]["polyline"].split()[:2] == ["50.6020000", "3.0020000"]
    assert incidents[2]["description"] == HOSTILE


def _works(url: str, fmt: str):
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            frame = works_frame(session)
    finally:
        engine.dispose()
    frame = frame[frame["source_format"] != "geojson"] if fmt else frame
    return {w.source_id: w for w in frame.itertuples()}


@pytest.mark.parametrize("fmt,name", [("wzdx", "works.wzdx.geojson"), ("cifs", "works.cifs.json"),
                                      ("cifs", "works.cifs.xml")])
def test_feeds_read_back_into_a_fresh_database_give_the_same_works(
        written, loaded, backend, request, tmp_path, fmt, name):
    out, communes = written
    original = _works(loaded[0], "")
    (tmp_path / "b").mkdir()
    fresh = _fresh_url(backend, request, tmp_path / "b")
    _invoke(fresh, "import", "communes", str(communes))
    _invoke(fresh, "import", "works", str(out / name), "--format", fmt)
    back = _works(fresh, fmt)
    assert sorted(back) == (["W1", "W5", "W6"] if fmt == "wzdx" else ["W1", "W4", "W6"])
    for key, work in back.items():
        before = original[key]
        assert work.start_at == before.start_at and work.owner == before.owner
        assert (work.end_at == before.end_at) or (work.end_at is before.end_at)
        assert work.geometry.equals_exact(before.geometry, 1e-7)
        assert work.insee == before.insee
        assert work.road_names == before.road_names
        expected = before.description.replace("\x1b", "\ufffd") if name.endswith("xml") \
            else before.description
        assert work.description == expected
        assert work.publishable  # re-imported MEL works are MEL's own again
    if fmt == "wzdx":
        assert back["W1"].types_of_work == ["below-road-work"]
        assert back["W5"].kind == "detour"


def test_import_flags_override_the_own_organisation_rule(loaded, tmp_path):
    url, _ = loaded
    again = write_works(tmp_path / "again.geojson")
    again.write_text(again.read_text("utf-8") + "\n", encoding="utf-8")  # another sha256
    _invoke(url, "import", "works", str(again), "--not-publishable")
    engine = make_engine(url)
    with session_scope(engine) as session:
        frame = works_frame(session)
    engine.dispose()
    by_batch = frame.groupby("batch_id")["publishable"].sum().tolist()
    # First file: the rule (5 of 6 owners name MEL); second: --not-publishable.
    assert by_batch == [5, 0]


@pytest.fixture
def app(loaded):
    app = create_app({"DATABASE_URL": loaded[0], "TESTING": True, "SECRET_KEY": "t",
                      "PUBLIC_MODE": True})
    yield app
    app.extensions["rollout_engine"].dispose()


def test_web_feeds_are_public_with_validators(app):
    client = app.test_client()
    response = client.get("/feeds/works.wzdx.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert list(feed_validator().iter_errors(response.get_json())) == []
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    again = client.get("/feeds/works.wzdx.geojson",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    xml = client.get("/feeds/works.cifs.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert ET.fromstring(xml.data).tag == "incidents"
    assert client.get("/feeds/works.cifs.json").get_json()["incidents"][0]["id"] == "W1"


def test_web_feeds_need_sign_in_outside_public_mode(app):
    app.config["PUBLIC_MODE"] = False
    client = app.test_client()
    assert client.get("/feeds/works.cifs.xml").status_code == 302
    sign_in(client, "viewer")
    response = client.get("/feeds/works.cifs.xml")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
