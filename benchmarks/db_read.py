"""Benchmark: reading progress out of the database for the engine, against the driver's own fetch.

    python benchmarks/db_read.py [--rows 1000000] [--out DIR] [--postgis ADMIN_URL | --postgis auto]

The engine assesses 5 M national observations in about 1 s (benchmarks/assess.py); in the
application they first come out of the database through :func:`rollout.queries.progress`
(columns read by :mod:`rollout.columnar`, then the current revision of each observation).
This measures that read on a database of ``--rows`` ARCEP-shaped progress rows (built once,
untimed: 4 operators x quarterly dates per commune, one import batch; SpatiaLite in ``DIR``,
or a PostGIS database with ``--postgis``: an admin URL, or ``auto`` for a throwaway cluster),
against the floor of any row-by-row read in the same run: the DBAPI cursor's ``fetchall`` of
the same columns. The engine's variant (``for_engine=True``: categorical keys, datetime64
dates) is timed too. Every read must return every row. The peak RSS is the process's after
the rollout reads, before the raw fetch. Ends with
``progress_read_seconds=<s> raw_fetch_seconds=<s> ratio=<read / fetch> peak_rss_mb=<n>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fiona  # noqa: E402, F401  (GDAL before the first SpatiaLite connection)
import pyogrio  # noqa: E402, F401

from rollout import queries  # noqa: E402
from rollout.db import make_engine, session_scope  # noqa: E402
from rollout.migrate import upgrade  # noqa: E402

COLUMNS = ("insee, operator_code, observed_on, connectable, rad, premises_total, source, "
           "batch_id, source_row")
OPERATORS = ("FRTE", "SFR0", "COAG", "AXIO")


def build(path: Path, rows: int) -> None:
    """A database holding ``rows`` progress rows (quarterly dates from 2017, 4 operators)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    quarters = [dt.date(2017 + q // 4, 3 * (q % 4) + 1, 1) for q in range(37)]
    per_commune = len(OPERATORS) * len(quarters)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    # Progress rows only: the read does not join communes, so their foreign key is not needed.
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.execute(
        "INSERT INTO import_batch (id, kind, file_name, sha256, size_bytes, status, started_at, "
        "rows_read, rows_loaded, rows_skipped, rows_rejected, synthetic) VALUES "
        "(1, 'arcep', 'benchmark', '0', 0, 'loaded', '2026-01-01 00:00:00', 0, 0, 0, 0, 1)")

    def values():
        for i in range(rows):
            commune, rest = divmod(i, per_commune)
            operator, quarter = divmod(rest, len(quarters))
            yield (f"{1000 + commune:05d}", OPERATORS[operator], quarters[quarter].isoformat(),
                   10 * quarter, quarter, None, "arcep", 1, i + 2)

    cursor.executemany(
        "INSERT INTO ftth_progress (insee, operator_code, observed_on, connectable, rad, "
        "premises_total, source, batch_id, source_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values())
    raw.commit()
    raw.close()
    engine.dispose()


def build_postgis(url: str, rows: int) -> None:
    """The same rows as :func:`build`, loaded by COPY into a migrated PostGIS database."""
    import psycopg

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    quarters = [dt.date(2017 + q // 4, 3 * (q % 4) + 1, 1) for q in range(37)]
    per_commune = len(OPERATORS) * len(quarters)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET session_replication_role = replica")  # no commune rows: no FK check
        conn.execute(
            "INSERT INTO import_batch (id, kind, file_name, sha256, size_bytes, status, "
            "started_at, rows_read, rows_loaded, rows_skipped, rows_rejected, synthetic) VALUES "
            "(1, 'arcep', 'benchmark', '0', 0, 'loaded', '2026-01-01 00:00:00', 0, 0, 0, 0, true)")
        with conn.cursor().copy(
            "COPY ftth_progress (insee, operator_code, observed_on, connectable, rad, "
            "premises_total, source, batch_id, source_row) FROM STDIN"
        ) as copy:
            for i in range(rows):
                commune, rest = divmod(i, per_commune)
                operator, quarter = divmod(rest, len(quarters))
                copy.write_row((f"{1000 + commune:05d}", OPERATORS[operator], quarters[quarter],
                                10 * quarter, quarter, None, "arcep", 1, i + 2))


def _postgis_url(arg: str, rows: int):
    """(database URL, cluster to stop or None) for ``--postgis``."""
    import psycopg

    cluster = None
    if arg == "auto":
        from tests.postgis_cluster import start_cluster

        cluster = start_cluster()
        arg = cluster.url
    admin = arg.replace("postgresql+psycopg://", "postgresql://")
    name = f"db_read_{rows}"
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    if not found:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        start = time.perf_counter()
        build_postgis(url, rows)
        print(f"built PostGIS {name} ({rows:,} rows) in {time.perf_counter() - start:.0f} s")
    return url, cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="folder for the SpatiaLite database (kept)")
    parser.add_argument("--postgis", help="PostGIS admin URL, or 'auto' (throwaway cluster)")
    args = parser.parse_args()
    cluster = None
    if args.postgis:
        url, cluster = _postgis_url(args.postgis, args.rows)
    else:
        base = args.out or Path(tempfile.mkdtemp(prefix="rollout-db-read-"))
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"db-read-{args.rows}.sqlite"
        if not path.exists():
            start = time.perf_counter()
            build(path, args.rows)
            print(f"built {path} ({args.rows:,} rows) in {time.perf_counter() - start:.0f} s")
        url = f"sqlite:///{path}"
    try:
        measure(url, args.rows)
    finally:
        if cluster is not None:
            cluster.stop()


def measure(url: str, rows: int) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:  # the table read once, untimed: both reads find it cached
        connection.exec_driver_sql("SELECT count(*), sum(connectable) FROM ftth_progress").all()
    with session_scope(engine) as session:
        start = time.perf_counter()
        frame = queries.progress(session)
        read_seconds = time.perf_counter() - start
        read = len(frame)
        del frame
        start = time.perf_counter()
        coded = len(queries.progress(session, for_engine=True))
        engine_seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rollout.queries.progress: {read:,} rows in {read_seconds:.1f} s; for the engine "
          f"(categorical keys, datetime64 dates) {engine_seconds:.1f} s; "
          f"peak RSS of the process {peak:,.0f} MB")
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        start = time.perf_counter()
        cursor.execute(f"SELECT {COLUMNS} FROM ftth_progress")
        fetched = len(cursor.fetchall())
        raw_seconds = time.perf_counter() - start
    engine.dispose()
    print(f"DBAPI fetchall: {fetched:,} rows in {raw_seconds:.1f} s")
    if not read == coded == fetched == rows:
        raise SystemExit("the reads disagree on the number of rows")
    print(f"progress_read_seconds={read_seconds:.1f} raw_fetch_seconds={raw_seconds:.1f} "
          f"ratio={read_seconds / raw_seconds:.2f} engine_read_seconds={engine_seconds:.1f} "
          f"peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
