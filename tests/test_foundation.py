"""Foundation, end to end through the CLI, on SpatiaLite and PostGIS.

Expected figures come from the real ARCEP T1 2018 files as read by eye: Lille (59350)
``Locaux Raccordables`` = 58498 / 59275 / 59696 for T3 2017 / T4 2017 / T1 2018, and
Logements + Établissements = 133 879 + 8 180 = 142 059.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import (
    Commune,
    CommuneBoundary,
    CommuneOperators,
    FtthProgress,
    ImportBatch,
    ImportError_,
    PremisesCount,
)

REAL = Path(__file__).parent.parent / "rollout" / "demo_data" / "real"
COMMUNES = REAL / "mel_communes.geojson"
INFO = REAL / "arcep_obs_2018t1_communes_info_dep59.csv"
FTTH = REAL / "arcep_obs_2018t1_ftth_communes_dep59.csv"


def run(url: str, *args: str):
    result = CliRunner().invoke(main, ["--database", url, *args], catch_exceptions=False)
    return result


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        out = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Commune, CommuneBoundary, PremisesCount, CommuneOperators,
                          FtthProgress)
        }
    engine.dispose()
    return out


def lille_progress(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.execute(
            select(FtthProgress.observed_on, FtthProgress.connectable)
            .where(FtthProgress.insee == "59350")
        ).all()
    engine.dispose()
    return {d.isoformat(): c for d, c in rows}


def test_init_creates_schema_and_is_idempotent(empty_db_url):
    first = run(empty_db_url, "init")
    assert first.exit_code == 0, first.output
    assert "vide" in first.output
    second = run(empty_db_url, "init")
    assert second.exit_code == 0, second.output
    assert "déjà à jour" in second.output


def test_real_files_give_lille_figures(db_url):
    assert run(db_url, "import", "communes", str(COMMUNES)).exit_code == 0
    info = run(db_url, "import", "arcep", str(INFO))
    assert info.exit_code == 0, info.output
    # 648 communes in département 59, 95 in the MEL: 553 skipped and counted.
    assert "648 lignes lues, 95 chargées, 553 ignorées" in info.output
    assert run(db_url, "import", "arcep", str(FTTH)).exit_code == 0
    assert lille_progress(db_url) == {
        "2017-09-30": 58498, "2017-12-31": 59275, "2018-03-31": 59696,
    }
    listed = json.loads(run(db_url, "communes", "--format", "json").output)
    lille = next(c for c in listed if c["insee"] == "59350")
    assert lille["premises"] == 142059
    assert lille["premises_method"] == "insee"
    assert lille["connectable"] == 59696
    assert lille["observed_on"] == "2018-03-31"
    assert lille["connectable_share"] == pytest.approx(59696 / 142059, abs=1e-4)
    assert len(listed) == 95
    assert all(len(c["insee"]) == 5 for c in listed)


def test_reimporting_same_file_changes_nothing(db_url):
    run(db_url, "import", "communes", str(COMMUNES))
    run(db_url, "import", "arcep", str(FTTH))
    before = counts(db_url)
    again = run(db_url, "import", "arcep", str(FTTH))
    assert again.exit_code == 0
    assert "déjà importé" in again.output
    again = run(db_url, "import", "communes", str(COMMUNES))
    assert "déjà importé" in again.output
    assert counts(db_url) == before


def test_new_boundary_file_records_a_version(db_url, tmp_path):
    run(db_url, "import", "communes", str(COMMUNES))
    data = json.loads(COMMUNES.read_text(encoding="utf-8"))
    lille = next(f for f in data["features"] if f["properties"]["code_insee"] == "59350")
    ring = lille["geometry"]["coordinates"][0]
    ring[1] = [ring[1][0] + 0.001, ring[1][1]]  # move one vertex ~70 m east
    changed = tmp_path / "communes_2026.geojson"
    changed.write_text(json.dumps(data), encoding="utf-8")
    result = run(db_url, "import", "communes", str(changed))
    assert result.exit_code == 0, result.output
    assert "95 lignes lues, 1 chargées, 94 inchangées" in result.output
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        versions = session.scalars(
            select(CommuneBoundary.version).where(CommuneBoundary.insee == "59350")
            .order_by(CommuneBoundary.version)
        ).all()
        current = session.get(Commune, "59350").boundary_version
    engine.dispose()
    assert versions == [1, 2]
    assert current == 2


def test_rejected_file_changes_no_data_and_names_the_cell(db_url, tmp_path):
    run(db_url, "import", "communes", str(COMMUNES))
    lines = FTTH.read_text(encoding="utf-8").splitlines()
    # Line 686 of the real file is Lille's "Locaux Raccordables" row: spoil its T4 2017 cell.
    assert lines[685].startswith("59350,Locaux Raccordables")
    lines[685] = "59350,Locaux Raccordables,58498,beaucoup,59696"
    bad = tmp_path / "ftth_bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts(db_url)
    result = CliRunner().invoke(main, ["--database", db_url, "import", "arcep", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "ftth_bad.csv:686" in result.output
    assert "T4 2017" in result.output
    assert "beaucoup" in result.output
    assert counts(db_url) == before
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        batch = session.scalars(
            select(ImportBatch).where(ImportBatch.status == "rejected")
        ).one()
        errors = session.scalars(
            select(ImportError_).where(ImportError_.batch_id == batch.id)
        ).all()
    engine.dispose()
    assert [(e.row, e.value) for e in errors] == [(686, "beaucoup")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ""),
        (b"Titre\n\n\n\nFoo,Bar\n1,2\n", "Code commune"),
        (b"Code commune,Autre chose\n59350,12\n", ""),
    ],
    ids=["empty", "binary", "no-header", "unknown-layout"],
)
def test_bad_arcep_files_are_refused_cleanly(db_url, tmp_path, content, expected):
    run(db_url, "import", "communes", str(COMMUNES))  # else: "import the communes first"
    path = tmp_path / "arcep.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["--database", db_url, "import", "arcep", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "arcep.csv" in result.output
    assert expected.lower() in result.output.lower()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.zip", b"PK\x03\x04 not really a zip"),
        ("garbage.geojson", b"{ this is not json"),
        ("empty.geojson", b'{"type":"FeatureCollection","features":[]}'),
    ],
)
def test_bad_commune_files_are_refused_cleanly(db_url, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["--database", db_url, "import", "communes", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert name in result.output
    assert counts(db_url)["commune"] == 0


def test_unknown_insee_in_commune_file_is_refused(db_url, tmp_path):
    data = json.loads(COMMUNES.read_text(encoding="utf-8"))
    data["features"][3]["properties"]["code_insee"] = "LILLE"
    path = tmp_path / "bad_codes.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["--database", db_url, "import", "communes", str(path)])
    assert result.exit_code == 2
    assert "bad_codes.geojson:4" in result.output
    assert "LILLE" in result.output
    assert counts(db_url)["commune"] == 0


def test_imports_history_lists_batches(db_url):
    run(db_url, "import", "communes", str(COMMUNES))
    run(db_url, "import", "arcep", str(INFO))
    history = json.loads(run(db_url, "imports", "--format", "json").output)
    assert [h["file_name"] for h in history] == [INFO.name, COMMUNES.name]
    assert history[0]["rows_read"] == 648
    assert history[0]["rows_skipped"] == 553
    assert len(history[0]["sha256"]) == 64
    table = run(db_url, "imports").output
    assert INFO.name in table and "importé" in table
