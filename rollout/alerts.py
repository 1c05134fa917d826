"""Alerts: every milestone compared with its previous evaluation, transitions kept as evidence.

Rules (issue 16; the first two lines of the table are where the issue was silent):

- The first evaluation of a milestone is its baseline: no status alert (otherwise the first
  run would announce every past default at once). Early warnings apply from the first run.
- ``at_risk``: on_track -> at_risk. ``missed``: any status -> missed. ``met_late``:
  missed -> met_late. ``no_data``: any other status -> no_data.
- ``early_warning``: a milestone not yet due and not yet reached, behind its pace (the pace
  needed to reach the target by the due date is above the recent pace, or the engine says
  at_risk), enters a window of ``thresholds`` days before its due date (default 180, 90, 30).
  Each window is announced once; a smaller window is announced again.
- Pace figures, in premises (sites for ``mobile_5g_sites``) per quarter of 91.3125 days:
  ``required`` = ceil(T x premises) for shares, ceil(T) for counts; ``achieved`` the count at
  the latest observation; ``needed_per_quarter`` = (required - achieved) over the quarters
  from that observation to the due date; ``recent_per_quarter`` = the change between the
  latest observation as of A - 365 days and the latest as of A, per quarter between their
  dates; ``projected_at_due`` = achieved + recent pace up to the due date and
  ``projected_shortfall`` = required - projected_at_due (never negative).

:func:`evaluate` is pure (frames in, frames out); :func:`run` reads and writes the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rollout.db import session_scope
from rollout.formatting import json_value
from rollout.models import ImportBatch
from rollout.models_alerts import Alert, AlertState
from rollout.rows import each_row

KINDS = ("at_risk", "missed", "met_late", "no_data", "early_warning")
DEFAULT_THRESHOLDS = (180, 90, 30)
QUARTER_DAYS = 365.25 / 4
COUNT_METRICS = frozenset({"ftth_connectable_premises", "mobile_5g_sites"})
FIGURES = ("status", "value_at_due", "observed_on", "achieved_value", "achieved_on",
           "delay_days",
           "shortfall_premises", "projected_on", "denominator_premises", "due_batch_id",
           "achieved_batch_id", "premises_batch_id")


def transition_kind(before: str | None, after: str) -> str | None:
    """The alert kind of a status change, or None (baseline, no change, or not alerted)."""
    if before is None or before == after:
        return None
    if after == "missed":
        return "missed"
    if after == "at_risk" and before == "on_track":
        return "at_risk"
    if after == "met_late" and before == "missed":
        return "met_late"
    if after == "no_data":
        return "no_data"
    return None


def _count(row: Any, value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    if row.metric in COUNT_METRICS:
        return int(round(float(value)))
    premises = row.denominator_premises
    if premises is None or pd.isna(premises):
        return None
    return int(round(float(value) * int(premises)))


def _required(row: Any) -> int | None:
    if row.metric in COUNT_METRICS:
        return math.ceil(float(row.target) - 1e-9)
    if row.denominator_premises is None or pd.isna(row.denominator_premises):
        return None
    return math.ceil(float(row.target) * int(row.denominator_premises) - 1e-9)


def pace(row: Any, past: Any | None, as_of: dt.date) -> dict[str, Any]:
    """Pace figures of one not-yet-due milestone (see the module docstring)."""
    required = _required(row)
    achieved = _count(row, row.achieved_value)
    observed = row.achieved_on
    out: dict[str, Any] = {
        "days_to_due": (row.due_on - as_of).days, "projected_on": json_value(row.projected_on),
        "required": required, "achieved": achieved, "needed_per_quarter": None,
        "recent_per_quarter": None, "projected_at_due": None, "projected_shortfall": None,
        "unit": "sites" if row.metric == "mobile_5g_sites" else "premises",
    }
    if required is None or achieved is None or observed is None:
        return out
    quarters_left = max((row.due_on - observed).days, 1) / QUARTER_DAYS
    out["needed_per_quarter"] = round(max(required - achieved, 0) / quarters_left, 1)
    past_count = None if past is None else _count(past, past.achieved_value)
    if past_count is not None and past.achieved_on is not None and past.achieved_on < observed:
        per_day = (achieved - past_count) / (observed - past.achieved_on).days
        out["recent_per_quarter"] = round(per_day * QUARTER_DAYS, 1)
        projected = achieved + per_day * (row.due_on - observed).days
        out["projected_at_due"] = int(math.floor(projected))
        out["projected_shortfall"] = max(required - out["projected_at_due"], 0)
    return out


def behind_pace(status: str, figures: dict[str, Any]) -> bool:
    """At risk, or needing more premises per quarter than the recent pace gives."""
    needed, recent = figures.get("needed_per_quarter"), figures.get("recent_per_quarter")
    if status == "at_risk":
        return True
    return needed is not None and needed > 0 and (recent is None or needed > recent)


def warning_window(days_to_due: int, thresholds: tuple[int, ...]) -> int | None:
    """The smallest window (days before due) that ``days_to_due`` is in, or None."""
    inside = [t for t in thresholds if 0 < days_to_due <= t]
    return min(inside) if inside else None


def figures_of(row: Any) -> dict[str, Any]:
    return {name: json_value(getattr(row, name)) for name in FIGURES}


@dataclass
class Found:
    """One alert found by :func:`evaluate`, before it is stored."""

    kind: str
    row: Any
    before: dict[str, Any] | None
    after: dict[str, Any]
    warning_days: int | None = None


@dataclass
class Evaluation:
    """New states per milestone id and the alerts found."""

    states: dict[int, dict[str, Any]] = field(default_factory=dict)
    alerts: list[Found] = field(default_factory=list)


def evaluate(
    current: pd.DataFrame,
    previous: dict[int, dict[str, Any]],
    as_of: dt.date,
    *,
    past: pd.DataFrame | None = None,
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS,
) -> Evaluation:
    """Compare milestone assessments ``current`` (as of ``as_of``) with ``previous`` states.

    ``previous`` maps milestone id -> ``{"status", "warning_days", "figures"}``; ``past`` is
    the assessment as of ``as_of`` - 365 days (recent pace). Pure: nothing is read or written.
    """
    past_rows = {} if past is None else {int(r.milestone_id): r for r in each_row(past)}
    result = Evaluation()
    for row in each_row(current):
        mid = int(row.milestone_id)
        before = previous.get(mid)
        figures = figures_of(row)
        warned = None if before is None else before.get("warning_days")
        if row.due_on > as_of and not bool(row.target_reached):
            figures["pace"] = pace(row, past_rows.get(mid), as_of)
            window = warning_window(figures["pace"]["days_to_due"], thresholds)
            if window is not None and behind_pace(row.status, figures["pace"]) and (
                warned is None or window < warned
            ):
                result.alerts.append(Found("early_warning", row, before and before["figures"],
                                           figures, window))
                warned = window
        kind = transition_kind(None if before is None else before["status"], row.status)
        if kind is not None:
            result.alerts.append(Found(kind, row, before["figures"], figures))
        result.states[mid] = {"status": row.status, "warning_days": warned, "figures": figures}
    return result


@dataclass
class RunResult:
    """What :func:`run` did: milestones evaluated, ids of the alerts stored."""

    evaluated: int
    alert_ids: list[int]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _needs_past(current: pd.DataFrame, as_of: dt.date, thresholds: tuple[int, ...]) -> bool:
    horizon = as_of + dt.timedelta(days=max(thresholds))
    due = pd.Series([d for d in current["due_on"]], dtype=object)
    return bool(((due > as_of) & (due <= horizon)).any())


def run(
    engine: Engine,
    *,
    as_of: dt.date | None = None,
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS,
) -> RunResult:
    """Evaluate every milestone as of ``as_of`` (default today) and store states and alerts.

    Idempotent: a second run on the same data finds the same statuses and windows, so no alert.
    """
    from rollout import compliance

    as_of = as_of or dt.date.today()
    # A writer from the start: it compares with the stored evaluations, then writes the new
    # ones, and another writer must not commit in between (SQLite would refuse the upgrade).
    with session_scope(engine, write=True) as session:
        current = compliance.assessments(session, as_of)
        if current.empty:
            return RunResult(0, [])
        past = None
        if _needs_past(current, as_of, thresholds):
            past = compliance.assessments(session, as_of - dt.timedelta(days=365))
        stored = {s.milestone_id: s for s in session.scalars(select(AlertState))}
        previous = {mid: {"status": s.status, "warning_days": s.warning_days,
                          "figures": s.figures} for mid, s in stored.items()}
        found = evaluate(current, previous, as_of, past=past, thresholds=thresholds)
        batch_id = session.scalar(
            select(func.max(ImportBatch.id)).where(ImportBatch.status == "loaded"))
        now = _utcnow()
        _save_states(session, stored, found.states, as_of, batch_id, now)
        alerts = [_alert(f, as_of, batch_id, now) for f in found.alerts]
        session.add_all(alerts)
        session.flush()
        return RunResult(len(current), [a.id for a in alerts])


def _save_states(session: Session, stored: dict[int, AlertState], states: dict, as_of: dt.date,
                 batch_id: int | None, now: dt.datetime) -> None:
    for mid, state in states.items():
        row = stored.get(mid)
        if row is None:
            session.add(AlertState(milestone_id=mid, as_of=as_of, batch_id=batch_id,
                                   evaluated_at=now, **state))
            continue
        if (row.status, row.warning_days, row.figures) != tuple(state.values()):
            row.status, row.warning_days, row.figures = tuple(state.values())
            row.as_of, row.batch_id, row.evaluated_at = as_of, batch_id, now


def _alert(found: Found, as_of: dt.date, batch_id: int | None, now: dt.datetime) -> Alert:
    row = found.row
    after = found.after
    evidence = {
        "before": found.before, "after": after,
        "batches": {"trigger": batch_id, "milestone": json_value(row.milestone_batch_id),
                    "due": after["due_batch_id"], "achieved": after["achieved_batch_id"],
                    "premises": after["premises_batch_id"]},
        "target": json_value(row.target),
    }
    return Alert(
        created_at=now, kind=found.kind, milestone_id=int(row.milestone_id),
        agreement_id=row.agreement_id, operator_code=row.operator_code,
        commune_insee=row.commune_insee, metric=row.metric, due_on=row.due_on,
        before_status=None if found.before is None else found.before["status"],
        after_status=row.status, warning_days=found.warning_days, as_of=as_of,
        trigger_batch_id=batch_id, evidence=evidence,
    )


def after_import(engine: Engine) -> RunResult:
    """Evaluate then deliver, after an import's commit (called by rollout.importing)."""
    from rollout import alert_delivery

    result = run(engine)
    if result.alert_ids:
        alert_delivery.deliver_pending(engine)
    return result


WARNING_COLUMNS = ["milestone_id", "agreement_id", "operator_code", "commune_insee", "metric",
                   "due_on", "status", "warning_days", "as_of", "days_to_due", "projected_on",
                   "needed_per_quarter", "recent_per_quarter", "projected_shortfall", "unit"]


def early_warnings(
    session: Session, *, commune: str | None = None, operator: str | None = None
) -> pd.DataFrame:
    """Milestones under an early warning at their latest evaluation, soonest due first.

    ``commune`` keeps that commune's milestones and the perimeter milestones of agreements
    covering it; ``operator`` keeps that operator's.
    """
    from rollout.models import Agreement, AgreementCommune, Milestone

    query = (select(AlertState, Milestone, Agreement.operator_code)
             .join(Milestone, Milestone.id == AlertState.milestone_id)
             .join(Agreement, Agreement.id == Milestone.agreement_id)
             .where(AlertState.warning_days.is_not(None)))
    if operator is not None:
        query = query.where(Agreement.operator_code == operator)
    if commune is not None:
        covering = select(AgreementCommune.agreement_id).where(AgreementCommune.insee == commune)
        query = query.where((Milestone.insee == commune) | (
            Milestone.insee.is_(None) & Milestone.agreement_id.in_(covering)))
    rows = []
    for state, milestone, code in session.execute(query).all():
        pace_ = (state.figures or {}).get("pace")
        if not pace_ or milestone.due_on <= state.as_of or not behind_pace(state.status, pace_):
            continue
        rows.append([milestone.id, milestone.agreement_id, code, milestone.insee,
                     milestone.metric, milestone.due_on, state.status, state.warning_days,
                     state.as_of, pace_["days_to_due"], pace_["projected_on"],
                     pace_["needed_per_quarter"], pace_["recent_per_quarter"],
                     pace_["projected_shortfall"], pace_["unit"]])
    frame = pd.DataFrame(rows, columns=WARNING_COLUMNS, dtype=object)
    return frame.sort_values(["due_on", "milestone_id"]).reset_index(drop=True)
