"""Benchmark: vectorised assessment of national milestones against a per-milestone Python loop.

    python benchmarks/assess.py [--communes 35000] [--sample 3000] [--out DIR]

Generates (once, in ``DIR`` or a temp folder) the communes, premises counts, quarterly progress
(T1 2017 - T1 2026, 4 operators per commune) and commitments of benchmarks/make_national.py:
35,000 communes x 4 operators x 4 milestones = 560,000 milestones, 5.2 M observations.
Times ``rollout.assessment.assess`` on all of them as of 31 March 2026 -- the first call of
the process (the headline: fresh memory included), then the same inputs with the progress
keys as text rather than categoricals, then the median of three more calls, then one call with
the blocks of communes in a single thread and one without blocks (same result required) -- then
a plain Python loop (series pre-grouped in a dict, then one milestone at a time: value at the
due date, first later observation reaching the target, least-squares trend) over a random
sample of ``--sample`` milestones, extrapolated to all of them; the loop's statuses must match
the engine's on the sample. Ends with ``assess_seconds=<s> speedup_vs_loop=<ratio>``.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.make_national import generate  # noqa: E402
from rollout.assessment import TREND_POINTS, assess  # noqa: E402
from rollout.assessment import _blocks as blocks  # noqa: E402

AS_OF = dt.date(2026, 3, 31)


def load_inputs(folder: Path) -> dict[str, pd.DataFrame]:
    """Frames in assess()'s input form, read from the generated CSV files.

    The 5 M progress rows carry their repeated keys (35,000 INSEE codes, 4 operators) as
    pandas categoricals, the usual in-memory form of such columns (``read_csv`` with
    ``dtype="category"``, a dictionary-encoded Parquet or Arrow column).
    """
    text = {"insee": str, "commune_insee": str, "operator_code": str}
    keys = {"insee": "category", "operator_code": "category"}
    progress = pd.read_csv(folder / "progress.csv", dtype=keys, parse_dates=["observed_on"])
    counts = pd.read_csv(folder / "premises_counts.csv", dtype=text, parse_dates=["as_of"])
    commitments = pd.read_csv(folder / "commitments.csv", dtype=text,
                              parse_dates=["due_on"])
    perimeter = commitments["metric"] == "perimeter"
    milestones = commitments[~perimeter].rename(columns={"commune_insee": "insee"})
    milestones = milestones.assign(
        milestone_id=np.arange(len(milestones)),
        target=milestones["target"].astype(float), rad_cap=milestones["rad_cap"].astype(float),
    )[["milestone_id", "agreement_id", "operator_code", "insee", "metric", "target", "due_on",
       "rad_cap"]].reset_index(drop=True)
    perimeters = commitments[perimeter].rename(columns={"commune_insee": "insee"})
    return {"milestones": milestones, "perimeters": perimeters[["agreement_id", "insee"]],
            "progress": progress, "premises_counts": counts}


def loop_status(milestone, series: list, counts: tuple[list, list], as_of: int) -> str:
    """One commune milestone on its operator's own series, rule by rule (DESIGN.md)."""
    days, values = counts

    def premises(day: int) -> float:
        at = bisect.bisect_right(days, day) - 1
        return values[max(at, 0)]

    def state(obs) -> tuple[bool, bool]:
        den = premises(obs[0])
        cap_ok = math.isnan(milestone.rad_cap) or obs[2] / den <= milestone.rad_cap
        return _value(milestone, obs, den) >= milestone.target, cap_ok

    due = milestone.due_day
    seen = [o for o in series if o[0] <= as_of]
    if due <= as_of:
        before = [o for o in seen if o[0] <= due]
        if not before:
            return "no_data"
        reach, cap_ok = state(before[-1])
        if reach and cap_ok:
            return "met"
        later = (o for o in seen if o[0] > due)
        return "met_late" if any(all(state(o)) for o in later) else "missed"
    if not seen:
        return "no_data"
    reach, cap_ok = state(seen[-1])
    if reach:
        return "on_track" if cap_ok else "at_risk"
    last = seen[-TREND_POINTS:]
    if len(last) < 2:
        return "no_data"
    xs = [o[0] - as_of for o in last]
    ys = [_value(milestone, o, premises(o[0])) for o in last]
    xm, ym = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = (sum((x - xm) * (y - ym) for x, y in zip(xs, ys, strict=True))
             / sum((x - xm) ** 2 for x in xs))
    if slope <= 1e-12:
        return "at_risk"
    day = max(as_of + math.ceil(xm + (milestone.target - ym) / slope - 1e-9), as_of + 1)
    return "at_risk" if day > due else "on_track"


def _value(milestone, obs, den: float) -> float:
    _, connectable, rad = obs
    num = connectable + rad if milestone.metric == "ftth_connectable_or_rad_share" else connectable
    return num / den if milestone.metric.endswith("_share") else num


def run_loop(inputs: dict[str, pd.DataFrame], sample: np.ndarray, as_of: int):
    """Pre-group the series once, then evaluate the sampled milestones one by one."""
    start = time.perf_counter()
    progress = inputs["progress"].sort_values("observed_on")
    day = progress["observed_on"].to_numpy().astype("datetime64[D]").astype(np.int64)
    series: dict[tuple, list] = {}
    for key, t, c, r in zip(zip(progress["insee"], progress["operator_code"], strict=True),
                            day, progress["connectable"], progress["rad"], strict=True):
        series.setdefault(key, []).append((int(t), int(c), int(r)))
    pc = inputs["premises_counts"].sort_values(["insee", "as_of"])
    counts: dict[str, tuple[list, list]] = {}
    pc_day = pc["as_of"].to_numpy().astype("datetime64[D]").astype(np.int64)
    for insee, t, n in zip(pc["insee"], pc_day, pc["premises"], strict=True):
        entry = counts.setdefault(insee, ([], []))
        entry[0].append(int(t))
        entry[1].append(float(n))
    grouping = time.perf_counter() - start
    chosen = inputs["milestones"].iloc[sample].assign(
        due_day=lambda f: f["due_on"].to_numpy().astype("datetime64[D]").astype(np.int64))
    start = time.perf_counter()
    statuses = [loop_status(m, series.get((m.insee, m.operator_code), []), counts[m.insee], as_of)
                for m in chosen.itertuples(index=False)]
    return grouping, time.perf_counter() - start, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--sample", type=int, default=3_000, help="milestones run in the loop")
    parser.add_argument("--out", type=Path, help="folder for the generated data (kept)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="rollout-assess-"))
    folder = base / f"national-{args.communes}-communes"
    if not (folder / "commitments.csv").exists():
        generate(folder, communes=args.communes, rows=0,
                 parts=("premises_counts", "progress", "commitments"))
    inputs = load_inputs(folder)
    n = len(inputs["milestones"])
    print(f"{n:,} milestones, {len(inputs['progress']):,} observations, "
          f"{len(inputs['premises_counts']):,} premises counts, as of {AS_OF}")
    start = time.perf_counter()
    result = assess(**inputs, as_of=AS_OF)
    seconds = time.perf_counter() - start
    print(f"assess(), first call: {seconds:.2f} s for {n:,} milestones ({n / seconds:,.0f} /s); "
          "statuses " + ", ".join(f"{k} {v:,}" for k, v in result["status"].value_counts().items()))
    text = inputs["progress"].astype({"insee": "str", "operator_code": "str"})
    start = time.perf_counter()
    same = assess(**{**inputs, "progress": text}, as_of=AS_OF)
    print(f"assess(), progress keys as text: {time.perf_counter() - start:.2f} s")
    del text
    pd.testing.assert_frame_equal(same, result)
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        assess(**inputs, as_of=AS_OF)
        warm.append(time.perf_counter() - start)
    print(f"assess(), three more calls: {' '.join(f'{w:.2f}' for w in warm)} s "
          f"(median {np.median(warm):.2f} s)")
    for label, settings in (("blocks in one thread", {"WORKERS": 1}),
                            ("one pass over every row", {"BLOCK_ROWS": 1 << 62})):
        saved = {name: getattr(blocks, name) for name in settings}
        for name, value in settings.items():
            setattr(blocks, name, value)
        start = time.perf_counter()
        alike = assess(**inputs, as_of=AS_OF)
        print(f"assess(), {label} (a later call): {time.perf_counter() - start:.2f} s")
        for name, value in saved.items():
            setattr(blocks, name, value)
        pd.testing.assert_frame_equal(alike, result)
    del alike
    sample = np.sort(np.random.default_rng(8).choice(n, size=min(args.sample, n), replace=False))
    as_of = int(np.datetime64(AS_OF, "D").astype(np.int64))
    grouping, loop_seconds, statuses = run_loop(inputs, sample, as_of)
    agree = float(np.mean(np.array(statuses) == result["status"].to_numpy()[sample]))
    loop_total = grouping + loop_seconds * n / len(sample)
    print(f"Python loop: series grouped in {grouping:.1f} s, {len(sample):,} milestones in "
          f"{loop_seconds:.2f} s -> {loop_total:.0f} s extrapolated to {n:,}; "
          f"statuses agree with assess() on {agree:.1%} of the sample")
    if agree < 1:
        raise SystemExit("the loop and assess() disagree: see the statuses above")
    print(f"assess_seconds={seconds:.2f} speedup_vs_loop={loop_total / seconds:.1f}")


if __name__ == "__main__":
    main()
