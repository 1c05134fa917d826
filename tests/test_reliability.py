"""Imports under load and under SIGKILL, on SpatiaLite and PostGIS.

The premises file is a faithful IPE extract (``;``, decimal comma, WGS84, INSEE given) of
``ROWS`` buildings alternating between two communes, every third one ``CIBLE`` (not
connectable). Worked by hand: 59001 gets the even rows, 59002 the odd ones; one progress
row per commune (operator FRTE), so a loaded batch holds ``ROWS`` points and 2 progress rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from rollout.cli import main
from rollout.db import is_sqlite, make_engine, session_scope
from rollout.indicators import latest_figures
from rollout.models import Base, FtthProgress, PremisesPoint
from tests.builders import SQUARE_A, SQUARE_B, write_communes

ROOT = Path(__file__).resolve().parent.parent
ROWS = 60_000
MAX_READ_SECONDS = 2.0


def write_big_ipe(path: Path, rows: int = ROWS) -> Path:
    """IPE buildings on a grid inside SQUARE_A (even rows, 59001) and SQUARE_B (odd, 59002)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
                 "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI\n")
        for i in range(rows):
            even = i % 2 == 0
            lon = 3.001 + (i % 1000) * 0.000012 + (0 if even else 0.014)
            lat = 50.601 + (i // 1000) * 0.0001
            status = "CIBLE" if i % 3 == 0 else "DEPLOYE"
            fh.write(f"IMB/{i:09d};{'59001' if even else '59002'};{1 + i % 5};{status};WGS84;"
                     f"{lon:.6f};{lat:.6f};FRTE\n".replace(".", ","))
    return path


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def table_counts(url: str) -> dict[str, int]:
    """Rows in every rollout table (the whole observable state of the data)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        counts = {name: session.scalar(select(func.count()).select_from(table))
                  for name, table in Base.metadata.tables.items()}
    engine.dispose()
    return counts


@pytest.fixture
def with_communes(db_url, tmp_path) -> str:
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    assert cli(db_url, "import", "communes", str(path)).exit_code == 0
    return db_url


@pytest.fixture(scope="module")
def big_ipe(tmp_path_factory) -> Path:
    return write_big_ipe(tmp_path_factory.mktemp("ipe") / "ipe_FRTE_20240115.csv")


def start_import(url: str, path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rollout.cli", "--database", url, "import", "premises",
         str(path), "--chunksize", "2000"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_readers_neither_wait_nor_see_half_a_batch(with_communes, big_ipe):
    engine = make_engine(with_communes)
    seen: list[tuple[float, int, int, int, bool]] = []
    stop = threading.Event()
    process = start_import(with_communes, big_ipe)

    def read_loop() -> None:
        while not stop.is_set():
            running = process.poll() is None
            started = time.perf_counter()
            with session_scope(engine) as session:
                figures = latest_figures(session)
                points = session.scalar(select(func.count()).select_from(PremisesPoint))
                progress = session.scalar(select(func.count()).select_from(FtthProgress))
            seen.append((time.perf_counter() - started, points, progress, len(figures), running))
            stop.wait(0.05)  # leave the (shared) CPU to the import between reads

    readers = [threading.Thread(target=read_loop) for _ in range(2)]
    begun = time.perf_counter()
    for reader in readers:
        reader.start()
    try:
        assert process.wait(timeout=300) == 0, process.stderr.read().decode()
        elapsed = time.perf_counter() - begun
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    with session_scope(engine) as session:
        final = latest_figures(session).set_index("insee")
    engine.dispose()
    during = [s for s in seen if s[4]]
    assert len(during) >= 5, f"only {len(during)} reads while the import ran"
    # A reader blocked by the import would wait for its commit, i.e. most of the import's
    # run; on a loaded machine an unblocked read may still take a few seconds of CPU.
    assert max(s[0] for s in seen) < max(MAX_READ_SECONDS, elapsed / 3)
    assert {(s[1], s[2]) for s in seen} <= {(0, 0), (ROWS, 2)}
    assert {s[3] for s in seen} == {2}
    # By hand: i in [0, ROWS) with i % 3 != 0 is DEPLOYE; premises 1 + i % 5.
    connectable_a = sum(1 + i % 5 for i in range(0, ROWS, 2) if i % 3)
    assert int(final.loc["59001", "connectable"]) == connectable_a


def _wait_until_batch_started(url: str, process: subprocess.Popen, database: Path | None) -> None:
    """Poll (no hook in the code under test) until the import's transaction has written."""
    deadline = time.monotonic() + 120
    engine = None if database else make_engine(url)
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the import ended before it could be killed"
            if database is not None:
                wal = database.with_name(database.name + "-wal")
                if wal.exists() and wal.stat().st_size > 2_000_000:
                    return
            else:
                with engine.connect() as connection:
                    busy = connection.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                        " AND now() - xact_start > interval '1 second'"
                    )).scalar()
                if busy:
                    return
            time.sleep(0.05)
    finally:
        if engine is not None:
            engine.dispose()
    raise AssertionError("the import never started writing")


def test_sigkill_mid_import_leaves_database_as_before(with_communes, big_ipe, backend):
    sqlite_file = None
    if backend == "spatialite":
        engine = make_engine(with_communes)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        sqlite_file = Path(make_engine(with_communes).url.database)
    before = table_counts(with_communes)
    process = start_import(with_communes, big_ipe)
    try:
        _wait_until_batch_started(with_communes, process, sqlite_file)
        assert process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert table_counts(with_communes) == before
    engine = make_engine(with_communes)
    if is_sqlite(engine):
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    again = cli(with_communes, "import", "premises", str(big_ipe))
    assert again.exit_code == 0, again.output
    after = table_counts(with_communes)
    assert after["premises_point"] == before["premises_point"] + ROWS
    assert after["import_batch"] == before["import_batch"] + 1


def test_one_session_reads_one_snapshot_while_another_commits(engine):
    # A page or report is built from several queries: an import committing between two of them
    # must not make them disagree (PostgreSQL's default, READ COMMITTED, would).
    from rollout import audit
    from rollout.models import AuditEvent

    count = select(func.count()).select_from(AuditEvent)
    with session_scope(engine) as reader:
        before = reader.scalar(count)
        with session_scope(engine) as writer:
            audit.record(writer, "login", "someone", None, None)
        assert reader.scalar(count) == before
    with session_scope(engine) as later:
        assert later.scalar(count) == before + 1
