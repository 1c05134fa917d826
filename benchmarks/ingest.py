"""Benchmark: streamed per-building aggregation vs DuckDB and naive pandas, same file, same run.

    python benchmarks/ingest.py --rows 10000000 [--out DIR] [--skip-naive]

Generates (once per ``--rows``, in ``DIR`` or a temp folder) the national building file of
benchmarks/make_national.py: ARCEP format, 35,000 communes, 3 % of rows without INSEE code.
Each contender runs in its own child process so that its peak RSS is its own:

- rollout: ``rollout.scale.aggregate_buildings`` (Arrow streaming reader, every value checked
  with the canonical rules, point-in-polygon join of the rows without INSEE, totals per
  commune x operator) — what ``rollout import premises --no-points`` computes;
- DuckDB: ``read_csv`` + ``GROUP BY`` of the same totals (size class -> premises in a CASE),
  no validation, no spatial join: the practical limit on this machine;
- naive pandas: ``read_csv`` of the whole file (all columns, as text) + ``groupby``.

Ends with ``ingest_vs_duckdb=<rollout rows/s over DuckDB rows/s> peak_rss_mb=<rollout's>``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_national import BUILDING_FILE, generate  # noqa: E402

_DUCKDB_SQL = """
SELECT code_insee, code_l331,
       sum(p) AS premises_total,
       sum(CASE WHEN imb_etat = 'deploye' THEN p ELSE 0 END) AS connectable,
       sum(CASE WHEN imb_etat IN ('raccordable demande', 'rad en cours deploiement')
                THEN p ELSE 0 END) AS rad,
       sum(CASE WHEN imb_etat = 'abandonne' THEN p ELSE 0 END) AS abandoned,
       count(*) AS buildings
FROM (SELECT code_insee, code_l331, imb_etat,
             CASE catg_loc_imb WHEN 'individuel' THEN 1 WHEN 'entre 2 et 11' THEN 2
                  WHEN 'entre 12 et 100' THEN 12 WHEN 'plus de 100' THEN 101 ELSE 1 END AS p
      FROM read_csv(?, header = true, types = {'code_insee': 'VARCHAR'}))
GROUP BY ALL
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_rollout(folder: Path) -> dict:
    """The rollout path, communes read from the generated GeoJSON."""
    import numpy as np
    import shapely

    from geodata.communes import read_communes
    from rollout.scale import aggregate_buildings
    from rollout.spatial import CommuneLocator

    class FileLocator(CommuneLocator):
        """CommuneLocator over a commune file instead of the database."""

        def __init__(self, path: Path) -> None:
            frame = read_communes(path).frame
            self.codes = frame["insee"].to_numpy(dtype=object)
            self.known = set(self.codes)
            self.tree = shapely.STRtree(np.asarray(frame.geometry.to_numpy()))

    locator = FileLocator(folder / "communes.geojson")
    start = time.perf_counter()
    totals = aggregate_buildings(folder / BUILDING_FILE, locator)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": totals.rows_read, "engine": totals.engine,
            "located": totals.located, "outside": totals.outside,
            "premises": int(totals.summary["premises_total"].sum()), "peak_mb": _peak_mb()}


def run_duckdb(folder: Path) -> dict:
    import duckdb

    start = time.perf_counter()
    rows = duckdb.connect().execute(_DUCKDB_SQL, [str(folder / BUILDING_FILE)]).fetchall()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": sum(r[-1] for r in rows),
            "premises": sum(r[2] for r in rows), "peak_mb": _peak_mb()}


def run_naive(folder: Path) -> dict:
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(folder / BUILDING_FILE, dtype=str)
    sizes = {"individuel": 1, "entre 2 et 11": 2, "entre 12 et 100": 12, "plus de 100": 101}
    frame["p"] = frame["catg_loc_imb"].map(sizes).fillna(1).astype("int64")
    grouped = frame.groupby(["code_insee", "code_l331", "imb_etat"], dropna=False)["p"].sum()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(frame), "premises": int(grouped.sum()),
            "peak_mb": _peak_mb()}


def _child(name: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, str(folder)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, help="folder for the generated data (kept)")
    parser.add_argument("--skip-naive", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = {"rollout": run_rollout, "duckdb": run_duckdb, "naive": run_naive}
        print(json.dumps(runner[args.child[0]](Path(args.child[1]))))
        return
    base = args.out or Path(tempfile.mkdtemp(prefix="rollout-ingest-"))
    folder = base / f"national-{args.rows}"
    if not (folder / BUILDING_FILE).exists():
        generate(folder, rows=args.rows, parts=("communes", "buildings"))
    size_mb = (folder / BUILDING_FILE).stat().st_size / 1e6
    print(f"file: {folder / BUILDING_FILE} ({size_mb:,.0f} MB, {args.rows:,} rows)")
    results = {name: _child(name, folder)
               for name in ("rollout", "duckdb", *(() if args.skip_naive else ("naive",)))}
    for name, r in results.items():
        print(f"{name:8} {r['seconds']:7.1f} s {r['rows'] / r['seconds']:>12,.0f} rows/s "
              f"peak RSS {r['peak_mb']:7,.0f} MB  premises {r['premises']:,}")
    ours, duck = results["rollout"], results["duckdb"]
    print(f"rollout engine={ours['engine']} located={ours['located']:,} "
          f"outside={ours['outside']:,} (rows without INSEE placed by point in polygon)")
    if "naive" in results:
        print(f"rollout_vs_naive={results['naive']['seconds'] / ours['seconds']:.2f}")
    print(f"ingest_vs_duckdb={duck['seconds'] / ours['seconds']:.2f} "
          f"peak_rss_mb={ours['peak_mb']:.0f}")


if __name__ == "__main__":
    main()
