"""Builders of the assessment engine's hand-worked tests: milestones, observations, counts.

Shared by tests/test_assessment.py (FTTH rules to the day) and tests/test_assessment_5g.py
(5G metrics, input forms and the map status).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rollout.assessment import assess, assess_perimeter_breakdown

D = dt.date
DUE = D(2020, 12, 31)
SHARE = "ftth_connectable_share"
OR_RAD = "ftth_connectable_or_rad_share"


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
