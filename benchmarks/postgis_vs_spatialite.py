"""Benchmark: the premises import on PostGIS (COPY + SQL spatial join) against SpatiaLite.

    python benchmarks/postgis_vs_spatialite.py [--rows 500000] [--communes 2000] [--out DIR]
                                               [--postgis-url postgresql+psycopg://...]

Generates (once, in ``DIR`` or a temp folder) a national-format dataset of ``--communes``
communes and ``--rows`` ARCEP buildings (3 % without INSEE code), then imports the same building
file, points kept, into fresh databases in the same run:

- SpatiaLite: driver-level executemany, point-in-polygon join in Python (STRtree), totals
  with pandas (the embedded default);
- PostGIS, row inserts: the same path on PostgreSQL (``bulk_load=False``);
- PostGIS, push-down: COPY of every point, ``UPDATE ... ST_Within`` for the rows without
  INSEE, outsiders deleted and the per commune x operator totals by ``GROUP BY`` in SQL.

The communes are loaded before the clock starts. A throwaway PostgreSQL cluster is started
(tests/postgis_cluster.py) unless ``--postgis-url`` names an admin URL. The three imports must
store the same progress rows. Ends with
``postgis_copy_vs_spatialite=<ratio> postgis_copy_vs_row_inserts=<ratio>`` (speed-ups).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from benchmarks.make_national import BUILDING_FILE, generate  # noqa: E402
from rollout.db import make_engine  # noqa: E402
from rollout.importers import communes, premises  # noqa: E402
from rollout.migrate import upgrade  # noqa: E402


def timed_import(url: str, folder: Path, *, bulk_load: bool = True) -> tuple[float, list, dict]:
    """Fresh schema, communes, then the timed building import; (seconds, progress, summary)."""
    engine = make_engine(url)
    upgrade(engine)
    communes.load(engine, folder / "communes.geojson")
    start = time.perf_counter()
    outcome = premises.load(engine, folder / BUILDING_FILE, bulk_load=bulk_load)
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT insee, coalesce(operator_code, ''), connectable, rad, premises_total "
            "FROM ftth_progress")).all()
        points = conn.execute(text("SELECT count(*) FROM premises_point")).scalar_one()
    engine.dispose()
    return seconds, sorted(tuple(r) for r in rows), {**outcome.summary, "points": points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--communes", type=int, default=2_000)
    parser.add_argument("--out", type=Path, help="folder for the generated data (kept)")
    parser.add_argument("--postgis-url", help="admin URL of a PostGIS server to use")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="rollout-postgis-"))
    folder = base / f"national-{args.communes}-{args.rows}"
    if not (folder / BUILDING_FILE).exists():
        generate(folder, communes=args.communes, rows=args.rows,
                 parts=("communes", "buildings"))
    print(f"{args.rows:,} buildings, {args.communes:,} communes ({folder})")
    cluster = None
    if args.postgis_url is None:
        from tests.postgis_cluster import start_cluster

        cluster = start_cluster()
    try:
        results = {"SpatiaLite (executemany, STRtree join)":
                   timed_import(f"sqlite:///{base / 'bench.sqlite'}", folder)}
        (base / "bench.sqlite").unlink()
        for name, bulk_load in (("PostGIS (executemany, STRtree join)", False),
                                ("PostGIS (COPY, SQL join and totals)", True)):
            if cluster is not None:
                url = cluster.create_database(f"bench_{int(bulk_load)}")
            else:
                url = args.postgis_url.rsplit("/", 1)[0] + f"/bench_{int(bulk_load)}"
                _create_database(args.postgis_url, f"bench_{int(bulk_load)}")
            results[name] = timed_import(url, folder, bulk_load=bulk_load)
    finally:
        if cluster is not None:
            cluster.stop()
    for name, (seconds, _, summary) in results.items():
        print(f"{name:40} {seconds:7.1f} s {args.rows / seconds:>10,.0f} rows/s  "
              f"points {summary['points']:,}, located {summary['located_by_spatial_join']:,}, "
              f"progress rows {summary['observations_stored']:,}")
    progress = [rows for _, rows, _ in results.values()]
    if any(rows != progress[0] for rows in progress):
        raise SystemExit("the three imports stored different progress rows")
    print("same progress rows on the three paths: yes")
    lite, rows, copy = (seconds for seconds, _, _ in results.values())
    print(f"postgis_copy_vs_spatialite={lite / copy:.2f} "
          f"postgis_copy_vs_row_inserts={rows / copy:.2f}")


def _create_database(admin_url: str, name: str) -> None:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(plain.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


if __name__ == "__main__":
    main()
