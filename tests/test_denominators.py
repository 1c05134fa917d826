"""One denominator rule for the whole application (DESIGN.md "Assessment semantics").

A share on the map or a commune sheet (rollout.indicators) must use the same premises count as
the compliance reports (rollout.assessment). Counts below are made up; the expected choice is
worked out from the rule: latest count dated on or before the observation, else the earliest;
on one date ARCEP's best estimate, then INSEE, then IPE, then other methods by name; for one
method the latest import.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rollout.assessment import assess, denominators
from rollout.indicators import attach_denominator

D = dt.date
COUNTS = pd.DataFrame(
    [
        # 59001, 1 Jan 2020: four methods on one date (IPE imported last).
        ("59001", D(2020, 1, 1), 900, "ipe", 9),
        ("59001", D(2020, 1, 1), 1000, "best_estimate", 5),
        ("59001", D(2020, 1, 1), 950, "insee", 7),
        ("59001", D(2020, 1, 1), 990, "operator_survey", 8),
        # 59001, 1 Jan 2021: only IPE and an unlisted method; IPE wins.
        ("59001", D(2021, 1, 1), 1100, "zz_other", 3),
        ("59001", D(2021, 1, 1), 1200, "ipe", 2),
        # 59002: one method imported twice on one date; the later import wins.
        ("59002", D(2020, 6, 1), 500, "insee", 4),
        ("59002", D(2020, 6, 1), 510, "insee", 6),
        # 59003: two unlisted methods; the first by name wins.
        ("59003", D(2020, 6, 1), 300, "b_method", 1),
        ("59003", D(2020, 6, 1), 310, "a_method", 1),
    ],
    columns=["insee", "as_of", "premises", "method", "batch_id"],
)
OBSERVATIONS = pd.DataFrame({
    "insee": ["59001", "59001", "59001", "59002", "59003", "59009"],
    "observed_on": [D(2019, 6, 30), D(2020, 3, 31), D(2021, 3, 31), D(2020, 9, 30),
                    D(2020, 9, 30), D(2020, 9, 30)],
})
# Before every count -> the earliest (best estimate of 1 Jan 2020); then 1 Jan 2020's best
# estimate; then 1 Jan 2021's IPE; 59002's later import; 59003's a_method; 59009: none.
EXPECTED = [(1000, D(2020, 1, 1), "best_estimate", 5), (1000, D(2020, 1, 1), "best_estimate", 5),
            (1200, D(2021, 1, 1), "ipe", 2), (510, D(2020, 6, 1), "insee", 6),
            (310, D(2020, 6, 1), "a_method", 1), (None, None, None, None)]


def rows(frame: pd.DataFrame) -> list[tuple]:
    columns = ["premises", "premises_as_of", "premises_method", "premises_batch_id"]
    return [tuple(None if pd.isna(v) else v for v in row)
            for row in frame[columns].astype(object).itertuples(index=False)]


def test_denominators_follow_the_rule_whatever_the_row_order():
    assert rows(denominators(OBSERVATIONS, COUNTS)) == EXPECTED
    shuffled = COUNTS.sample(frac=1, random_state=1).reset_index(drop=True)
    assert rows(denominators(OBSERVATIONS, shuffled)) == EXPECTED


def test_indicators_and_the_assessment_use_the_same_count():
    series = OBSERVATIONS.assign(connectable=100)
    assert rows(attach_denominator(series, COUNTS)) == EXPECTED
    milestones = pd.DataFrame({
        "milestone_id": [1], "agreement_id": ["A"], "operator_code": ["FRTE"],
        "insee": ["59001"], "metric": ["ftth_connectable_share"], "target": [0.5],
        "due_on": [D(2020, 3, 31)], "rad_cap": [np.nan]})
    progress = pd.DataFrame({"insee": ["59001"], "operator_code": [None],
                             "observed_on": [D(2020, 3, 31)], "connectable": [600], "rad": [0]})
    got = assess(milestones, pd.DataFrame({"agreement_id": ["A"], "insee": ["59001"]}),
                 progress, COUNTS, D(2020, 6, 30)).iloc[0]
    # 600 / 1000 (best estimate) = 0.6, met; with the IPE count it would be 600 / 900.
    assert (got["denominator_premises"], got["denominator_method"]) == (1000, "best_estimate")
    assert got["value_at_due"] == 0.6 and got["status"] == "met"
