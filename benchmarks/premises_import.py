"""Benchmark: streamed per-building import (IPE) against a naive whole-file pandas baseline.

    python benchmarks/premises_import.py --rows 1000000 [--points/--no-points] [--workdir DIR]

Writes a deterministic IPE file of ``--rows`` buildings spread over the 95 MEL communes
(``;``, decimal comma, Lambert-93, a third of the rows without INSEE code so the spatial join
runs), imports it into a fresh SpatiaLite database in a child process and reports rows/s
and the child's peak RSS; then, in the same run, times the naive baseline (``pandas.read_csv``
of the whole file + ``groupby``, no database) and prints the ratios.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
STATUSES = np.array(["DEPLOYE", "RACCORDABLE DEMANDE", "EN COURS DE DEPLOIEMENT", "CIBLE",
                     "SIGNE", "RAD EN COURS DE DEPLOIEMENT", "ABANDONNE"])


def write_ipe(path: Path, rows: int, seed: int = 8) -> None:
    """Points drawn inside MEL communes (pre-sampled pool, reused) in Lambert-93."""
    import geopandas as gpd
    import shapely

    communes = gpd.read_file(ROOT / "rollout/demo_data/real/mel_communes.geojson").to_crs(2154)
    rng = np.random.default_rng(seed)
    pool_x, pool_y, pool_insee = [], [], []
    for insee, geom in zip(communes["code_insee"], communes.geometry, strict=True):
        minx, miny, maxx, maxy = geom.bounds
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(400, 2))
        inside = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])][:200]
        pool_x.append(inside[:, 0])
        pool_y.append(inside[:, 1])
        pool_insee.append(np.full(len(inside), insee))
    px, py, pin = np.concatenate(pool_x), np.concatenate(pool_y), np.concatenate(pool_insee)
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
                 "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            pick = rng.integers(0, len(px), n)
            insee = pin[pick].astype(object)
            insee[rng.random(n) < 1 / 3] = ""
            frame = pd.DataFrame({
                "id": [f"IMB/{i:09d}" for i in range(start, start + n)],
                "insee": insee,
                "premises": rng.integers(1, 40, n),
                "status": STATUSES[rng.integers(0, len(STATUSES), n)],
                "proj": "RGF93",
                "x": _decimal_comma(px[pick] + rng.normal(0, 1, n)),
                "y": _decimal_comma(py[pick] + rng.normal(0, 1, n)),
                "oi": np.where(rng.random(n) < 0.7, "FRTE", "SFR0"),
            })
            frame.to_csv(fh, sep=";", header=False, index=False)


def _decimal_comma(values: np.ndarray) -> np.ndarray:
    return np.char.replace(values.round(2).astype(str), ".", ",")


def child_import(database: Path, path: Path, points: bool) -> None:
    """Run in a child process so its peak RSS is measured alone."""
    from rollout.db import make_engine
    from rollout.importers import communes, premises
    from rollout.migrate import upgrade

    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    communes.load(engine, ROOT / "rollout/demo_data/real/mel_communes.geojson")
    start = time.perf_counter()
    outcome = premises.load(engine, path, keep_points=points)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{outcome.rows_read} {outcome.rows_loaded} {elapsed:.3f} {peak:.1f}")


def naive_baseline(path: Path) -> tuple[float, float]:
    code = (
        "import pandas as pd, resource, sys, time; t=time.perf_counter();"
        "df=pd.read_csv(sys.argv[1], sep=';', dtype=str);"
        "df['n']=df['NombreLogementsAdresseIPE'].astype(int);"
        "df.groupby(['CodeInseeImmeuble','CodeOI','EtatImmeuble'])['n'].sum();"
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-points", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(Path(args.child[0]), Path(args.child[1]), args.child[2] == "1")
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rollout-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "ipe_bench_20240115.csv"
    if not path.exists():
        write_ipe(path, args.rows)
    database = workdir / "bench.sqlite"
    database.unlink(missing_ok=True)
    size_mb = path.stat().st_size / 1e6
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(database), str(path),
         "0" if args.no_points else "1"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    read, loaded, seconds, peak = int(out[0]), int(out[1]), float(out[2]), float(out[3])
    naive_seconds, naive_peak = naive_baseline(path)
    print(f"file: {size_mb:.0f} MB, {read} rows ({loaded} inside MEL communes)")
    print(f"rollout import (points={'no' if args.no_points else 'yes'}): {seconds:.1f} s, "
          f"{read / seconds:,.0f} rows/s, peak RSS {peak:.0f} MB")
    print(f"naive pandas read_csv+groupby (no database, no geometry): {naive_seconds:.1f} s, "
          f"{read / naive_seconds:,.0f} rows/s, peak RSS {naive_peak:.0f} MB")
    print(f"time_vs_naive={seconds / naive_seconds:.2f} peak_rss_vs_naive={peak / naive_peak:.2f}")


if __name__ == "__main__":
    main()
