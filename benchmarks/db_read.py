"""Benchmark: reading progress out of SpatiaLite for the engine, against the driver's own fetch.

    python benchmarks/db_read.py [--rows 1000000] [--out DIR]

The engine assesses 5 M national observations in about 1 s (benchmarks/assess.py); in the
application they first come out of the database through :func:`rollout.queries.progress`
(SQLAlchemy rows, then a frame, then the current revision of each observation). This
measures that read on a SpatiaLite database of ``--rows`` ARCEP-shaped progress rows (built
once in ``DIR``, untimed: 4 operators x quarterly dates per commune, one import batch), against
the floor of any row-by-row read in the same run: the DBAPI cursor's ``fetchall`` of the same
columns. Both must return every row. Ends with
``progress_read_seconds=<s> raw_fetch_seconds=<s> ratio=<read / fetch>``.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="folder for the database (kept)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="rollout-db-read-"))
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"db-read-{args.rows}.sqlite"
    if not path.exists():
        start = time.perf_counter()
        build(path, args.rows)
        print(f"built {path} ({args.rows:,} rows) in {time.perf_counter() - start:.0f} s")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        start = time.perf_counter()
        cursor.execute(f"SELECT {COLUMNS} FROM ftth_progress")
        fetched = len(cursor.fetchall())
        raw_seconds = time.perf_counter() - start
    print(f"DBAPI fetchall: {fetched:,} rows in {raw_seconds:.1f} s")
    with session_scope(engine) as session:
        start = time.perf_counter()
        frame = queries.progress(session)
        read_seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rollout.queries.progress: {len(frame):,} rows in {read_seconds:.1f} s "
          f"(peak RSS of the process {peak:,.0f} MB)")
    if len(frame) != fetched or fetched != args.rows:
        raise SystemExit("the two reads disagree on the number of rows")
    print(f"progress_read_seconds={read_seconds:.1f} raw_fetch_seconds={raw_seconds:.1f} "
          f"ratio={read_seconds / raw_seconds:.1f}")


if __name__ == "__main__":
    main()
