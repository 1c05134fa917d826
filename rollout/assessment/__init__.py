"""Assessment engine: each milestone against observed progress as of a date (DESIGN.md).

Pure, vectorised functions over frames: no database, no loop per milestone.
Rules implemented (DESIGN.md "Assessment semantics") and the choices made where it is silent:

- Series: an operator's milestone uses the operator's own progress series in a commune when
  one exists (any row), else the all-operator series (``operator_code`` NA); ``series`` says
  which (``mixed`` for a perimeter whose communes differ). Duplicate observations of one
  series on one day keep the highest ``batch_id`` (the latest import).
- Share = connectable (+ RAD for ``ftth_connectable_or_rad_share``) / premises, the premises
  being the latest ``premises_count`` with ``as_of`` <= the observation date, else the earliest
  known (same date: ``METHOD_PREFERENCE`` -- ARCEP's best estimate, INSEE, IPE, then other
  methods by name -- then the latest import; :func:`denominators` gives this choice to the
  rest of the application). Unknown RAD makes that metric's
  value unknown; unknown premises make every share unknown. Shares above 1 are kept and
  flagged ``over_100``. A perimeter reports its summed premises, the latest vintage among
  its communes and ``mixed`` when their methods differ.
- Perimeter scope: at every date on which some perimeter commune was observed, each commune
  contributes its own latest observation <= that date and numerators and denominators are
  summed (quarterly ARCEP data: identical to summing same-day observations). A date counts
  only once every perimeter commune has an observation; ``oldest_commune_observed_on`` shows
  the stalest one used. Per-commune rates are indicators (``assess_perimeter_breakdown``);
  ``communes_met`` counts the communes whose own indicator has ``target_reached``.
- D <= A: ``value_at_due`` is the latest observation <= D. ``met`` if it reaches T (and the RAD
  share <= ``rad_cap`` when set); else the first later observation <= A that does gives
  ``met_late`` with ``delay_days`` = its date - D (an upper bound for dated observations:
  the target was reached somewhere since the previous one); else ``missed``, ``delay_days`` =
  A - D. A value reaching T with an unknown RAD share under a cap is ``no_data``: never guess.
  ``delay_days`` is 0 when met; ``rad_cap_breached`` and ``rad_share`` describe the observation
  behind the status (value_at_due when due, the latest one otherwise).
- ``shortfall_premises`` = ceil(T x premises) - achieved at the latest observation <= A for
  shares, ceil(T) - achieved for counts; never negative, 0 when met or met late.
- D > A: already reaching T (and the cap) at the latest observation -> ``on_track`` with
  ``projected_on`` = the first observation of the current run reaching it; reaching T with
  the cap breached -> ``at_risk``. Otherwise a least-squares line through the last 4
  observations <= A (known values, at least 2) gives ``projected_on`` = the first day it
  reaches T (not before A + 1); ``at_risk`` if that is after D or the trend is flat or
  decreasing, else ``on_track``.
- ``mobile_5g_sites``: count of the operator's sites with 5G whose ``in_service_on`` <= the day
  (exact days; the register is complete, so no site means 0 and ``observed_on`` is the day
  itself); ``met_late`` on the day the T-th site entered service; trends use the last 4
  in-service dates.
- ``mobile_5g_premises_coverage_share``: covered / premises of the ``coverage`` frame, whose
  rows are observations like progress rows; without that frame: ``no_data``.
- Statuses of a commune on the map: its worst milestone in ``STATUS_ORDER`` (worst first:
  missed, at_risk, met_late, no_data, on_track, met) and its longest delay.

Modules: ``_inputs`` (validation, integer codes), ``_series`` (observation series of every
scope: sources, denominators, perimeter sums, 5G site counts), ``_rules`` (the status rules
above, all cases at once), ``_blocks`` (millions of observations: commune milestones by
blocks of communes, in threads) and ``_arrays`` (int days, as-of searches, ranges).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rollout.assessment._arrays import _NAT, _dates, _day, _days, _ranges, _take
from rollout.assessment._blocks import _evaluate_by_blocks
from rollout.assessment._inputs import METHOD_PREFERENCE, _Codes, _Inputs, _premises_table
from rollout.assessment._rules import (
    REASONS,
    SERIES_KINDS,
    STATUS_ORDER,
    TREND_POINTS,
)
from rollout.assessment._series import _premises_at

__all__ = [
    "REASONS",
    "SERIES_KINDS",
    "STATUS_ORDER",
    "TREND_POINTS",
    "assess",
    "assess_perimeter_breakdown",
    "assess_with_breakdown",
    "commune_status",
    "denominators",
    "METHOD_PREFERENCE",
]

_DATE_COLUMNS = (
    "observed_on",
    "achieved_on",
    "projected_on",
    "denominator_as_of",
    "oldest_commune_observed_on",
)

_INT_COLUMNS = (
    "delay_days",
    "shortfall_premises",
    "denominator_premises",
    "rad_excess_premises",
    "communes_total",
    "due_batch_id",
    "achieved_batch_id",
    "met_batch_id",
    "premises_batch_id",
    "communes_met",
)


def _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage):
    """Evaluate every milestone and, for perimeter milestones, each commune of the perimeter."""
    inp = _Inputs(milestones, perimeters, progress, premises_counts, sites, coverage)
    day = _day(as_of, "as_of")
    n = len(inp.m_mc)
    per = np.flatnonzero(inp.m_geo < 0)
    owner, pos = _ranges(
        np.searchsorted(inp.p_agr, inp.m_agr[per], "left"),
        np.searchsorted(inp.p_agr, inp.m_agr[per], "right"),
    )
    src = np.r_[np.arange(n), per[owner]]
    place = np.r_[np.where(inp.m_geo < 0, inp.m_agr, inp.m_geo), inp.p_geo[pos]]
    kind = np.r_[(inp.m_geo < 0).astype(np.int64), np.zeros(len(pos), np.int64)]
    cases = {
        "mc": inp.m_mc[src],
        "op": inp.m_op[src],
        "kind": kind,
        "place": place,
        "target": inp.m_target[src],
        "cap": inp.m_cap[src],
        "due": inp.m_due[src],
    }
    out = _evaluate_by_blocks(inp, cases, day)
    out["communes_met"] = np.full(len(src), np.nan)
    out["communes_met"][per] = np.bincount(
        owner, weights=out["target_reached"][n:], minlength=len(per)
    )
    geo = np.r_[inp.m_geo, inp.p_geo[pos]]
    frame = _frame(inp, src, geo, out, day)
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].reset_index(drop=True)


def _frame(inp: _Inputs, src: np.ndarray, geo: np.ndarray, out: dict, as_of: int) -> pd.DataFrame:
    m = inp.m_frame

    def taken(name: str) -> pd.Series:
        # Without perimeter breakdown rows, src is every milestone in order: no copy.
        return m[name] if len(src) == len(m) else m[name].take(src).reset_index(drop=True)

    columns = {name: taken(name) for name in ("milestone_id", "agreement_id", "operator_code")}
    columns.update(
        commune_insee=inp.geo.labels(geo),
        metric=taken("metric"),
        due_on=_dates(inp.m_due[src]),
        target=inp.m_target[src],
        rad_cap=inp.m_cap[src],
        as_of=np.full(len(src), _dates(np.array([as_of]))[0], dtype=object),
    )
    columns.update(out)
    for name, values in columns.items():
        if name in _DATE_COLUMNS:
            values = _dates(values)
        elif name in _INT_COLUMNS:
            missing = np.isnan(values)
            ints = np.zeros(len(values), np.int64)  # one new array, no float temporary
            np.copyto(ints, values, casting="unsafe", where=~missing)
            values = pd.arrays.IntegerArray(ints, missing)
        if isinstance(values, np.ndarray) and values.dtype == object:
            # Text and dates stay Python objects with None for missing (not NaN), uninferred;
            # the arrays are this run's own: wrapped, not copied.
            values = pd.Series(values, dtype=object, copy=False)
        columns[name] = values
    # The columns are fresh arrays of this run: wrapped, not copied (35 columns x 560 k rows).
    return pd.DataFrame(columns, copy=False)


def assess(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assess every milestone as of ``as_of``: one row per milestone, in input order.

    Parameters
    ----------
    milestones
        ``milestone_id, agreement_id, operator_code, insee`` (NA: whole perimeter),
        ``metric, target, due_on, rad_cap`` (NaN: no cap).
    perimeters
        ``agreement_id, insee``: the communes of each agreement.
    progress
        ``insee, operator_code`` (NA: all operators), ``observed_on, connectable, rad``
        (NA: unknown) and optionally ``batch_id``.
    premises_counts
        ``insee, as_of, premises, method`` and optionally ``batch_id``; every vintage.
    sites
        ``station_id, operator_code, insee, has_5g, in_service_on`` for ``mobile_5g_sites``.
    coverage
        ``insee, operator_code, as_of, covered, premises`` (optionally ``batch_id``) for
        ``mobile_5g_premises_coverage_share``.

    Returns
    -------
    DataFrame
        ``milestone_id, agreement_id, operator_code, commune_insee`` (None: perimeter),
        ``metric, due_on, target, rad_cap, as_of, status, reason`` (one of ``REASONS`` or None),
        ``value_at_due, observed_on, achieved_value, achieved_on`` (latest <= as_of),
        ``delay_days, delay_is_upper_bound, shortfall_premises, projected_on, target_reached,
        series`` (``SERIES_KINDS``), ``denominator_premises, denominator_as_of,
        denominator_method`` (at the observation behind the status: value_at_due when due,
        achieved_value otherwise; for a perimeter the summed premises, the latest vintage and
        ``mixed`` when methods differ), ``rad_share, rad_cap_breached, rad_excess_premises``
        (RAD premises above the cap), ``over_100, communes_total, communes_met,
        oldest_commune_observed_on`` (perimeters) and the evidence ``due_batch_id,
        achieved_batch_id, met_batch_id, premises_batch_id`` (NA for a perimeter whose
        communes came from several batches: see the breakdown). Dates are ``datetime.date``
        or None, counts and ids ``Int64``, shares ``float64``, text ``object`` with None.
    """
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)[0]


def assess_perimeter_breakdown(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-commune indicator rows of every perimeter milestone (same columns as :func:`assess`)."""
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)[1]


def assess_with_breakdown(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`assess` and :func:`assess_perimeter_breakdown` from one evaluation."""
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)


def denominators(observations: pd.DataFrame, premises_counts: pd.DataFrame) -> pd.DataFrame:
    """The denominator of each observation, by the engine's own rule (module docstring).

    ``observations`` needs ``insee`` and ``observed_on`` (dates); ``premises_counts`` is in
    :func:`assess`'s form. Returns, in the observations' order, ``premises`` (Int64),
    ``premises_as_of`` (``datetime.date`` or None), ``premises_method`` and
    ``premises_batch_id`` (Int64); NA where the commune has no count at all.
    """
    codes = _Codes()
    table, methods = _premises_table(premises_counts, codes)
    geo = codes.add(observations["insee"])
    pos = _premises_at(table, geo, _days(observations["observed_on"], "observed_on"))
    labels = np.array([*methods, None], dtype=object)

    def counts(values: np.ndarray) -> pd.arrays.IntegerArray:
        missing = np.isnan(values)
        return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)

    return pd.DataFrame(
        {
            "premises": counts(_take(table["premises"], pos)),
            "premises_as_of": pd.Series(_dates(_take(table["as_of"], pos, _NAT)), dtype=object),
            "premises_method": pd.Series(labels[_take(table["method"], pos, -1)], dtype=object),
            "premises_batch_id": counts(_take(table["batch"], pos)),
        }
    )


def commune_status(assessments: pd.DataFrame) -> pd.DataFrame:
    """Map status of each commune: its worst milestone (``STATUS_ORDER``) and its longest delay.

    Rows without ``commune_insee`` (whole-perimeter milestones) are ignored; pass breakdown rows
    to let perimeter milestones colour their communes.
    """
    rows = assessments[assessments["commune_insee"].notna()]
    rank = pd.Series(range(len(STATUS_ORDER)), index=STATUS_ORDER)
    ranked = rows.assign(_rank=rank.reindex(rows["status"]).to_numpy())
    if ranked["_rank"].isna().any():
        raise ValueError(f"status outside {list(STATUS_ORDER)}")
    worst = ranked.sort_values(["commune_insee", "_rank", "milestone_id"]).drop_duplicates(
        "commune_insee"
    )
    grouped = ranked.groupby("commune_insee")
    out = pd.DataFrame(
        {
            "insee": worst["commune_insee"].to_numpy(),
            "status": worst["status"].to_numpy(),
            "worst_milestone_id": worst["milestone_id"].to_numpy(),
        }
    )
    out["delay_days"] = pd.array(
        grouped["delay_days"].max().reindex(out["insee"]).to_numpy(), dtype="Int64"
    )
    out["milestones"] = grouped.size().reindex(out["insee"]).to_numpy()
    return out.reset_index(drop=True)
