"""HTML pages, CSV and GeoPackage downloads, errors, languages and headers (Flask test client).

Expected figures: Lille (59350) had 59,696 connectable premises on 2018-03-31 in the real ARCEP
T1 2018 file; Lille is the most populous MEL commune; the demo's observations run quarterly
from T3 2017 (real until T1 2018) to T3 2026 (synthetic).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re

import pyogrio
import pytest

from rollout.models import ImportBatch, ImportError_
from tests.web_login import sign_in
from webmap import create_app
from webmap.assets import external_urls
from webmap.auth import requires

PAGES = ["/", "/?lang=en", "/?indicator=status", "/communes", "/communes?sort=population",
         "/communes/59350", "/communes/59350?as_of=2018-03-31", "/operators", "/operators/FRTE",
         "/imports", "/communes/00000", "/nowhere"]


@pytest.fixture
def app(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test"})
    yield app
    app.extensions["rollout_engine"].dispose()


@pytest.fixture
def client(app):
    client = app.test_client()
    sign_in(client, "admin")
    return client


def _map_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, "the map page carries its configuration"
    return json.loads(found.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_no_page_fetches_anything_from_another_server(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    html = response.get_data(as_text=True)
    assert external_urls(html) == []
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_map_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    config = _map_config(html)
    assert len(config["popups"]) == 95 and len(config["shares"]) == 95
    assert len(config["quarters"]) == 37
    assert config["quarters"][0] == "2017-09-30" and config["quarters"][-1] == "2026-09-30"
    assert config["quarterLabels"][2] == "T1 2018"
    assert config["quarterLabels"][3] == "T2 2018 (synthétique)"
    assert {"share", "status", "delay"} <= set(config["indicators"])
    assert 'id="quarter"' in html and "leaflet-search" in html and "/static/js/map.js" in html
    # The popup names the figure, its date, its source; map.js links it to the commune page.
    lille = dict(config["popups"]["59350"])
    assert lille["Observé le"] == "30/09/2026"
    assert lille["Source"] == "2026t3-obs-thd-synthetique-mel.csv (synthétique)"
    assert config["communeUrl"].replace(config["placeholder"], "59350") == "/communes/59350"
    names = {f["properties"]["insee"]: f["properties"]["name"]
             for f in config["communes"]["features"]}
    assert len(names) == 95 and names["59350"] == "Lille"


def test_map_script_labels_follow_the_page_language(client):
    english = _map_config(client.get("/?lang=en").get_data(as_text=True))
    assert english["labels"] == {"communes": "Municipalities", "search": "Search a municipality",
                                 "notFound": "Municipality not found",
                                 "sheet": "Municipality page"}
    assert [label for label, _ in english["popups"]["59350"]][:3] == [
        "Share", "Connectable", "Premises"]
    works = [e for e in english["overlays"] if e["layer"] == "works"]
    assert works and all(e["name"].startswith("Public works — ") for e in works)
    assert ["title", "Title"] in works[0]["popup"]
    french = _map_config(client.get("/?lang=fr").get_data(as_text=True))
    assert french["labels"]["notFound"] == "Commune introuvable"


def test_banner_derives_real_and_synthetic_periods_from_the_batches(client):
    html = client.get("/communes").get_data(as_text=True)
    banner = re.search(r'<div class="data-banner".*?</div>', html, re.S).group(0)
    assert re.search(r"Chiffres réels \(ARCEP\) du T3 2017 au T1 2018", banner)
    assert re.search(r"Données synthétiques de démonstration du T2 2018 au T3 2026", banner)
    html_2018 = client.get("/communes?as_of=2018-03-31").get_data(as_text=True)
    banner_2018 = re.search(r'<div class="data-banner".*?</div>', html_2018, re.S).group(0)
    assert "T2 2018 au" not in banner_2018


def test_map_slider_values_are_the_shares_of_each_quarter(client):
    config = _map_config(client.get("/?as_of=2018-03-31").get_data(as_text=True))
    assert config["quarters"] == ["2017-09-30", "2017-12-31", "2018-03-31"]
    csv_text = client.get("/communes.csv?as_of=2018-03-31").get_data(as_text=True)
    lille = next(r for r in csv.DictReader(io.StringIO(csv_text)) if r["insee"] == "59350")
    expected = int(lille["connectable"]) / int(lille["premises"])
    assert config["shares"]["59350"][-1] == pytest.approx(expected, abs=5e-4)


def test_communes_table_sorts(client):
    html = client.get("/communes?sort=population&order=desc").get_data(as_text=True)
    rows = re.findall(r'<tr class="(?:real|synthetic)" data-insee="(\d{5})"', html)
    assert len(rows) == 95
    assert rows[0] == "59350"
    ascending = re.findall(r'data-insee="(\d{5})"',
                           client.get("/communes?sort=population").get_data(as_text=True))
    assert ascending[-1] == "59350"


def test_communes_csv(client):
    response = client.get("/communes.csv?as_of=2018-03-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 95
    lille = next(r for r in rows if r["insee"] == "59350")
    assert (lille["name"], lille["connectable"], lille["observed_on"], lille["synthetic"]) == (
        "Lille", "59696", "2018-03-31", "False")


def test_commune_page(client):
    html = client.get("/communes/59350?as_of=2018-03-31").get_data(as_text=True)
    assert "<h1>Lille" in html
    assert "59 696" in html
    chart = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert 'class="actual"' in chart
    # Three real quarterly observations up to T1 2018, drawn as filled dots.
    assert len(re.findall(r"<circle ", chart)) == 3


def test_commune_page_shows_milestones_and_the_committed_trajectory(client):
    assessed = client.get("/api/assessments").get_json()["assessments"]
    own = [a for a in assessed if a["commune_insee"] and a["metric"].endswith("_share")]
    assert own, "the demo holds commune-level share milestones"
    insee = own[0]["commune_insee"]
    html = client.get(f"/communes/{insee}").get_data(as_text=True)
    assert 'class="committed"' in html
    assert 'class="data milestones"' in html


def test_unknown_commune_and_operator_are_404_pages(client):
    for path, words in [("/communes/00000", "Commune inconnue"),
                        ("/operators/NOPE", "Opérateur inconnu"),
                        ("/nowhere", "Cette page n'existe pas.")]:
        response = client.get(path)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert words in html.replace("&#39;", "'")
        assert "<html" in html and "Traceback" not in html


def test_server_error_page_hides_the_exception(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "PROPAGATE_EXCEPTIONS": False,
                      "SECRET_KEY": "test",
                      "WARM_CACHE": False})

    @app.route("/boom")
    @requires(None)
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in html and "Traceback" not in html
    assert "Erreur du serveur" in html
    app.extensions["rollout_engine"].dispose()


def test_operator_page(client):
    html = client.get("/operators/FRTE").get_data(as_text=True)
    assert "<h1>Orange" in html
    assert 'class="data milestones"' in html
    assert 'id="operator-communes"' in html
    assert "FRTE" in client.get("/operators").get_data(as_text=True)


def test_language_from_parameter_cookie_and_header(client):
    english = client.get("/communes?lang=en")
    assert "Municipalities" in english.get_data(as_text=True)
    assert 'lang="en"' in english.get_data(as_text=True)
    # The choice is remembered by a cookie on the same client.
    assert "Municipalities" in client.get("/imports").get_data(as_text=True)
    fresh = client.application.test_client()
    sign_in(fresh, "admin")
    assert ">Communes<" in fresh.get("/imports").get_data(as_text=True)
    accept = fresh.get("/imports", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Import history" in accept.get_data(as_text=True)


def test_imports_page_lists_every_batch(client):
    html = client.get("/imports").get_data(as_text=True)
    assert "arcep_obs_2018t1_ftth_communes_dep59.csv" in html
    assert "mel_communes.geojson" in html


def test_imports_page_shows_rejected_rows(db_url):
    from rollout.db import make_engine, session_scope

    engine = make_engine(db_url)
    with session_scope(engine) as session:
        batch = ImportBatch(kind="arcep", file_name="broken.csv", sha256="0" * 64,
                            size_bytes=10, status="rejected", rows_read=3, rows_rejected=1,
                            started_at=dt.datetime(2026, 1, 1), synthetic=False)
        batch.errors.append(ImportError_(row=3, column="T1 2018", value="douze",
                                         reason="not a number"))
        session.add(batch)
    engine.dispose()
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test"})
    admin = app.test_client()
    sign_in(admin, "admin")
    html = admin.get("/imports").get_data(as_text=True)
    assert "broken.csv" in html and "douze" in html and "not a number" in html
    # An empty database still renders the map, saying that nothing is loaded.
    empty = app.test_client().get("/")
    assert empty.status_code == 200
    assert "Aucune donnée de déploiement chargée." in empty.get_data(as_text=True)
    app.extensions["rollout_engine"].dispose()


def test_geopackage_export_reads_back_with_gdal(client, tmp_path):
    response = client.get("/export.gpkg?as_of=2018-03-31")
    assert response.status_code == 200
    path = tmp_path / "export.gpkg"
    path.write_bytes(response.data)
    layers = dict(pyogrio.list_layers(path).tolist())
    gaps = client.get("/api/gaps?as_of=2018-03-31").get_json()["features"]
    assert {"communes", "gaps"} <= set(layers)
    assert pyogrio.read_info(path, layer="communes")["features"] == 95
    assert pyogrio.read_info(path, layer="gaps")["features"] == len(gaps)
    communes = pyogrio.read_dataframe(path, layer="communes")
    lille = communes[communes["insee"] == "59350"].iloc[0]
    assert lille["connectable"] == 59696
    assert communes.crs.to_epsg() == 4326


def test_commune_page_counts_sites_and_works_touching_it(client):
    sites = client.get("/api/sites").get_json()["features"]
    works = client.get("/api/works").get_json()["features"]
    expected_sites = sum(1 for f in sites if f["properties"]["insee"] == "59350")
    expected_works = sum(1 for f in works if "59350" in f["properties"]["insee"].split(", "))
    html = client.get("/communes/59350").get_data(as_text=True)
    assert f'<dd id="sites-count">{expected_sites}</dd>' in html
    assert f'<dd id="works-count">{expected_works}</dd>' in html


def test_configured_basemap_is_the_only_outside_url(demo_url):
    tiles = "https://tile.example.org/{z}/{x}/{y}.png"
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test", "TILES": tiles, "TILES_ATTRIBUTION": "© example"})
    response = app.test_client().get("/")
    html = response.get_data(as_text=True)
    # The basemap travels as data (map.js adds the tile layer): no asset URL in the page.
    assert _map_config(html)["tiles"] == {"url": tiles, "attribution": "© example",
                                          "maxZoom": 18}
    assert external_urls(html) == []
    assert "img-src 'self' data: https://tile.example.org" in (
        response.headers["Content-Security-Policy"])
    app.extensions["rollout_engine"].dispose()


def test_commune_page_links_each_operator_of_the_arcep_list(client):
    html = client.get("/communes/59350").get_data(as_text=True)
    listed = re.search(r"Opérateurs d&#39;infrastructure</dt><dd>(.*?)</dd>", html, re.S)
    listed = listed or re.search(r"Opérateurs d'infrastructure</dt><dd>(.*?)</dd>", html, re.S)
    links = re.findall(r'href="/operators/([^"]+)"', listed.group(1))
    assert len(links) >= 2  # Lille's ARCEP list names several infrastructure operators
    assert all("-" not in code for code in links)
    for code in links:
        assert client.get(f"/operators/{code}").status_code == 200


def test_pages_are_gzipped_for_clients_that_accept_it(client):
    plain = client.get("/communes")
    packed = client.get("/communes", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    # The CSRF token is signed with the current second, so two requests may straddle a tick.
    token = re.compile(rb'name="csrf_token" value="[^"]*"')
    assert token.sub(b"", gzip.decompress(packed.data)) == token.sub(b"", plain.data)
    assert len(packed.data) < len(plain.data) / 3
