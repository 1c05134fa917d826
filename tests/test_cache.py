"""The shared snapshot and response cache (issue 13.2/13.3, issue 12 item 13): invalidated by
an import, keyed by permissions and language, ETag/304, Cache-Control, parameters validated
before anything is stored, reports served from the cache and still audited, the limiter of
anonymous generation, stale-while-revalidate and the snapshot computed by the import."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import g

from rollout import audit
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.importers import arcep, communes
from tests.builders import SQUARE_A, SQUARE_B, write_arcep_2020, write_communes
from tests.web_login import sign_in
from webmap import cache, create_app, data

QUARTERS = ["T3 2020", "T4 2020", "T1 2021", "T2 2021"]
SQUARE_C = [[x + 0.028, y] for x, y in SQUARE_A]


@pytest.fixture
def loaded(db_url, tmp_path):
    engine = make_engine(db_url)
    communes.load(engine, write_communes(tmp_path / "c.geojson", {
        "59001": ("Aa", SQUARE_A), "59002": ("Bb", SQUARE_B)}))
    arcep.load(engine, write_arcep_2020(
        tmp_path / "obs.csv", "T4 2020", {"59001": 1000, "59002": 1000}, QUARTERS,
        {"59001": [800, 900, 950, 980], "59002": [400, 500, 700, 900]}))
    engine.dispose()
    return db_url


@pytest.fixture
def app(loaded, tmp_path):
    app = create_app({"DATABASE_URL": loaded, "TESTING": True, "SECRET_KEY": "test",
                      "PUBLIC_MODE": True, "CACHE_DIR": str(tmp_path / "cache"),
                      "GENERATION_RATE_LIMIT": (2, 60)})
    yield app
    app.extensions["rollout_engine"].dispose()


def _entries(app) -> int:
    """Entries in the app's file cache (not its locks, not cachelib's own counter file)."""
    with app.app_context():
        counter = Path(cache.store()._get_filename("__wz_cache_count")).name
    return sum(1 for p in Path(app.config["CACHE_FOLDER"]).iterdir()
               if not p.name.endswith(".lock") and p.name != counter)


def _names(response) -> list[str]:
    return sorted(f["properties"]["name"] for f in json.loads(response.data)["features"])


def test_an_import_makes_a_new_data_version(app, loaded, tmp_path):
    client = app.test_client()
    assert _names(client.get("/api/communes")) == ["Aa", "Bb"]
    assert _names(client.get("/api/communes")) == ["Aa", "Bb"]
    engine = make_engine(loaded)
    communes.load(engine, write_communes(tmp_path / "more.geojson", {
        "59003": ("Cc", SQUARE_C)}))
    engine.dispose()
    assert _names(client.get("/api/communes")) == ["Aa", "Bb", "Cc"]


def test_etag_304_and_cache_control(app):
    client = app.test_client()
    first = client.get("/communes", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/communes")
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.data) == plain.data
    etag = first.headers["ETag"]
    assert etag != plain.headers["ETag"]  # one strong validator per representation
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/communes", headers={"If-None-Match": etag,
                                                 "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get("/communes", headers={"If-None-Match": '"not-it"'})
    assert other.status_code == 200 and other.data == plain.data
    page = client.get("/communes")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=60"
    assert page.headers["ETag"] == client.get("/communes").headers["ETag"]
    assert client.get("/communes", headers={"If-None-Match": page.headers["ETag"]}
                      ).status_code == 304
    sign_in(client, "planner")
    signed = client.get("/communes")
    assert signed.status_code == 200 and signed.headers["Cache-Control"] == "no-store"
    assert "ETag" not in signed.headers and "test-planner" in signed.get_data(as_text=True)


def test_cached_page_allows_its_inline_scripts_by_hash_not_a_shared_nonce(app):
    client = app.test_client()
    first, second = client.get("/"), client.get("/")
    assert first.data == second.data
    policy = second.headers["Content-Security-Policy"]
    assert "nonce-" not in policy and "'sha256-" in policy
    assert b' nonce="' not in second.data


def test_keyed_by_language(app):
    french = app.test_client().get("/communes").get_data(as_text=True)
    english = app.test_client().get("/communes?lang=en").get_data(as_text=True)
    assert 'lang="fr"' in french and 'lang="en"' in english
    assert app.test_client().get("/communes").get_data(as_text=True) == french
    assert app.test_client().get("/communes", headers={"Accept-Language": "en"}
                                 ).get_data(as_text=True) == english


def test_keyed_by_permission_set(app):
    anonymous, planner = app.test_client(), app.test_client()
    sign_in(planner, "planner")
    before = _entries(app)
    assert anonymous.get("/communes.csv").status_code == 200
    after_anonymous = _entries(app)
    assert anonymous.get("/communes.csv").status_code == 200
    assert _entries(app) == after_anonymous  # the same set: served from the entry
    assert planner.get("/communes.csv").status_code == 200
    # The planner's set differs from the public one: entries of its own (one per encoding).
    after_planner = _entries(app)
    assert after_anonymous > before and after_planner > after_anonymous
    assert planner.get("/communes.csv").status_code == 200
    assert _entries(app) == after_planner


def test_parameters_are_validated_before_anything_is_stored(app):
    client = app.test_client()
    client.get("/")
    before = _entries(app)
    for junk in ("bogus", "x" * 300, "status2"):
        response = client.get("/", query_string={"indicator": junk})
        assert response.status_code == 400
    assert client.get("/api/communes?colour=red").status_code == 400
    assert _entries(app) == before
    # Junk the page ignores (sort falls back to insee) shares the default's entry.
    client.get("/communes")
    with_table = _entries(app)
    assert client.get("/communes?sort=' OR 1=1").status_code == 200
    assert client.get("/communes?unused=1").status_code == 200
    assert _entries(app) == with_table > before


def test_reports_are_served_from_cache_and_audited_per_download(app, monkeypatch):
    import reports

    built = []
    original = reports.council_report
    monkeypatch.setattr(reports, "council_report",
                        lambda *a, **k: built.append(a[1]) or original(*a, **k))
    client = app.test_client()
    path = "/council.xlsx?as_of=2021-07-01"
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert built == [dt.date(2021, 7, 1)]
    with session_scope(app.extensions["rollout_engine"]) as session:
        events = audit.list_events(session, action="report")
    assert len(events) == 2 and events["target"].nunique() == 1


def test_anonymous_generation_is_rate_limited_cached_documents_are_not(app):
    client = app.test_client()
    assert client.get("/council.xlsx?as_of=2021-07-01").status_code == 200
    assert client.get("/council.xlsx?as_of=2021-07-02").status_code == 200
    refused = client.get("/council.xlsx?as_of=2021-07-03")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert "Réessayez" in refused.get_data(as_text=True)
    assert client.get("/council.xlsx?as_of=2021-07-01").status_code == 200  # from the cache
    signed = app.test_client()
    sign_in(signed, "viewer")
    assert signed.get("/council.xlsx?as_of=2021-07-03").status_code == 200


def test_while_a_new_version_is_computed_the_previous_one_is_served(app, loaded, tmp_path):
    engine = app.extensions["rollout_engine"]
    calls = []
    with app.test_request_context():
        with session_scope(engine) as session:
            assert cache.snapshot(session, ("t",), lambda: calls.append(1) or "v1") == "v1"
        communes.load(engine, write_communes(tmp_path / "n.geojson", {
            "59003": ("Cc", SQUARE_C)}))
        with session_scope(engine) as session:
            version = cache.data_version(session)
            name = cache.key_of("lock", version, ("t",))
            lock = Path(app.config["CACHE_FOLDER"]) / f"{name}.lock"
            lock.touch()  # another process is computing the new version
            assert cache.snapshot(session, ("t",), lambda: "v2") == "v1"
            assert g.served_stale is True
            lock.unlink()
            assert cache.snapshot(session, ("t",), lambda: "v2") == "v2"
            assert cache.snapshot(session, ("t",), lambda: "v3") == "v2"
    assert calls == [1]


def test_a_cli_import_computes_the_snapshot_before_the_first_visit(app, loaded, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("ROLLOUT_WARM_CACHE", "1")
    monkeypatch.setenv("ROLLOUT_PUBLIC_MODE", "1")
    monkeypatch.setenv("ROLLOUT_CACHE_DIR", app.config["CACHE_FOLDER"])
    path = write_communes(tmp_path / "d.geojson", {"59004": ("Dd", SQUARE_C)})
    result = CliRunner().invoke(main, ["--database", loaded, "import", "communes", str(path)])
    assert result.exit_code == 0, result.output

    def no_work(*args, **kwargs):
        raise AssertionError("the first visitor computed the snapshot")

    monkeypatch.setattr(data.indicators, "latest_figures", no_work)
    monkeypatch.setattr(data.queries, "communes", no_work)
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and "Dd" in page.get_data(as_text=True)
    assert client.get("/api/communes").status_code == 200
