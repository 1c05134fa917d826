"""The JSON/GeoJSON API on the demo database, on SpatiaLite and PostGIS.

Expected figures come from the real ARCEP T1 2018 file (Lille 59350: 59,696 connectable
premises on 2018-03-31) or from counting rows in the database directly.
"""

from __future__ import annotations

import jsonschema
import pytest
from shapely.geometry import shape
from sqlalchemy import text

from rollout.db import make_engine
from tests.web_login import sign_in
from webmap import create_app

FEATURE_KEYS = {"insee", "name", "population", "area_km2", "premises", "premises_as_of",
                "connectable", "connectable_share", "gap_premises", "observed_on",
                "synthetic", "source_file"}


@pytest.fixture
def client(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test"})
    client = app.test_client()
    sign_in(client, "admin")
    yield client
    app.extensions["rollout_engine"].dispose()


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar())
    finally:
        engine.dispose()


def test_communes_is_a_feature_collection_of_95_communes(client):
    response = client.get("/api/communes")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    payload = response.get_json()
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    jsonschema.validate(payload, schema["FeatureCollection"])
    assert payload["type"] == "FeatureCollection"
    assert len(payload["features"]) == 95
    assert len({f["properties"]["insee"] for f in payload["features"]}) == 95
    for feature in payload["features"]:
        assert FEATURE_KEYS <= set(feature["properties"])
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert shape(feature["geometry"]).is_valid


def test_communes_as_of_gives_the_real_2018_figure(client):
    payload = client.get("/api/communes?as_of=2018-03-31").get_json()
    lille = next(f["properties"] for f in payload["features"]
                 if f["properties"]["insee"] == "59350")
    assert lille["name"] == "Lille"
    assert lille["connectable"] == 59696
    assert lille["observed_on"] == "2018-03-31"
    assert lille["synthetic"] is False
    assert lille["source_file"] == "arcep_obs_2018t1_ftth_communes_dep59.csv"
    assert payload["as_of"] == "2018-03-31"
    assert lille["gap_premises"] == lille["premises"] - lille["connectable"]


def test_communes_bbox_and_limit(client):
    # A 0.02-degree box around Lille's town hall (50.6306 N, 3.0706 E).
    payload = client.get("/api/communes?bbox=3.06,50.62,3.08,50.64").get_json()
    codes = {f["properties"]["insee"] for f in payload["features"]}
    assert "59350" in codes
    assert 1 <= len(codes) < 95
    assert "59599" not in codes  # Tourcoing lies about 12 km to the north-east
    assert len(client.get("/api/communes?limit=7").get_json()["features"]) == 7


@pytest.mark.parametrize(("query", "parameter"), [
    ("bbox=abc", "bbox"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=3.1,50.6,3.0,50.7", "bbox"),
    ("bbox=200,0,201,1", "bbox"),
    ("bbox=nan,0,1,1", "bbox"),
    ("as_of=2018-13-01", "as_of"),
    ("as_of=31/02/2018", "as_of"),
    ("as_of=2101-01-01", "as_of"),
    ("as_of=20180331", "as_of"),
    ("limit=0", "limit"),
    ("limit=10001", "limit"),
    ("limit=ten", "limit"),
    ("bbbox=1,2,3,4", "bbbox"),
])
@pytest.mark.parametrize("path", ["/api/communes", "/api/gaps", "/api/assessments"])
def test_bad_parameters_are_400_naming_the_parameter(client, path, query, parameter):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter
    assert parameter in body["error"]


def test_progress_series_of_lille(client):
    payload = client.get("/api/communes/59350/progress").get_json()
    assert payload["insee"] == "59350" and payload["name"] == "Lille"
    series = payload["series"]
    # Quarterly from T3 2017 to T3 2026: 2 + 8 * 4 + 3 quarters.
    assert len(series) == 37
    assert [s["observed_on"] for s in series[:3]] == ["2017-09-30", "2017-12-31", "2018-03-31"]
    assert series[2]["connectable"] == 59696
    assert [s["synthetic"] for s in series[:4]] == [False, False, False, True]
    share = series[2]["connectable"] / series[2]["premises"]
    assert series[2]["connectable_share"] == pytest.approx(share, abs=1e-4)
    assert len(client.get("/api/communes/59350/progress?limit=4").get_json()["series"]) == 4


def test_progress_of_an_unknown_commune_is_404_json(client):
    response = client.get("/api/communes/00000/progress")
    assert response.status_code == 404
    assert response.get_json()["parameter"] == "insee"


def test_assessments_one_row_per_milestone(client, demo_url):
    payload = client.get("/api/assessments").get_json()
    milestones = _count(demo_url, "SELECT count(*) FROM milestone")
    assert milestones > 0
    assert payload["available"] is True
    assert len(payload["assessments"]) == milestones
    statuses = {"met", "met_late", "missed", "at_risk", "on_track", "no_data"}
    assert {a["status"] for a in payload["assessments"]} <= statuses
    frte = client.get("/api/assessments?operator=FRTE").get_json()["assessments"]
    assert frte and {a["operator_code"] for a in frte} == {"FRTE"}
    assert len(client.get("/api/assessments?limit=3").get_json()["assessments"]) == 3


def test_assessments_without_compliance_module(client, monkeypatch):
    from webmap import cache, data

    monkeypatch.setattr(data, "compliance", lambda: None)
    with client.application.app_context():
        cache.store().clear()  # answers cached with the module installed are the same version
    try:
        payload = client.get("/api/assessments").get_json()
        assert payload == {"as_of": payload["as_of"], "available": False, "assessments": []}
        props = client.get("/api/communes?limit=1").get_json()["features"][0]["properties"]
        assert "status" not in props
    finally:
        # What this test cached without the module would be served to the next tests of
        # the shared demo database (same data version): clear it again.
        with client.application.app_context():
            cache.store().clear()


def test_gaps_are_the_communes_with_missing_premises(client):
    communes = client.get("/api/communes?as_of=2018-03-31").get_json()["features"]
    expected = {f["properties"]["insee"] for f in communes
                if (f["properties"]["premises"] or 0) > (f["properties"]["connectable"] or 0)}
    gaps = client.get("/api/gaps?as_of=2018-03-31").get_json()
    assert {f["properties"]["insee"] for f in gaps["features"]} == expected
    assert all(f["geometry"]["type"] == "Point" for f in gaps["features"])


@pytest.mark.parametrize("layer", ["sites", "works"])
def test_optional_layers_are_feature_collections(client, demo_url, layer):
    table = {"sites": "radio_site", "works": "public_work"}[layer]
    payload = client.get(f"/api/{layer}").get_json()
    assert payload["type"] == "FeatureCollection"
    stored = _count(demo_url, f"SELECT count(*) FROM {table}")
    assert len(payload["features"]) <= stored
    if layer == "works":
        assert len(payload["features"]) == stored


def test_5g_gaps_layer_per_operator(client):
    payload = client.get("/api/gaps_5g").get_json()
    assert payload["type"] == "FeatureCollection" and payload["features"]
    operators = {f["properties"]["operator_code"] for f in payload["features"]}
    # The demo's four mobile operators (MCC-MNC codes) each leave some area uncovered.
    assert operators <= {"20801", "20810", "20815", "20820"}
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
               for f in payload["features"])


def test_openapi_document_lists_every_route(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/communes", "/api/communes/{insee}/progress", "/api/assessments",
            "/api/sites", "/api/works", "/api/gaps", "/api/gaps_5g"} <= set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/api/communes"]["get"]["parameters"]}
    assert params == {"bbox", "as_of", "limit", "zoom", "commune"}
    jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"]["Error"])
