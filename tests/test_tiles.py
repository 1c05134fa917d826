"""Vector tiles of the map's layers on the demo database (SpatiaLite and PostGIS): contents,
validity, the layer permissions and revalidation by ETag."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape

from tests.web_login import sign_in
from webmap import create_app, tiles

LILLE = (10, 520, 344)  # the z10 tile holding Lille (3.06 E, 50.63 N), worked by hand
LILLE_PATH = "10/520/344"


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


@pytest.fixture
def app(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test"})
    yield app
    app.extensions["rollout_engine"].dispose()


def _client(app, role):
    client = app.test_client()
    sign_in(client, role)
    return client


def test_lille_tile_by_hand():
    assert _tile_of(3.06, 50.63, 10) == LILLE[1:]
    west, south, east, north = tiles.lonlat_of(*LILLE)
    assert west <= 3.06 <= east and south <= 50.63 <= north


def test_commune_tile_holds_the_communes_it_covers_with_their_indicators(app):
    client = _client(app, "viewer")
    response = client.get(f"/tiles/communes/{LILLE_PATH}.pbf?as_of=2018-03-31")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    assert len(response.data) < 500_000
    layer = mapbox_vector_tile.decode(response.data)["communes"]
    assert layer["extent"] == tiles.EXTENT
    by_insee = {f["properties"]["insee"]: f for f in layer["features"]}
    # The same communes as the GeoJSON API finds in the tile's box (plus its margin).
    west, south, east, north = tiles.lonlat_of(*LILLE)
    pad = (east - west) * tiles.MARGIN
    api = client.get("/api/communes?as_of=2018-03-31").get_json()["features"]
    box = shapely.box(west - pad, south - pad, east + pad, north + pad)
    expected = {f["properties"]["insee"] for f in api if shape(f["geometry"]).intersects(box)}
    assert set(by_insee) == expected and "59350" in expected
    lille = by_insee["59350"]["properties"]
    assert lille["connectable"] == 59696 and lille["name"] == "Lille"
    assert lille["observed_on"] == "2018-03-31"
    for feature in layer["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert shape(feature["geometry"]).is_valid


def test_empty_tile_revalidation_and_bad_tiles(app):
    client = _client(app, "viewer")
    ocean = client.get("/tiles/communes/10/0/0.pbf")
    assert ocean.status_code == 200 and ocean.data == b""
    first = client.get(f"/tiles/communes/{LILLE_PATH}.pbf")
    assert first.headers["ETag"] and "no-store" in first.headers["Cache-Control"]
    again = client.get(f"/tiles/communes/{LILLE_PATH}.pbf",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/tiles/communes/3/8/0.pbf").status_code == 404
    assert client.get("/tiles/communes/19/0/0.pbf").status_code == 404
    assert client.get("/tiles/nowhere/3/0/0.pbf").status_code == 404


@pytest.mark.parametrize("layer", ["gaps", "buildings", "works", "gap_hexagons"])
def test_planner_layers_need_the_planner_permission(app, layer):
    path = f"/tiles/{layer}/{LILLE_PATH}.pbf"
    assert _client(app, "viewer").get(path).status_code == 403
    assert _client(app, "planner").get(path).status_code == 200


def test_gap_tile_carries_the_commune_gaps(app):
    client = _client(app, "planner")
    gaps = client.get("/api/gaps?as_of=2018-03-31").get_json()["features"]
    z = 8
    x, y = _tile_of(3.06, 50.63, z)
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/gaps/{z}/{x}/{y}.pbf?as_of=2018-03-31")
                                     .data)
    got = {f["properties"]["insee"]: f["properties"]["gap_premises"]
           for f in tile["gaps"]["features"]}
    west, south, east, north = tiles.lonlat_of(z, x, y)
    pad = (east - west) * tiles.MARGIN  # the margin, in degrees of longitude and, at 50.6 N,
    pad_lat = pad * math.cos(math.radians(50.6))  # about as many of latitude on the map
    inside = {f["properties"]["insee"]: f["properties"]["gap_premises"] for f in gaps
              if west - pad <= f["geometry"]["coordinates"][0] <= east + pad
              and south - pad_lat <= f["geometry"]["coordinates"][1] <= north + pad_lat}
    assert inside and got == inside
