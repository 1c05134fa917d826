"""Evaluation by blocks of communes (rollout/assessment/_blocks.py) against one evaluation.

Above ``BLOCK_ROWS`` observations the engine evaluates commune milestones block by block of
communes, in worker threads, and whole-perimeter milestones once on every row. The national
benchmark is the only other place that path runs, so here a small national dataset is made
to hold every kind of input the blocks must carry -- perimeters, all-operator series, rows
without a commune, duplicate rows of an older import, 5G sites, coverage, nullable counts --
and the blocked result must be the one-pass result, column for column.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import rollout.assessment._blocks as blocks
from benchmarks.assess import load_inputs, run_loop
from benchmarks.make_national import generate
from rollout.assessment import assess, assess_with_breakdown

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assess-blocks")
    generate(folder, communes=60, rows=0, parts=("premises_counts", "progress", "commitments"))
    return load_inputs(folder)


@pytest.fixture(scope="module")
def everything(national):
    """The national inputs with every kind of row and milestone the engine knows."""
    rng = np.random.default_rng(11)
    progress = national["progress"].astype({"insee": str, "operator_code": str})
    progress["batch_id"] = 2
    communes = sorted(progress["insee"].unique())
    # Ten communes lose one operator's own series and get an all-operator series instead.
    lost = communes[::6]
    own = progress[~(progress["insee"].isin(lost) & (progress["operator_code"] == "SFR0"))]
    shared = progress[progress["insee"].isin(lost) & (progress["operator_code"] == "SFR0")]
    shared = shared.assign(operator_code=None, connectable=shared["connectable"] + 7)
    # Rows of an older import (outvoted), and rows without a commune (used by nobody).
    stale = own.sample(300, random_state=3).assign(batch_id=1, connectable=0)
    nowhere = own.sample(50, random_state=4).assign(insee=None)
    rows = pd.concat([stale, own, shared, nowhere], ignore_index=True)
    rows = rows.sample(frac=1, random_state=5).reset_index(drop=True)
    rows = rows.astype({"connectable": "Int64", "rad": "Int64", "batch_id": "Int64"})
    rows.loc[rng.choice(len(rows), 200, replace=False), "rad"] = pd.NA
    milestones = national["milestones"]
    agreements = sorted(milestones["agreement_id"].unique())[:2]
    extra = []
    for i, agreement in enumerate(agreements):
        op = milestones.loc[milestones["agreement_id"] == agreement, "operator_code"].iloc[0]
        for metric, target, due in (
            ("ftth_connectable_share", 0.8, "2024-12-31"),
            ("ftth_connectable_premises", 5_000.0, "2027-12-31"),
        ):
            extra.append({"agreement_id": agreement, "operator_code": op, "insee": None,
                          "metric": metric, "target": target, "due_on": pd.Timestamp(due),
                          "rad_cap": np.nan if i else 0.1})
    for insee in communes[::4]:
        extra.append({"agreement_id": agreements[0], "operator_code": "FRTE", "insee": insee,
                      "metric": "mobile_5g_sites", "target": 2.0,
                      "due_on": pd.Timestamp("2024-06-30"), "rad_cap": np.nan})
        extra.append({"agreement_id": agreements[0], "operator_code": "FRTE", "insee": insee,
                      "metric": "mobile_5g_premises_coverage_share", "target": 0.5,
                      "due_on": pd.Timestamp("2025-06-30"), "rad_cap": np.nan})
    extra = pd.DataFrame(extra)
    milestones = pd.concat([milestones, extra], ignore_index=True).assign(
        milestone_id=lambda f: np.arange(len(f)))
    sites = pd.DataFrame({
        "station_id": [f"S{i % 70}" for i in range(90)],  # some stations listed twice
        "operator_code": rng.choice(["FRTE", "SFR0"], 90),
        "insee": rng.choice(communes, 90),
        "has_5g": rng.random(90) < 0.9,
        "in_service_on": pd.Timestamp("2021-01-01")
        + pd.to_timedelta(rng.integers(0, 1800, 90), "D"),
    })
    days = pd.to_datetime(["2023-12-31", "2024-12-31", "2025-12-31"])
    coverage = pd.DataFrame({
        "insee": np.repeat(communes[::3], len(days)),
        "operator_code": "FRTE",
        "as_of": np.tile(days, len(communes[::3])),
        "covered": rng.integers(0, 900, len(days) * len(communes[::3])),
        "premises": 1_000,
    })
    return {"milestones": milestones, "perimeters": national["perimeters"], "progress": rows,
            "premises_counts": national["premises_counts"], "sites": sites,
            "coverage": coverage}


def _blocked(monkeypatch, rows: int, workers: int) -> list[int]:
    """Blocks of ``rows`` observations; returns the list of cases each evaluation was given."""
    calls: list[int] = []
    evaluate = blocks._evaluate

    def counted(inp, cases, as_of):
        calls.append(len(cases["kind"]))
        return evaluate(inp, cases, as_of)

    monkeypatch.setattr(blocks, "BLOCK_ROWS", rows)
    monkeypatch.setattr(blocks, "WORKERS", workers)
    monkeypatch.setattr(blocks, "_evaluate", counted)
    return calls


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2022, 9, 30)])
def test_blocks_give_the_one_pass_result(everything, monkeypatch, workers, as_of):
    one = _blocked(monkeypatch, 1 << 40, workers)
    reference = assess_with_breakdown(**everything, as_of=as_of)
    assert len(one) == 1
    calls = _blocked(monkeypatch, 2_000, workers)
    got = assess_with_breakdown(**everything, as_of=as_of)
    for part, expected in zip(got, reference, strict=True):
        pd.testing.assert_frame_equal(part, expected)
    # ~35,000 rows in blocks of 2,000: many block evaluations (the perimeters' per-commune
    # rows among them), then the 4 whole-perimeter milestones on every row.
    rows = len(everything["progress"]) + len(everything["coverage"])
    assert len(calls) >= rows // 2_000 - 2
    assert calls[-1] == 4
    assert sum(calls) == len(reference[0]) + len(reference[1])
    # The comparison covers every kind of case, not a column of no_data.
    result = reference[0].set_index("metric")
    assert result.loc["ftth_connectable_share", "status"].nunique() >= 2
    if as_of == AS_OF:
        for metric in ("mobile_5g_sites", "mobile_5g_premises_coverage_share"):
            assert result.loc[metric, "status"].nunique() >= 2, metric
    assert set(reference[0]["series"].dropna()) >= {"operator", "all_operators"}
    assert reference[0]["commune_insee"].isna().sum() == 4


def test_block_of_one_commune_each(everything, monkeypatch):
    reference = assess(**everything, as_of=AS_OF)
    calls = _blocked(monkeypatch, 1, 2)
    pd.testing.assert_frame_equal(assess(**everything, as_of=AS_OF), reference)
    communes = everything["milestones"]["insee"].dropna().nunique()
    assert len(calls) == communes + 1  # one block per commune, then the perimeters


def test_blocked_statuses_equal_the_per_milestone_loop(national, monkeypatch):
    calls = _blocked(monkeypatch, 1_000, 2)
    result = assess(**national, as_of=AS_OF)
    assert len(calls) > 5
    every = np.arange(len(national["milestones"]))
    _, _, statuses = run_loop(national, every, int(np.datetime64(AS_OF, "D").astype(np.int64)))
    assert result["status"].tolist() == statuses
    assert result["status"].nunique() >= 3
