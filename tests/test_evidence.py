"""Evidence store and bundles (issue 17.3) on both backends: a genuine bundle verifies; one
changed byte in a source, one changed figure in the CSV or a removed file fails, named.

Data: two communes of 1,000 premises, connectable
59001 800/900/950/980 and 59002 400/500/700/900 at the ends of Q1-Q4 2020; Orange's
perimeter milestone 99 % due 2021-01-15 is ``missed`` on 2021-07-01, with
ceil(0.99 x 2,000) - (980 + 900) = 100 premises short.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollout.cli import main
from rollout.importing import file_sha256
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)

QUARTERS = ["T1 2020", "T2 2020", "T3 2020", "T4 2020"]
CSV_NAME = "report/retard-FRTE-2021-07-01.csv"


def cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *args])


@pytest.fixture
def bundle(db_url, tmp_path) -> Path:
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                      "59002": ("Bb", SQUARE_B)})
    arcep = write_arcep_2020(
        tmp_path / "obs.csv", "T4 2020", {"59001": 1000, "59002": 1000}, QUARTERS,
        {"59001": [800, 900, 950, 980], "59002": [400, 500, 700, 900]})
    commitments = write_commitments(tmp_path / "engagements.csv", [
        agreement(commune_insee="59001", metric="perimeter"),
        agreement(commune_insee="59002", metric="perimeter"),
        agreement(metric="ftth_connectable_share", target="99 %", due_on="2021-01-15"),
    ])
    for kind, path in (("communes", communes), ("arcep", arcep), ("commitments", commitments)):
        result = cli(db_url, "import", kind, str(path))
        assert result.exit_code == 0, result.output
    out = tmp_path / "dossier.zip"
    result = cli(db_url, "report", "operator-delay", "--operator", "FRTE", "--as-of",
                 "2021-07-01", "--bundle", str(out))
    assert result.exit_code == 0, result.output
    return out


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path: Path, members: dict[str, bytes], *, fix_manifest: bool = False) -> Path:
    """Write ``members`` back; with ``fix_manifest`` the hashes are made to match (a forger)."""
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        for item in manifest["files"]:
            if item["path"] in members:
                item["sha256"] = hashlib.sha256(members[item["path"]]).hexdigest()
                item["size"] = len(members[item["path"]])
        members["manifest.json"] = json.dumps(manifest).encode()
    out = path.with_name("forged.zip")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def test_bundle_holds_report_sources_manifest_and_readme(bundle):
    members = _members(bundle)
    manifest = json.loads(members["manifest.json"])
    assert {i["path"] for i in manifest["files"]} == set(members) - {"manifest.json"}
    assert {p.rsplit(".", 1)[1] for p in members if p.startswith("report/")} == {
        "pdf", "xlsx", "csv"}
    sources = [i for i in manifest["files"] if i["role"] == "source"]
    assert [(i["kind"], i["file_name"]) for i in sources] == [
        ("communes", "c.geojson"), ("arcep", "obs.csv"), ("commitments", "engagements.csv")]
    for item in manifest["files"]:
        assert hashlib.sha256(members[item["path"]]).hexdigest() == item["sha256"]
        assert len(members[item["path"]]) == item["size"]
    assert manifest["report"]["as_of"] == "2021-07-01"
    assert manifest["software"]["version"]
    assert any("dénominateur" in text for text in manifest["method"])
    rows = list(csv.DictReader(io.StringIO(members[CSV_NAME].decode())))
    perimeter = next(r for r in rows if r["scope"] == "perimeter")
    assert (perimeter["status"], perimeter["shortfall_premises"]) == ("missed", "100")
    figure = next(f for f in manifest["figures"] if f["scope"] == "perimeter")
    assert figure["milestone_file"] == "engagements.csv"
    assert figure["milestone_source_row"] == perimeter["milestone_source_row"]
    assert "rollout verify" in members["LISEZMOI.txt"].decode()


def test_genuine_bundle_verifies(bundle):
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "3 sources réimportées" in result.output
    assert "dossier conforme" in result.output


def test_one_changed_byte_in_a_source_is_named(bundle):
    members = _members(bundle)
    data = bytearray(members["sources/2/obs.csv"])
    data[data.index(b"980")] = ord("7")  # 980 -> 780 connectable premises
    members["sources/2/obs.csv"] = bytes(data)
    result = CliRunner().invoke(main, ["verify", str(_rewrite(bundle, members))])
    assert result.exit_code == 1
    assert "sources/2/obs.csv: sha256" in result.output
    # A forger who also fixes the manifest is caught by the recomputation instead.
    forged = _rewrite(bundle, members, fix_manifest=True)
    result = CliRunner().invoke(main, ["verify", str(forged)])
    assert result.exit_code == 1
    assert f"{CSV_NAME}: row" in result.output


def test_one_changed_figure_in_the_csv_is_named(bundle):
    members = _members(bundle)
    text = members[CSV_NAME].decode()
    members[CSV_NAME] = text.replace(",100,", ",99,", 1).encode()
    assert members[CSV_NAME] != text.encode()
    result = CliRunner().invoke(main, ["verify", str(_rewrite(bundle, members))])
    assert result.exit_code == 1 and f"{CSV_NAME}: size 1" in result.output
    result = CliRunner().invoke(main, ["verify", str(_rewrite(bundle, members,
                                                               fix_manifest=True))])
    assert result.exit_code == 1
    assert "column shortfall_premises: the bundle says '99'" in result.output


def test_a_removed_file_is_named(bundle):
    members = _members(bundle)
    del members["sources/3/engagements.csv"]
    result = CliRunner().invoke(main, ["verify", str(_rewrite(bundle, members))])
    assert result.exit_code == 1
    assert "sources/3/engagements.csv: missing from the bundle" in result.output


def test_imports_keep_the_file_next_to_a_spatialite_database(tmp_path, monkeypatch,
                                                             spatialite_template):
    import shutil

    monkeypatch.delenv("ROLLOUT_EVIDENCE_STORE")
    db = tmp_path / "db" / "rollout.sqlite"
    db.parent.mkdir()
    shutil.copy(spatialite_template, db)
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A)})
    assert cli(f"sqlite:///{db}", "import", "communes", str(communes)).exit_code == 0
    sha = file_sha256(communes)
    kept = db.parent / "evidence" / sha[:2] / sha
    assert kept.read_bytes() == communes.read_bytes()


def test_legal_staff_download_a_bundle_that_verifies(bundle, db_url, tmp_path):
    from tests.web_login import sign_in
    from webmap import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t"})
    client = app.test_client()
    sign_in(client, "planner")
    assert client.get("/operators/FRTE/evidence-bundle.zip").status_code == 403
    sign_in(client, "legal")
    response = client.get("/operators/FRTE/evidence-bundle.zip?as_of=2021-07-01")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    app.extensions["rollout_engine"].dispose()
    downloaded = tmp_path / "web.zip"
    downloaded.write_bytes(response.data)
    assert _members(downloaded)[CSV_NAME] == _members(bundle)[CSV_NAME]
    result = CliRunner().invoke(main, ["verify", str(downloaded)])
    assert result.exit_code == 0, result.output
