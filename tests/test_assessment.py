"""Assessment engine, to the day: every expected value is worked out by hand in a comment.

FTTH milestones (due, perimeter, future); 5G metrics, input forms and the map status are in
tests/test_assessment_5g.py, the builders in tests/assessment_builders.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.assessment_builders import (
    HUNDRED,
    OR_RAD,
    SHARE,
    D,
    count,
    milestone,
    obs,
    run,
)

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
