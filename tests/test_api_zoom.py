"""`/api/communes?zoom=`: zoom-dependent simplified geometries that keep borders shared."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from webmap import create_app


@pytest.fixture
def client(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test",
                      "PUBLIC_MODE": True})
    yield app.test_client()
    app.extensions["rollout_engine"].dispose()


def _shapes(client, query: str) -> dict[str, object]:
    response = client.get(f"/api/communes?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {f["properties"]["insee"]: shape(f["geometry"])
            for f in response.get_json()["features"]}


def test_lower_zoom_has_fewer_vertices_and_no_overlaps(client):
    coarse = _shapes(client, "zoom=8")
    full = _shapes(client, "zoom=13")
    assert set(coarse) == set(full) and len(full) == 95
    vertices = {name: sum(shapely.get_num_coordinates(list(s.values())))
                for name, s in (("coarse", coarse), ("full", full))}
    assert vertices["coarse"] < vertices["full"] / 2
    geoms = list(coarse.values())
    assert all(g.is_valid for g in geoms)
    # A coverage: the communes' areas add up to the area of their union (no overlap).
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-9)


def test_zoom_with_bbox_returns_the_communes_in_view(client):
    lille = _shapes(client, "zoom=12&bbox=3.03,50.60,3.10,50.65")
    assert "59350" in lille
    assert len(lille) < 95


@pytest.mark.parametrize("value", ["-1", "23", "x", "1e3", "6.5"])
def test_bad_zoom_is_refused_naming_the_parameter(client, value):
    response = client.get(f"/api/communes?zoom={value}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "zoom"
