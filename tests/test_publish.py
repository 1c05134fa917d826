"""The open-data package (issue 17.1) on both backends: files, Frictionless, DCAT-AP, exclusions.

Expected values are read back from the package's own CSV files with the csv module (dates,
communes, synthetic rows) and from the database, never from the code that wrote them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from frictionless import validate
from sqlalchemy import func, select

from rollout import accounts
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import PublicWork
from rollout.open_data_schema import TABLES
from tests.test_feeds import loaded  # noqa: F401  (fixture: communes and the works file)
from webmap import create_app

AS_OF = "2026-09-30"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
LICENCE = rdflib.URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")


def _publish(url: str, folder: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["--database", url, "publish", str(folder), "--as-of",
                                       AS_OF, "--base-url", "https://data.example.org/mel/",
                                       *extra])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def package(demo_url, tmp_path_factory) -> Path:
    return _publish(demo_url, tmp_path_factory.mktemp("open-data") / "out")


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_table_is_a_csv_with_its_columns_and_the_spatial_ones_geojson_and_gpkg(package):
    for spec in TABLES:
        with open(package / f"{spec.name}.csv", encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == [f.name for f in spec.fields]
        if spec.spatial:
            doc = json.loads((package / f"{spec.name}.geojson").read_text("utf-8"))
            assert doc["type"] == "FeatureCollection"
            assert len(doc["features"]) == len(_rows(package / f"{spec.name}.csv"))
    assert len(_rows(package / "communes.csv")) == 95
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(package / "rollout-open-data.gpkg")}
    assert layers == {"communes", "works", "radio_sites"}
    assert not (package / "gaps_5g.geojson").exists()  # restricted: not without the flag
    lille = [r for r in _rows(package / "commune_figures.csv")
             if r["insee"] == "59350" and r["observed_on"] == "2018-03-31"]
    assert lille[0]["connectable"] == "59696"  # ARCEP T1 2018, the real file


def test_datapackage_validates_with_frictionless_and_catches_a_broken_foreign_key(package):
    report = validate(package / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]
    descriptor = json.loads((package / "datapackage.json").read_text("utf-8"))
    figures = next(r for r in descriptor["resources"] if r["name"] == "commune_figures")
    assert figures["schema"]["primaryKey"] == ["insee", "observed_on"]
    assert {"fields": "insee", "reference": {"resource": "communes", "fields": "insee"}} in \
        figures["schema"]["foreignKeys"]
    # One commune code changed to one that is not in communes.csv: the package is invalid.
    path = package / "commune_figures.csv"
    original = path.read_text("utf-8")
    try:
        path.write_text(original.replace("\n59350,", "\n99999,", 1), encoding="utf-8")
        del figures["hash"], figures["bytes"]
        broken = package / "broken.json"
        broken.write_text(json.dumps(descriptor), encoding="utf-8")
        errors = validate(broken).flatten(["type"])
        assert ["foreign-key"] in errors
    finally:
        path.write_text(original, encoding="utf-8")
        (package / "broken.json").unlink(missing_ok=True)


def test_dcat_catalogue_parses_and_matches_the_data(package):
    graph = rdflib.Graph().parse(package / "catalog.jsonld", format="json-ld")
    catalog = next(graph.subjects(rdflib.RDF.type, DCAT.Catalog))
    datasets = set(graph.objects(catalog, DCAT.dataset))
    assert len(datasets) == len(TABLES)
    for dataset in datasets:
        titles = {t.language for t in graph.objects(dataset, DCT.title)}
        assert titles == {"fr", "en"}
        assert {d.language for d in graph.objects(dataset, DCT.description)} == {"fr", "en"}
        assert graph.value(dataset, DCT.license) == LICENCE
        assert str(graph.value(dataset, DCT.modified)) == AS_OF
        assert graph.value(dataset, DCT.publisher) is not None
        for dist in graph.objects(dataset, DCAT.distribution):
            url = str(graph.value(dist, DCAT.downloadURL))
            assert url.startswith("https://data.example.org/mel/")
            name = url.rsplit("/", 1)[1]
            assert (package / name).is_file()
            media = str(graph.value(dist, DCAT.mediaType))
            assert media.endswith({".csv": "text/csv", ".geojson": "application/geo+json",
                                   ".gpkg": "application/geopackage+sqlite3"}[
                                       Path(name).suffix])
    figures = graph.value(predicate=DCT.identifier, object=rdflib.Literal("commune_figures"))
    rows = _rows(package / "commune_figures.csv")
    temporal = graph.value(figures, DCT.temporal)
    assert str(graph.value(temporal, DCAT.startDate)) == min(r["observed_on"] for r in rows)
    assert str(graph.value(temporal, DCAT.endDate)) == max(r["observed_on"] for r in rows)
    codes = {str(graph.value(s, DCT.identifier)) for s in graph.objects(figures, DCT.spatial)}
    assert codes == {r["insee"] for r in rows}
    assert len(codes) == 95
    # Synthetic batches are flagged: a dataset has the keyword exactly when its CSV has rows.
    for spec in TABLES:
        dataset = graph.value(predicate=DCT.identifier, object=rdflib.Literal(spec.name))
        keywords = {str(k) for k in graph.objects(dataset, DCAT.keyword)}
        flagged = any(r.get("synthetic") == "true" for r in _rows(package / f"{spec.name}.csv"))
        assert ("données synthétiques" in keywords) is flagged, spec.name
    assert any(r["synthetic"] == "false" for r in rows)  # real ARCEP 2017-2018 rows
    assert any(r["synthetic"] == "true" for r in rows)


def test_restricted_layers_only_with_the_flag(demo_url, tmp_path):
    out = _publish(demo_url, tmp_path / "out", "--include-restricted")
    doc = json.loads((out / "gaps_5g.geojson").read_text("utf-8"))
    assert doc["features"]
    graph = rdflib.Graph().parse(out / "catalog.jsonld", format="json-ld")
    assert graph.value(predicate=DCT.identifier, object=rdflib.Literal("gaps_5g")) is not None


def test_accounts_audit_and_unpublishable_works_stay_out(loaded, tmp_path):  # noqa: F811
    url, _ = loaded
    engine = make_engine(url)
    with session_scope(engine) as session:
        accounts.add_user(session, "juriste.secrete", "correct horse battery staple", "legal")
        publishable = session.scalar(select(func.count()).where(PublicWork.publishable))
    engine.dispose()
    out = _publish(url, tmp_path / "out")
    works = _rows(out / "works.csv")
    assert sorted(w["source_id"] for w in works) == ["W1", "W3", "W4", "W5", "W6"]
    assert len(works) == publishable
    for path in out.iterdir():
        text = path.read_bytes()
        assert b"juriste.secrete" not in text and b"Enedis" not in text, path.name
        assert b"password" not in text and b"pbkdf2" not in text, path.name


def test_web_catalogue_and_files_when_enabled(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "t",
                      "PUBLIC_MODE": True, "OPEN_DATA": True})
    client = app.test_client()
    response = client.get("/catalog.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    graph = rdflib.Graph().parse(data=response.data, format="json-ld")
    urls = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
    assert "http://localhost/open-data/commune_figures.csv" in urls
    assert client.get("/open-data/commune_figures.csv").status_code == 200
    assert client.get("/open-data/").get_json()["name"] == "rollout-open-data"
    assert client.get("/open-data/..%2Frollout.sqlite").status_code == 404
    app.config["OPEN_DATA"] = False
    assert client.get("/catalog.jsonld").status_code == 404
    app.extensions["rollout_engine"].dispose()
