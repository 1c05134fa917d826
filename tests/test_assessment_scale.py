"""Assessment engine on national-shaped data: an independent loop, and the input forms it takes.

The reference is the benchmark's per-milestone Python loop (benchmarks/assess.py: one
milestone at a time, bisect and a least-squares line, written apart from the engine). The
other tests check that what the engine's fast paths depend on -- row order, duplicate rows,
key types, count sizes -- never changes a result.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from benchmarks.assess import load_inputs, run_loop
from benchmarks.make_national import generate
from rollout.assessment import assess

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """120 communes x 4 operators x 4 milestones, quarterly progress 2017-2026."""
    folder = tmp_path_factory.mktemp("assess-national")
    generate(folder, communes=120, rows=0, parts=("premises_counts", "progress", "commitments"))
    return load_inputs(folder)


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2021, 6, 30), dt.date(2019, 2, 14)])
def test_every_status_equals_the_per_milestone_loop(national, as_of):
    result = assess(**national, as_of=as_of)
    every = np.arange(len(national["milestones"]))
    day = int(np.datetime64(as_of, "D").astype(np.int64))
    _, _, statuses = run_loop(national, every, day)
    # 4 operators x 4 milestones per commune (the tessellation keeps 117 of the 120 seeds).
    assert len(result) == len(every) == 16 * national["milestones"]["insee"].nunique() > 1800
    assert result["status"].tolist() == statuses
    # Several statuses occur, so the comparison is not between two constant columns.
    assert result["status"].nunique() >= 2


def test_row_order_and_key_types_do_not_change_any_result(national):
    reference = assess(**national, as_of=AS_OF)
    progress = national["progress"]
    shuffled = progress.sample(frac=1, random_state=5).reset_index(drop=True)
    as_text = shuffled.astype({"insee": "str", "operator_code": "str"})
    for variant in (shuffled, as_text):
        pd.testing.assert_frame_equal(assess(**{**national, "progress": variant}, as_of=AS_OF),
                                      reference)


def test_duplicate_rows_of_an_older_import_do_not_change_any_result(national):
    reference = assess(**national, as_of=AS_OF)
    progress = national["progress"].assign(batch_id=2)
    stale = progress.sample(500, random_state=6).assign(batch_id=1, connectable=0)
    mixed = pd.concat([stale, progress], ignore_index=True)
    got = assess(**{**national, "progress": mixed}, as_of=AS_OF)
    pd.testing.assert_frame_equal(got.drop(columns=["due_batch_id", "achieved_batch_id",
                                                    "met_batch_id"]),
                                  reference.drop(columns=["due_batch_id", "achieved_batch_id",
                                                          "met_batch_id"]))
    # Every figure comes from the newer import.
    assert set(got["achieved_batch_id"].dropna()) == {2}


def test_counts_too_large_for_single_precision_stay_exact():
    # 2**24 + 1 is the first integer float32 cannot hold; the share must use it exactly.
    big = 2**24 + 1
    progress = pd.DataFrame({"insee": ["59001"] * 2, "operator_code": ["FRTE"] * 2,
                             "observed_on": [dt.date(2020, 3, 31), dt.date(2020, 6, 30)],
                             "connectable": [big - 2, big], "rad": [0, 0]})
    counts = pd.DataFrame({"insee": ["59001"], "as_of": [dt.date(2019, 1, 1)],
                           "premises": [big], "method": ["ipe"]})
    milestones = pd.DataFrame({
        "milestone_id": [1, 2], "agreement_id": ["A"] * 2, "operator_code": ["FRTE"] * 2,
        "insee": ["59001"] * 2, "metric": ["ftth_connectable_share", "ftth_connectable_premises"],
        "target": [1.0, float(big)], "due_on": [dt.date(2020, 3, 31)] * 2,
        "rad_cap": [np.nan, np.nan]})
    got = assess(milestones, pd.DataFrame({"agreement_id": ["A"], "insee": ["59001"]}),
                 progress, counts, AS_OF)
    # By hand: at the due date 16,777,215 of 16,777,217 premises (short of 100 %); reached on
    # 30 June 2020, 91 days later; the count milestone likewise.
    assert got["status"].tolist() == ["met_late", "met_late"]
    assert got["value_at_due"].tolist() == [(big - 2) / big, float(big - 2)]
    assert got["delay_days"].tolist() == [91, 91]


def test_nullable_counts_with_every_rad_unknown(national):
    # As the database hands them over: Int64 columns, RAD unpublished (NA) everywhere.
    progress = national["progress"].astype({"connectable": "Int64"}).assign(
        rad=pd.array([pd.NA] * len(national["progress"]), dtype="Int64"))
    got = assess(**{**national, "progress": progress}, as_of=AS_OF)
    plain = assess(**national, as_of=AS_OF)
    share = (got["metric"] == "ftth_connectable_share").to_numpy()
    # Connectable-only shares do not depend on RAD; connectable-or-RAD ones become unknown.
    pd.testing.assert_frame_equal(
        got[share].drop(columns=["rad_share"]).reset_index(drop=True),
        plain[share].drop(columns=["rad_share"]).reset_index(drop=True))
    assert got.loc[~share, "value_at_due"].isna().all()
    assert set(got.loc[~share & (got["status"] == "no_data"), "reason"]) <= {
        "rad_unknown", "fewer_than_2_observations", "no_observation_by_due_date"}
