"""``rollout backup`` / ``rollout restore`` round trips on SpatiaLite and PostGIS.

Figures worked by hand from the ARCEP files written below: 59001 has 1000 premises and
800, 900, 950, 980 connectable in T3 2020..T2 2021; the later file adds T3 2021 = 1000.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.indicators import latest_figures
from rollout.models import AuditEvent
from tests.builders import SQUARE_A, SQUARE_B, write_arcep_2020, write_communes
from tests.test_reliability import (
    ROWS,
    _wait_until_batch_started,
    start_import,
    table_counts,
    write_big_ipe,
)

QUARTERS = ["T3 2020", "T4 2020", "T1 2021", "T2 2021"]


def cli(url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--database", url, *args], input=stdin)


def figures(url: str) -> dict[str, tuple]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        frame = latest_figures(session)
    engine.dispose()
    return {r.insee: (int(r.connectable), int(r.premises), r.observed_on.isoformat())
            for r in frame.itertuples()}


def users(url: str) -> list[tuple[str, str]]:
    listed = json.loads(cli(url, "users", "list", "--format", "json").output)
    return [(u["username"], u["role"]) for u in listed]


@pytest.fixture
def loaded(db_url, tmp_path) -> str:
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                      "59002": ("Bb", SQUARE_B)})
    arcep = write_arcep_2020(
        tmp_path / "obs.csv", "T2 2021", {"59001": 1000, "59002": 1000}, QUARTERS,
        {"59001": [800, 900, 950, 980], "59002": [400, 500, 700, 900]},
    )
    assert cli(db_url, "import", "communes", str(communes)).exit_code == 0
    assert cli(db_url, "import", "arcep", str(arcep)).exit_code == 0
    added = cli(db_url, "users", "add", "lea", "--role", "legal", "--password-stdin",
                stdin="long password\n")
    assert added.exit_code == 0, added.output
    return db_url


def test_round_trip_restores_the_backed_up_data(loaded, tmp_path):
    backup_file = tmp_path / "saved.backup"
    made = cli(loaded, "backup", str(backup_file))
    assert made.exit_code == 0, made.output
    saved = table_counts(loaded)
    assert figures(loaded) == {"59001": (980, 1000, "2021-06-30"),
                               "59002": (900, 1000, "2021-06-30")}

    later = write_arcep_2020(tmp_path / "obs2.csv", "T3 2021", {"59001": 1000, "59002": 1000},
                             [*QUARTERS, "T3 2021"],
                             {"59001": [800, 900, 950, 980, 1000],
                              "59002": [400, 500, 700, 900, 950]})
    assert cli(loaded, "import", "arcep", str(later)).exit_code == 0
    assert cli(loaded, "users", "set-role", "lea", "viewer").exit_code == 0
    changed = table_counts(loaded)
    assert changed["ftth_progress"] > saved["ftth_progress"]
    assert figures(loaded)["59001"] == (1000, 1000, "2021-09-30")

    refused = cli(loaded, "restore", str(backup_file))
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert table_counts(loaded) == changed

    restored = cli(loaded, "restore", str(backup_file), "--force")
    assert restored.exit_code == 0, restored.output
    after = table_counts(loaded)
    # The copy predates its own "backup" event; the restore appends a "restore" event.
    assert after == saved
    assert figures(loaded) == {"59001": (980, 1000, "2021-06-30"),
                               "59002": (900, 1000, "2021-06-30")}
    assert users(loaded) == [("lea", "legal")]
    last = json.loads(cli(loaded, "audit", "--format", "json", "--limit", "1").output)[0]
    assert (last["action"], last["target"], last["details"]["forced"]) == (
        "restore", "saved.backup", True)


def test_restore_into_an_empty_database_needs_no_force(loaded, empty_db_url, tmp_path):
    backup_file = tmp_path / "saved.backup"
    assert cli(loaded, "backup", str(backup_file)).exit_code == 0
    saved = table_counts(loaded)
    result = cli(empty_db_url, "restore", str(backup_file))
    assert result.exit_code == 0, result.output
    assert table_counts(empty_db_url) == saved  # minus the "backup" event, plus "restore"
    assert figures(empty_db_url)["59002"] == (900, 1000, "2021-06-30")


def test_backup_refuses_to_overwrite_a_file(loaded, tmp_path):
    existing = tmp_path / "keep.backup"
    existing.write_bytes(b"precious")
    result = cli(loaded, "backup", str(existing))
    assert result.exit_code == 2
    assert existing.read_bytes() == b"precious"
    assert cli(loaded, "backup", str(existing), "--force").exit_code == 0
    assert existing.read_bytes() != b"precious"


def _foreign_backup(backend: str, tmp_path: Path) -> Path:
    """A backup file of the other backend."""
    if backend == "postgis":
        path = tmp_path / "other.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.commit()
        connection.close()
        return path
    path = tmp_path / "other.dump"
    path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    return path


@pytest.mark.parametrize("kind", ["random", "other_backend", "missing", "plain_sqlite"])
def test_restore_refuses_what_is_not_a_backup(loaded, tmp_path, backend, kind):
    if kind == "random":
        source = tmp_path / "random.bin"
        source.write_bytes(os.urandom(4096))
    elif kind == "other_backend":
        source = _foreign_backup(backend, tmp_path)
    elif kind == "plain_sqlite":
        source = tmp_path / "plain.sqlite"
        sqlite3.connect(source).execute("CREATE TABLE t (x)").connection.commit()
    else:
        source = tmp_path / "missing.backup"
    before = table_counts(loaded)
    result = cli(loaded, "restore", str(source), "--force")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("refusé : ")
    assert "Traceback" not in result.output
    assert table_counts(loaded) == before


def test_backup_during_an_import_holds_all_or_nothing_of_it(loaded, empty_db_url, tmp_path,
                                                           backend):
    big = write_big_ipe(tmp_path / "ipe_FRTE_20240115.csv")
    sqlite_file = None
    if backend == "spatialite":
        engine = make_engine(loaded)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        sqlite_file = Path(engine.url.database)
        engine.dispose()
    process = start_import(loaded, big)
    try:
        _wait_until_batch_started(loaded, process, sqlite_file)
        made = cli(loaded, "backup", str(tmp_path / "mid.backup"))
        assert made.exit_code == 0, made.output
        # The copy did not wait for the import to end. Its audit event waits at most 2 s for
        # SQLite's one writer: either it is recorded, or the user is told it could not be.
        assert process.poll() is None
        told = "journal d'audit" in made.output
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    engine = make_engine(loaded)
    with session_scope(engine) as session:
        recorded = session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "backup"))
    engine.dispose()
    assert recorded == (0 if told else 1)
    if backend == "postgis":
        assert not told  # PostgreSQL writers wait for rows, not for the whole database
    assert cli(empty_db_url, "restore", str(tmp_path / "mid.backup")).exit_code == 0
    assert table_counts(empty_db_url)["premises_point"] in {0, ROWS}
    if backend == "spatialite":
        connection = sqlite3.connect(tmp_path / "mid.backup")
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
