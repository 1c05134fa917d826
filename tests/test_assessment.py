"""Assessment engine, to the day: every expected value is worked out by hand in a comment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from rollout.assessment import assess, assess_perimeter_breakdown, commune_status

D = dt.date
DUE = D(2020, 12, 31)
SHARE = "ftth_connectable_share"
OR_RAD = "ftth_connectable_or_rad_share"


# ---------------------------------------------------------------- builders (this module only)


def milestone(
    mid: int,
    *,
    insee: str | None = "59001",
    metric: str = SHARE,
    target: float = 0.5,
    due: dt.date = DUE,
    op: str = "FRTE",
    agreement: str = "A1",
    rad_cap: float = np.nan,
) -> dict:
    return {
        "milestone_id": mid,
        "agreement_id": agreement,
        "operator_code": op,
        "insee": insee,
        "metric": metric,
        "target": target,
        "due_on": due,
        "rad_cap": rad_cap,
    }


def obs(
    insee: str,
    day: dt.date,
    connectable: int,
    rad: int | None = 0,
    *,
    op: str | None = None,
    batch: int = 1,
) -> dict:
    return {
        "insee": insee,
        "operator_code": op,
        "observed_on": day,
        "connectable": connectable,
        "rad": pd.NA if rad is None else rad,
        "batch_id": batch,
    }


def count(
    insee: str, as_of: dt.date, premises: int, *, method: str = "insee", batch: int = 100
) -> dict:
    return {
        "insee": insee,
        "as_of": as_of,
        "premises": premises,
        "method": method,
        "batch_id": batch,
    }


def frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


MS_COLS = (
    "milestone_id",
    "agreement_id",
    "operator_code",
    "insee",
    "metric",
    "target",
    "due_on",
    "rad_cap",
)
PROG_COLS = ("insee", "operator_code", "observed_on", "connectable", "rad", "batch_id")
PC_COLS = ("insee", "as_of", "premises", "method", "batch_id")


def run(
    ms: list[dict],
    progress: list[dict],
    counts: list[dict],
    as_of: dt.date,
    perimeter: list[str] | None = None,
    breakdown: bool = False,
    **extra,
) -> pd.DataFrame:
    per = pd.DataFrame({"agreement_id": "A1", "insee": perimeter or ["59001"]})
    args = (frame(ms, MS_COLS), per, frame(progress, PROG_COLS), frame(counts, PC_COLS), as_of)
    result = (assess_perimeter_breakdown if breakdown else assess)(*args, **extra)
    return result.set_index("commune_insee" if breakdown else "milestone_id")


HUNDRED = [count("59001", D(2019, 1, 1), 100)]


# ---------------------------------------------------------------- due milestones


@pytest.mark.parametrize(
    ("due", "status", "observed_on", "value", "delay"),
    [
        # Observation on the due date itself: 50/100 = 0.5 >= 0.5 -> met on time.
        (D(2020, 12, 31), "met", D(2020, 12, 31), 0.5, 0),
        # One day before: the latest observation <= D is 30 Sept (40/100 = 0.4 < 0.5); the
        # 31 Dec one reaches it -> met_late, 31 Dec - 30 Dec = 1 day.
        (D(2020, 12, 30), "met_late", D(2020, 9, 30), 0.4, 1),
        # One day after: 31 Dec is still the latest observation <= D -> met.
        (D(2021, 1, 1), "met", D(2020, 12, 31), 0.5, 0),
    ],
)
def test_due_date_around_an_observation(due, status, observed_on, value, delay):
    progress = [obs("59001", D(2020, 9, 30), 40), obs("59001", D(2020, 12, 31), 50, batch=2)]
    row = run([milestone(1, due=due)], progress, HUNDRED, D(2021, 6, 30)).loc[1]
    assert row.status == status
    assert row.observed_on == observed_on
    assert row.value_at_due == pytest.approx(value)
    assert row.delay_days == delay
    assert bool(row.delay_is_upper_bound) == (status == "met_late")
    assert row.shortfall_premises == 0
    assert row.met_batch_id == 2
    assert row.achieved_value == pytest.approx(0.5) and row.achieved_on == D(2020, 12, 31)


def test_missed_counts_days_to_as_of_and_shortfall_in_premises():
    # 40/101 never reaches 0.5; as of 31 March 2021: 31 + 28 + 31 = 90 days after 31 Dec 2020.
    # Shortfall: ceil(0.5 x 101) = 51 premises needed - 40 connectable = 11.
    progress = [obs("59001", D(2020, 12, 31), 40), obs("59001", D(2021, 3, 31), 40)]
    row = run([milestone(1)], progress, [count("59001", D(2019, 1, 1), 101)], D(2021, 3, 31)).loc[1]
    assert row.status == "missed"
    assert row.delay_days == 90
    assert not row.delay_is_upper_bound
    assert row.shortfall_premises == 11
    assert row.denominator_premises == 101


def test_shortfall_does_not_round_a_float_product_up():
    # 0.56 x 100 is 56.00000000000001 in binary floating point: 56 are needed, not 57;
    # 56 - 50 = 6.
    progress = [obs("59001", D(2020, 12, 31), 50)]
    row = run([milestone(1, target=0.56)], progress, HUNDRED, D(2021, 1, 31)).loc[1]
    assert row.status == "missed"
    assert row.shortfall_premises == 6


def test_exactly_on_target_share_is_met():
    # 92/100 and the target 0.92 are the same double: met, not missed by rounding.
    progress = [obs("59001", D(2020, 12, 31), 92)]
    row = run([milestone(1, target=0.92)], progress, HUNDRED, D(2021, 1, 31)).loc[1]
    assert row.status == "met"


def test_no_observation_before_due_date_is_no_data():
    # The first observation (31 March 2021) is after the due date: never guess.
    progress = [obs("59001", D(2021, 3, 31), 100)]
    row = run([milestone(1)], progress, HUNDRED, D(2021, 6, 30)).loc[1]
    assert row.status == "no_data"
    assert row.reason == "no_observation_by_due_date"
    assert pd.isna(row.delay_days) and pd.isna(row.value_at_due)
    assert row.achieved_value == pytest.approx(1.0)


def test_commune_without_any_progress_is_no_data():
    row = run(
        [milestone(1, insee="59009")], [obs("59001", D(2020, 12, 31), 50)], HUNDRED, D(2021, 1, 31)
    ).loc[1]
    assert row.status == "no_data"
    assert row.reason == "no_progress_series"


def test_rad_cap_breached_while_share_met():
    # 31 Dec: (90 + 10) / 100 = 1.0 reaches the target but RAD 10/100 = 0.10 > cap 0.08:
    # not met on time. 31 March: (93 + 7) / 100 = 1.0 with RAD 0.07 <= 0.08 -> met_late, 90 days.
    # Excess RAD at the due observation: 10 - floor(0.08 x 100) = 2 premises.
    ms = [
        milestone(1, metric=OR_RAD, target=1.0, rad_cap=0.08),
        milestone(2, metric=OR_RAD, target=1.0, rad_cap=0.08, due=D(2021, 3, 31)),
    ]
    progress = [obs("59001", D(2020, 12, 31), 90, 10), obs("59001", D(2021, 3, 31), 93, 7)]
    result = run(ms, progress, HUNDRED, D(2021, 4, 30))
    first = result.loc[1]
    assert first.status == "met_late"
    assert first.delay_days == 90
    assert first.value_at_due == pytest.approx(1.0)
    assert first.rad_share == pytest.approx(0.10)
    assert first.rad_cap_breached
    assert first.rad_excess_premises == 2
    assert first.shortfall_premises == 0
    assert result.loc[2].status == "met"
    assert not result.loc[2].rad_cap_breached


def test_rad_cap_breached_to_the_end_is_missed_with_no_share_shortfall():
    # (90 + 10) / 100 reaches 1.0 at every observation but RAD stays 0.10 > 0.08: missed,
    # 30 days after 31 Dec as of 30 Jan; the share itself is short of nothing.
    ms = [milestone(1, metric=OR_RAD, target=1.0, rad_cap=0.08)]
    row = run(ms, [obs("59001", D(2020, 12, 31), 90, 10)], HUNDRED, D(2021, 1, 30)).loc[1]
    assert row.status == "missed"
    assert row.delay_days == 30
    assert row.rad_cap_breached
    assert row.shortfall_premises == 0


def test_unknown_rad_is_no_data_not_a_guess():
    # Before 2020 ARCEP did not publish RAD: connectable-or-RAD is unknown, so is the cap.
    ms = [
        milestone(1, metric=OR_RAD, target=0.5),
        milestone(2, metric=SHARE, target=0.5, rad_cap=0.08),
    ]
    row = run(ms, [obs("59001", D(2020, 12, 31), 60, None)], HUNDRED, D(2021, 1, 30))
    assert row.loc[1].status == "no_data" and row.loc[1].reason == "rad_unknown"
    assert row.loc[2].status == "no_data" and row.loc[2].reason == "rad_unknown_cap_unchecked"


def test_denominator_revised_upwards_makes_the_share_drop():
    # Premises 100 from 2020-01-01, 120 from 2020-12-01. 30 Sept: 90/100 = 0.90; 31 Dec:
    # 96/120 = 0.80. Target 0.85: met on 30 Sept, missed on 31 Dec (ceil(0.85 x 120) = 102
    # needed - 96 = 6 short). The 2019 observation predates every count: the earliest (100).
    counts = [
        count("59001", D(2020, 1, 1), 100, batch=7),
        count("59001", D(2020, 12, 1), 120, method="ipe", batch=8),
    ]
    progress = [
        obs("59001", D(2019, 12, 31), 50),
        obs("59001", D(2020, 9, 30), 90),
        obs("59001", D(2020, 12, 31), 96),
    ]
    ms = [
        milestone(1, target=0.85, due=D(2020, 9, 30)),
        milestone(2, target=0.85),
        milestone(3, target=0.5, due=D(2019, 12, 31)),
    ]
    result = run(ms, progress, counts, D(2021, 1, 31))
    first, second, third = result.loc[1], result.loc[2], result.loc[3]
    assert first.status == "met" and first.value_at_due == pytest.approx(0.90)
    assert first.denominator_premises == 100 and first.premises_batch_id == 7
    assert second.status == "missed" and second.value_at_due == pytest.approx(0.80)
    assert second.denominator_premises == 120
    assert second.denominator_as_of == D(2020, 12, 1) and second.denominator_method == "ipe"
    assert second.shortfall_premises == 6
    assert third.status == "met" and third.denominator_premises == 100


def test_operator_series_preferred_over_all_operator_series():
    # Commune 59001: FRTE's own series says 40/100, the all-operator one 90/100.
    # FRTE's milestone uses 0.40 (series 'operator'); SFR0 has no series: 0.90 ('all_operators').
    progress = [obs("59001", D(2020, 12, 31), 90), obs("59001", D(2020, 12, 31), 40, op="FRTE")]
    ms = [milestone(1), milestone(2, op="SFR0")]
    result = run(ms, progress, HUNDRED, D(2021, 1, 31))
    assert result.loc[1].value_at_due == pytest.approx(0.40)
    assert result.loc[1].series == "operator"
    assert result.loc[1].status == "missed"
    assert result.loc[2].value_at_due == pytest.approx(0.90)
    assert result.loc[2].series == "all_operators"


def test_duplicate_observation_keeps_the_latest_import():
    # Same series, same day, batches 1 (30) and 2 (60): batch 2 wins, 60/100 = 0.6.
    progress = [
        obs("59001", D(2020, 12, 31), 60, batch=2),
        obs("59001", D(2020, 12, 31), 30, batch=1),
    ]
    row = run([milestone(1)], progress, HUNDRED, D(2021, 1, 31)).loc[1]
    assert row.value_at_due == pytest.approx(0.6) and row.due_batch_id == 2


def test_share_over_100_percent_is_kept_and_flagged():
    # 105 connectable for 100 premises (INSEE denominator before 2020): 1.05, flagged.
    row = run(
        [milestone(1, target=1.0)], [obs("59001", D(2020, 12, 31), 105)], HUNDRED, D(2021, 1, 31)
    ).loc[1]
    assert row.value_at_due == pytest.approx(1.05)
    assert row.over_100
    assert row.status == "met"


def test_connectable_premises_count_metric():
    # Count target 80 premises: 70 connectable -> missed, shortfall 80 - 70 = 10.
    ms = [milestone(1, metric="ftth_connectable_premises", target=80)]
    row = run(ms, [obs("59001", D(2020, 12, 31), 70)], [], D(2021, 1, 31)).loc[1]
    assert row.status == "missed" and row.value_at_due == 70 and row.shortfall_premises == 10


# ---------------------------------------------------------------- perimeter


FOUR = ["59001", "59002", "59003", "59004"]


def four_communes() -> tuple[list[dict], list[dict]]:
    counts = [
        count("59001", D(2019, 1, 1), 100),
        count("59002", D(2019, 1, 1), 100),
        count("59003", D(2019, 1, 1), 300),
        count("59004", D(2019, 1, 1), 100),
    ]
    progress = [
        obs("59001", D(2020, 12, 31), 100),
        obs("59002", D(2020, 12, 15), 70),
        obs("59003", D(2020, 12, 31), 290),
        obs("59004", D(2020, 12, 31), 60),
    ]
    return progress, counts


def test_perimeter_met_while_half_its_communes_miss():
    # Perimeter at 31 Dec: (100 + 70 + 290 + 60) / (100 + 100 + 300 + 100) = 520 / 600 = 0.8667
    # >= 0.85 -> met. 59002 contributes its latest observation <= 31 Dec (15 Dec).
    # Per commune: 1.00 met, 0.70 missed, 0.9667 met, 0.60 missed -> 2 of 4 met.
    progress, counts = four_communes()
    ms = [milestone(1, insee=None, target=0.85)]
    row = run(ms, progress, counts, D(2021, 1, 31), perimeter=FOUR).loc[1]
    assert row.status == "met"
    assert row.commune_insee is None
    assert row.value_at_due == pytest.approx(520 / 600)
    assert row.denominator_premises == 600
    assert row.communes_met == 2 and row.communes_total == 4
    assert row.oldest_commune_observed_on == D(2020, 12, 15)
    parts = run(ms, progress, counts, D(2021, 1, 31), perimeter=FOUR, breakdown=True)
    assert parts["status"].to_dict() == {
        "59001": "met",
        "59002": "missed",
        "59003": "met",
        "59004": "missed",
    }
    assert parts.loc["59003", "value_at_due"] == pytest.approx(290 / 300)
    assert (parts["milestone_id"] == 1).all()


def test_perimeter_date_needs_every_commune_observed():
    # 59004 is first observed on 31 Dec: the perimeter has no complete observation on 30 Sept.
    progress, counts = four_communes()
    progress += [obs(i, D(2020, 9, 30), 0) for i in ("59001", "59002", "59003")]
    ms = [milestone(1, insee=None, target=0.85, due=D(2020, 9, 30))]
    row = run(ms, progress, counts, D(2021, 1, 31), perimeter=FOUR).loc[1]
    # Not observed as a whole by the due date: no_data, although later data meets the target.
    assert row.status == "no_data" and row.reason == "no_observation_by_due_date"
    assert row.achieved_value == pytest.approx(520 / 600)


def test_perimeter_with_a_commune_lacking_progress_is_no_data():
    progress, counts = four_communes()
    ms = [milestone(1, insee=None, target=0.85)]
    row = run(ms, progress, counts, D(2021, 1, 31), perimeter=[*FOUR, "59005"]).loc[1]
    assert row.status == "no_data"
    assert row.reason == "perimeter_commune_without_progress"
    assert row.communes_total == 5


# ---------------------------------------------------------------- future milestones


LINE = [
    obs("59001", D(2019, 6, 1), 29),  # fifth from the end: outside the last 4
    obs("59001", D(2020, 1, 1), 30),
    obs("59001", D(2020, 4, 10), 40),
    obs("59001", D(2020, 7, 19), 50),
    obs("59001", D(2020, 10, 27), 60),
]


@pytest.mark.parametrize(
    ("due", "status"), [(D(2021, 12, 31), "on_track"), (D(2021, 6, 30), "at_risk")]
)
def test_trend_projects_the_date_the_target_is_reached(due, status):
    # Last 4 observations 100 days apart from 2020-01-01: 0.30, 0.40, 0.50, 0.60 -> exactly
    # +0.001 a day; 0.90 is reached 600 days after 2020-01-01: 366 days (2020 is a leap year)
    # to 2021-01-01, then 234 days -> 2021-08-23. After D = 30 June 2021 -> at_risk.
    # (Including the 2019 observation would have changed the slope.)
    row = run([milestone(1, target=0.9, due=due)], LINE, HUNDRED, D(2020, 11, 1)).loc[1]
    assert row.status == status
    assert row.projected_on == D(2021, 8, 23)
    assert pd.isna(row.value_at_due) and pd.isna(row.delay_days)
    assert row.achieved_value == pytest.approx(0.6) and row.achieved_on == D(2020, 10, 27)
    # ceil(0.9 x 100) - 60 = 30 premises still to go.
    assert row.shortfall_premises == 30


@pytest.mark.parametrize("values", [(50, 50, 50), (60, 55, 50)])
def test_flat_or_decreasing_trend_is_at_risk(values):
    progress = [
        obs("59001", day, v)
        for day, v in zip((D(2020, 6, 30), D(2020, 9, 30), D(2020, 12, 31)), values, strict=True)
    ]
    row = run(
        [milestone(1, target=0.9, due=D(2022, 12, 31))], progress, HUNDRED, D(2021, 1, 31)
    ).loc[1]
    assert row.status == "at_risk"
    assert row.reason == "trend_flat_or_decreasing"
    assert pd.isna(row.projected_on)


def test_future_milestone_with_one_observation_is_no_data():
    row = run(
        [milestone(1, target=0.9, due=D(2022, 12, 31))],
        [obs("59001", D(2020, 12, 31), 50)],
        HUNDRED,
        D(2021, 1, 31),
    ).loc[1]
    assert row.status == "no_data" and row.reason == "fewer_than_2_observations"


def test_future_milestone_already_reached_is_on_track_since_the_run_began():
    # 0.95 (June), 0.80 (Sept), 0.92 (Dec), 0.95 (March): reached since 31 Dec 2020.
    progress = [
        obs("59001", day, v)
        for day, v in zip(
            (D(2020, 6, 30), D(2020, 9, 30), D(2020, 12, 31), D(2021, 3, 31)),
            (95, 80, 92, 95),
            strict=True,
        )
    ]
    row = run(
        [milestone(1, target=0.9, due=D(2022, 12, 31))], progress, HUNDRED, D(2021, 4, 30)
    ).loc[1]
    assert row.status == "on_track"
    assert row.projected_on == D(2020, 12, 31)
    assert row.shortfall_premises == 0


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
