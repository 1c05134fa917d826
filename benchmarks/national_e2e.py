"""Benchmark: the national pipeline through the real CLI, each command its own process.

    python benchmarks/national_e2e.py --out DIR [--communes 35000] [--as-of 2026-06-30]
                                      [--postgis ADMIN_URL | --postgis auto]

Builds the national dataset in ``DIR`` with benchmarks/make_national.py (once; keep ``DIR``
outside the repository): 35,000 communes, the L.33-13-shaped commitments of 4 operators over
every commune (4 milestones per commune and operator), and the quarterly progress as a national
user receives it, two ARCEP observatory publications (T4 2020, T1 2026: one connectable column
per quarter from T4 2017, the later one revising 1 % of the figures). Loads them into a fresh
SpatiaLite database in ``DIR`` (or a PostGIS database with ``--postgis``: an admin URL, or
``auto`` for a throwaway cluster) with ``rollout init`` and ``rollout import …``, then runs:
``rollout status --format json``, ``rollout communes --format json``, the operator-delay report
of the national FRTE agreement in CSV, XLSX and PDF, and the council summary in PDF and XLSX.

Each command is timed (wall clock) with its peak RSS (``wait4``'s ``ru_maxrss`` of that one
child). Outputs are kept in ``DIR/out-spatialite`` (``DIR/out-postgis``). Ends with
``national_status_seconds=<s> peak_rss_mb=<n>`` (the ``status`` command).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_national import generate  # noqa: E402

ROLLOUT = [sys.executable, "-m", "rollout.cli"]
OBSERVATORY = ("2020t4-obs-hd-thd-deploiement.csv", "2026t1-obs-hd-thd-deploiement.csv")


def run(label: str, args: list[str], output: Path | None = None) -> tuple[float, float]:
    """Run one CLI command; print and return (seconds, peak RSS in MB). Fails loudly."""
    start = time.perf_counter()
    with open(output or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*ROLLOUT, *args], stdout=out, stderr=err)
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN is the max over all children).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        errors = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed ({os.waitstatus_to_exitcode(status)}): {errors}")
    peak = usage.ru_maxrss / 1024
    size = f", {output.stat().st_size / 1e6:,.1f} MB out" if output else ""
    print(f"{label:<40} {seconds:8.1f} s  peak RSS {peak:7,.0f} MB  "
          f"(CPU {usage.ru_utime + usage.ru_stime:,.1f} s{size})", flush=True)
    return seconds, peak


def _database(args: argparse.Namespace) -> tuple[str, object]:
    if not args.postgis:
        path = args.out / "national.sqlite"
        for stale in [] if args.reuse else args.out.glob("national.sqlite*"):
            stale.unlink()
        return f"sqlite:///{path}", None
    import psycopg

    cluster = None
    admin = args.postgis
    if admin == "auto":
        from tests.postgis_cluster import start_cluster

        cluster = start_cluster()
        admin = cluster.url
    admin = admin.replace("postgresql+psycopg://", "postgresql://")
    url = admin.rpartition("/")[0] + "/rollout_national"
    if not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "rollout_national"')
            conn.execute('CREATE DATABASE "rollout_national"')
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url.replace("postgresql://", "postgresql+psycopg://"), cluster


def load(db: list[str], folder: Path) -> None:
    """The national files through ``rollout init`` and ``rollout import …``."""
    run("rollout init", [*db, "init"])
    run("import communes", [*db, "import", "communes", str(folder / "communes.geojson")])
    for name in OBSERVATORY:
        run(f"import arcep {name[:6]}", [*db, "import", "arcep", str(folder / name)])
    run("import commitments", [*db, "import", "commitments", str(folder / "commitments.csv")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder outside the repository")
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--postgis", help="PostGIS admin URL, or 'auto' (throwaway cluster)")
    parser.add_argument("--reuse", action="store_true",
                        help="time the commands on the database a previous run loaded")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not all((args.out / f).exists() for f in (*OBSERVATORY, "communes.geojson",
                                                 "commitments.csv")):
        start = time.perf_counter()
        generate(args.out, communes=args.communes, rows=0,
                 parts=("communes", "commitments", "observatory"))
        print(f"generated the national files in {time.perf_counter() - start:.0f} s")
    url, cluster = _database(args)
    results = args.out / ("out-postgis" if args.postgis else "out-spatialite")
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir()
    db = ["--database", url]
    day = ["--as-of", args.as_of]
    backend = "PostGIS" if args.postgis else "SpatiaLite"
    print(f"backend {backend}; {args.communes:,} communes; as of {args.as_of}")
    try:
        if not args.reuse:
            load(db, args.out)
        status = run("status --format json", [*db, "status", *day, "--format", "json"],
                     results / "status.json")
        run("communes --format json", [*db, "communes", *day, "--format", "json"],
            results / "communes.json")
        for fmt in ("csv", "xlsx", "pdf"):
            target = results / f"retard-FRTE.{fmt}"
            run(f"report operator-delay FRTE {fmt}",
                [*db, "report", "operator-delay", "--operator", "FRTE", *day, "--format", fmt,
                 "--output", str(target)])
        for fmt in ("pdf", "xlsx"):
            target = results / f"conseil.{fmt}"
            run(f"report council {fmt}",
                [*db, "report", "council", *day, "--format", fmt, "--output", str(target)])
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"national_status_seconds={status[0]:.1f} peak_rss_mb={status[1]:.0f}")


if __name__ == "__main__":
    main()
