""""As known at" a date (issue 17.3) on both backends: status, reports, web and bundles.

Two ARCEP files, each with 1,000 premises in 59001 and 59002: the first (journaled as loaded
on 2021-01-10) has Q1-Q2 2020, connectable 800/900 and 400/500; the second (loaded
2021-06-01) Q3-Q4 2020, 950/980 and 700/900. Orange's perimeter milestone, 99 % due
2021-01-15, assessed on 2021-07-01:
- known at 2021-03-01 (first file only): latest value (900 + 500) / 2,000 = 0.70, missed,
  ceil(0.99 x 2,000) - 1,400 = 580 premises short;
- everything: (980 + 900) / 2,000 = 0.94, missed, 100 short.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import ImportBatch
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)
from tests.web_login import sign_in
from webmap import create_app


def cli(url, *args):
    result = CliRunner().invoke(main, ["--database", url, *args])
    return result


@pytest.fixture
def known(db_url, tmp_path):
    files = [
        ("communes", write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                             "59002": ("Bb", SQUARE_B)})),
        ("arcep", write_arcep_2020(tmp_path / "obs1.csv", "T2 2020",
                                   {"59001": 1000, "59002": 1000}, ["T1 2020", "T2 2020"],
                                   {"59001": [800, 900], "59002": [400, 500]})),
        ("commitments", write_commitments(tmp_path / "engagements.csv", [
            agreement(commune_insee="59001", metric="perimeter"),
            agreement(commune_insee="59002", metric="perimeter"),
            agreement(metric="ftth_connectable_share", target="99 %", due_on="2021-01-15")])),
        ("arcep", write_arcep_2020(tmp_path / "obs2.csv", "T4 2020",
                                   {"59001": 1000, "59002": 1000}, ["T3 2020", "T4 2020"],
                                   {"59001": [950, 980], "59002": [700, 900]})),
    ]
    for kind, path in files:
        assert cli(db_url, "import", kind, str(path)).exit_code == 0
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.execute(update(ImportBatch).values(finished_at=dt.datetime(2021, 1, 10, 9)))
        session.execute(update(ImportBatch).where(ImportBatch.file_name == "obs2.csv")
                        .values(finished_at=dt.datetime(2021, 6, 1, 9)))
    engine.dispose()
    return db_url


def _perimeter(url, *extra):
    result = cli(url, "status", "--as-of", "2021-07-01", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return next(r for r in json.loads(result.output) if r["commune_insee"] is None)


def test_status_counts_only_batches_known_at_the_date(known):
    then = _perimeter(known, "--known-at", "2021-03-01")
    assert (then["status"], then["observed_on"], then["shortfall_premises"]) == (
        "missed", "2020-06-30", 580)
    assert then["value_at_due"] == pytest.approx(0.70)
    now = _perimeter(known)
    assert (now["observed_on"], now["shortfall_premises"]) == ("2020-12-31", 100)
    # The day a batch was loaded counts (end of day, UTC).
    assert _perimeter(known, "--known-at", "2021-06-01")["shortfall_premises"] == 100
    assert _perimeter(known, "--known-at", "2021-05-31")["shortfall_premises"] == 580
    bad = cli(known, "status", "--known-at", "hier")
    assert bad.exit_code == 2 and "--known-at" in bad.output


def _csv_row(payload: bytes) -> dict:
    rows = csv.DictReader(io.StringIO(payload.decode("utf-8")))
    return next(r for r in rows if r["scope"] == "perimeter")


def test_reports_as_known_at_say_so_on_the_cover(known, tmp_path):
    for kind, args in (("operator-delay", ["--operator", "FRTE"]), ("council", []),
                       ("commune", ["59001"])):
        fmt = {"operator-delay": "html", "council": "xlsx", "commune": "html"}[kind]
        out = tmp_path / f"{kind}.{fmt}"
        result = cli(known, "report", kind, *args, "--as-of", "2021-07-01", "--format", fmt,
                     "--output", str(out), "--known-at", "2021-03-01")
        assert result.exit_code == 0, result.output
        if fmt == "html":
            text = out.read_text("utf-8")
        else:
            from openpyxl import load_workbook

            sheets = load_workbook(out).worksheets
            text = " ".join(str(c.value) for ws in sheets for row in ws.iter_rows()
                            for c in row if c.value is not None)
        assert "Données connues au" in text, kind
    csv_out = tmp_path / "r.csv"
    assert cli(known, "report", "operator-delay", "--operator", "FRTE", "--as-of", "2021-07-01",
               "--format", "csv", "--output", str(csv_out), "--known-at",
               "2021-03-01").exit_code == 0
    assert _csv_row(csv_out.read_bytes())["shortfall_premises"] == "580"


def test_bundle_as_known_at_holds_only_known_sources_and_verifies(known, tmp_path):
    out = tmp_path / "b.zip"
    assert cli(known, "report", "operator-delay", "--operator", "FRTE", "--as-of", "2021-07-01",
               "--bundle", str(out), "--known-at", "2021-03-01").exit_code == 0
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    names = [i["file_name"] for i in manifest["files"] if i["role"] == "source"]
    assert names == ["c.geojson", "obs1.csv", "engagements.csv"]
    assert manifest["parameters"]["known_at"] == "2021-03-01"
    result = CliRunner().invoke(main, ["verify", str(out)])
    assert result.exit_code == 0, result.output


def test_web_known_at_is_for_legal_staff(known):
    app = create_app({"DATABASE_URL": known, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    sign_in(client, "viewer")
    assert client.get("/council.xlsx?as_of=2021-07-01").status_code == 200
    assert client.get("/council.xlsx?as_of=2021-07-01&known_at=2021-03-01").status_code == 403
    sign_in(client, "legal")
    url = "/operators/FRTE/delay-report.csv?as_of=2021-07-01"
    assert _csv_row(client.get(url).data)["shortfall_premises"] == "100"
    assert _csv_row(client.get(url + "&known_at=2021-03-01").data)["shortfall_premises"] == "580"
    assert client.get(url + "&known_at=2021-02-30").status_code == 400
    app.extensions["rollout_engine"].dispose()
