"""Benchmark: time to produce each compliance report on the demo database (95 communes).

    python benchmarks/reports.py [--as-of 2023-01-01] [--workdir DIR] [--sheets N]

Builds the demo database in a temporary folder (SpatiaLite), then times, in the same run:
the baseline (``rollout.compliance.assessments`` alone, the engine every report starts from),
the operator-delay report of FRTE in each format, the commune sheet (PDF and HTML) for all 95
communes (or the first ``--sheets``) through the public API and through one shared snapshot,
and the council summary in PDF and XLSX. Prints seconds and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(function: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", default="2023-01-01")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--sheets", type=int, default=None, help="Commune sheets to time.")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)

    from reports import (
        commune_sheet,
        render_commune_sheet,
        render_council,
        render_operator_delay,
        render_pdf,
    )
    from reports import data as report_data
    from rollout import compliance, queries
    from rollout.db import make_engine, session_scope
    from rollout.demo import build_demo

    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.sqlite'}")
        seconds, _ = timed(lambda: list(build_demo(engine, inputs_folder=Path(folder) / "in")))
        print(f"demo database built in {seconds:.1f} s")
        rows: list[tuple[str, float, int]] = []
        with session_scope(engine) as session:
            base, _ = timed(lambda: compliance.assessments(session, as_of), repeat=3)
            rows.append(("baseline: compliance.assessments", base, 0))
            for fmt in ("csv", "xlsx", "html", "pdf"):
                seconds, payload = timed(
                    lambda f=fmt: render_operator_delay(session, "FRTE", as_of, f))
                rows.append((f"operator-delay FRTE .{fmt}", seconds, len(payload)))
            communes = list(queries.communes(session)["insee"])[: args.sheets]
            for fmt in ("pdf", "html"):
                seconds, payloads = timed(lambda f=fmt: [
                    render_commune_sheet(session, i, as_of, f) for i in communes])
                rows.append((f"commune sheet .{fmt} x {len(communes)} (public API)", seconds,
                             sum(len(p) for p in payloads)))
            snap_seconds, snapshot = timed(lambda: report_data.snapshot(session, as_of))
            seconds, payloads = timed(lambda: [
                render_pdf.render(commune_sheet.build_from(snapshot, session, i), compact=True)
                for i in communes])
            rows.append((f"commune sheet .pdf x {len(communes)} (one snapshot)",
                         seconds + snap_seconds, sum(len(p) for p in payloads)))
            for fmt in ("pdf", "xlsx"):
                seconds, payload = timed(lambda f=fmt: render_council(session, as_of, f))
                rows.append((f"council .{fmt}", seconds, len(payload)))
        engine.dispose()
    print(f"as of {as_of.isoformat()}, 95 communes (demo)")
    print(f"{'report':48} {'seconds':>8} {'x baseline':>11} {'bytes':>11}")
    for name, seconds, size in rows:
        print(f"{name:48} {seconds:8.2f} {seconds / base:11.1f} {size:11,}")


if __name__ == "__main__":
    main()
