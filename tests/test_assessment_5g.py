"""Assessment engine, to the day: 5G metrics, the input forms it takes, the map status.

Every expected value is worked out by hand in a comment (FTTH rules: tests/test_assessment.py).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from rollout.assessment import assess, commune_status
from tests.assessment_builders import (
    HUNDRED,
    MS_COLS,
    PC_COLS,
    PROG_COLS,
    D,
    count,
    frame,
    milestone,
    obs,
    run,
)

# ---------------------------------------------------------------- 5G


def site(
    station: str, insee: str, day: dt.date | None, *, op: str = "20801", has_5g: bool = True
) -> dict:
    return {
        "station_id": station,
        "operator_code": op,
        "insee": insee,
        "has_5g": has_5g,
        "in_service_on": day,
    }


SITES = pd.DataFrame(
    [
        site("1", "59001", D(2022, 12, 30)),
        site("2", "59002", D(2022, 12, 31)),
        site("3", "59001", D(2023, 1, 1)),
        site("1", "59001", D(2023, 1, 15)),  # same station listed twice: counts once, from 30 Dec
        site("4", "59001", D(2022, 1, 1), has_5g=False),  # 4G only
        site("5", "59001", None),  # not in service
        site("6", "59001", D(2022, 1, 1), op="20810"),  # another operator
        site("7", "59999", D(2022, 1, 1)),  # outside the perimeter
    ]
)


@pytest.mark.parametrize(
    ("target", "status", "delay", "shortfall"),
    [
        # 30 Dec and 31 Dec: 2 sites in service on 31 Dec -> met.
        (2, "met", 0, 0),
        # The third entered service on 1 Jan 2023: met_late by exactly 1 day (not an upper bound).
        (3, "met_late", 1, 0),
        # Never 4: missed 31 days later as of 31 Jan 2023; 4 - 3 = 1 site short.
        (4, "missed", 31, 1),
    ],
)
def test_5g_sites_counted_to_the_exact_day(target, status, delay, shortfall):
    ms = [
        milestone(
            1, insee=None, metric="mobile_5g_sites", target=target, op="20801", due=D(2022, 12, 31)
        )
    ]
    row = run(ms, [], [], D(2023, 1, 31), perimeter=["59001", "59002"], sites=SITES).loc[1]
    assert row.status == status
    assert row.delay_days == delay
    assert not row.delay_is_upper_bound
    assert row.value_at_due == 2 and row.observed_on == D(2022, 12, 31)
    assert row.achieved_value == 3
    assert row.shortfall_premises == shortfall


def test_5g_sites_in_one_commune_and_without_the_register():
    # 59001 alone: stations 1 (30 Dec) and 3 (1 Jan) -> 1 site on 31 Dec, target 1 met.
    ms = [milestone(1, metric="mobile_5g_sites", target=1, op="20801", due=D(2022, 12, 31))]
    assert run(ms, [], [], D(2023, 1, 31), sites=SITES).loc[1, "status"] == "met"
    assert run(ms, [], [], D(2023, 1, 31)).loc[1, "reason"] == "no_site_data"


def test_5g_coverage_share_from_the_coverage_frame():
    # 80 of 100 premises covered on 31 Dec 2022, target 0.75 -> met.
    ms = [
        milestone(
            1,
            metric="mobile_5g_premises_coverage_share",
            target=0.75,
            op="20801",
            due=D(2022, 12, 31),
        )
    ]
    coverage = pd.DataFrame(
        {
            "insee": ["59001"],
            "operator_code": ["20801"],
            "as_of": [D(2022, 12, 31)],
            "covered": [80],
            "premises": [100],
        }
    )
    # A premises count of the commune exists too: coverage shares never use it.
    counts = [count("59001", D(2020, 1, 1), 999)]
    row = run(ms, [], counts, D(2023, 1, 31), coverage=coverage).loc[1]
    assert row.status == "met" and row.value_at_due == pytest.approx(0.8)
    # The denominator is the coverage observation's own premises, of its own date.
    assert (row.denominator_premises, row.denominator_as_of, row.denominator_method) == (
        100, D(2022, 12, 31), "coverage")
    assert run(ms, [], [], D(2023, 1, 31)).loc[1, "reason"] == "no_coverage_data"


# ---------------------------------------------------------------- inputs and map status


def test_numpy_dates_give_the_same_result_as_date_objects():
    progress = [obs("59001", D(2020, 9, 30), 40), obs("59001", D(2020, 12, 31), 50)]
    ms = frame([milestone(1, due=D(2020, 12, 30))], MS_COLS)
    prog = frame(progress, PROG_COLS)
    pcs = frame(HUNDRED, PC_COLS)
    per = pd.DataFrame({"agreement_id": ["A1"], "insee": ["59001"]})
    for df, col in ((ms, "due_on"), (prog, "observed_on"), (pcs, "as_of")):
        df[col] = np.array(df[col].tolist(), dtype="datetime64[D]")
    row = assess(ms, per, prog, pcs, np.datetime64("2021-06-30")).iloc[0]
    assert row.status == "met_late" and row.delay_days == 1 and row.observed_on == D(2020, 9, 30)


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="ftth_share"):
        run([milestone(1, metric="ftth_share")], [], HUNDRED, D(2021, 1, 1))


def test_commune_status_is_the_worst_milestone_and_the_longest_delay():
    rows = pd.DataFrame(
        {
            "milestone_id": [1, 2, 3, 4, 5, 6],
            "commune_insee": ["59001", "59001", "59001", "59002", "59002", None],
            "status": ["met", "missed", "met_late", "on_track", "no_data", "missed"],
            "delay_days": pd.array([0, 30, 60, pd.NA, pd.NA, 900], dtype="Int64"),
        }
    )
    # 59001: missed outranks met_late; the longest delay is met_late's 60 days.
    # 59002: no_data outranks on_track; no delay. The perimeter row (None) is ignored.
    out = commune_status(rows).set_index("insee")
    assert out.loc["59001", "status"] == "missed" and out.loc["59001", "delay_days"] == 60
    assert out.loc["59001", "worst_milestone_id"] == 2
    assert out.loc["59002", "status"] == "no_data" and pd.isna(out.loc["59002", "delay_days"])
    assert list(out.index) == ["59001", "59002"]


def test_text_dates_are_refused_not_parsed():
    # "01/02/2021" could be read as 2 January: a legal date is never guessed from text.
    ms = frame([milestone(1)], MS_COLS)
    ms["due_on"] = ms["due_on"].astype(object)
    ms.loc[0, "due_on"] = "01/02/2021"
    per = pd.DataFrame({"agreement_id": ["A1"], "insee": ["59001"]})
    with pytest.raises(ValueError, match="milestones.due_on"):
        assess(ms, per, frame([], PROG_COLS), frame(HUNDRED, PC_COLS), D(2021, 3, 1))


def test_perimeter_mixing_own_and_all_operator_series_says_so():
    # 59001: FRTE's own series 80/100 (the all-operator 10/100 is ignored); 59002: only the
    # all-operator series, 60/100. Perimeter: (80 + 60) / 200 = 0.70 >= 0.70 -> met, 'mixed'.
    counts = [count("59001", D(2019, 1, 1), 100), count("59002", D(2019, 1, 1), 100)]
    progress = [
        obs("59001", D(2020, 12, 31), 80, op="FRTE"),
        obs("59001", D(2020, 12, 31), 10),
        obs("59002", D(2020, 12, 31), 60),
    ]
    ms = [milestone(1, insee=None, target=0.7)]
    row = run(ms, progress, counts, D(2021, 1, 31), perimeter=["59001", "59002"]).loc[1]
    assert row.status == "met" and row.value_at_due == pytest.approx(0.7)
    assert row.series == "mixed"
    parts = run(ms, progress, counts, D(2021, 1, 31), perimeter=["59001", "59002"], breakdown=True)
    assert parts["series"].to_dict() == {"59001": "operator", "59002": "all_operators"}
    assert parts["value_at_due"].to_dict() == pytest.approx({"59001": 0.8, "59002": 0.6})


def test_without_a_site_register_there_is_no_count():
    ms = [milestone(1, metric="mobile_5g_sites", target=1, op="20801", due=D(2022, 12, 31))]
    row = run(ms, [], [], D(2023, 1, 31)).loc[1]
    assert row.status == "no_data"
    assert pd.isna(row.value_at_due) and pd.isna(row.shortfall_premises) and row.observed_on is None
