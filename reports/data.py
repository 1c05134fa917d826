"""Reads the reports need beyond :mod:`rollout.compliance` and :mod:`rollout.queries`.

Figures still come from the assessment engine: :func:`trajectory` evaluates the engine at
each observation date instead of recomputing shares here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout import assessment, compliance, indicators, queries
from rollout.frames import concat_rows
from rollout.models import ImportBatch, Operator

BATCH_COLUMNS = ["batch_id", "kind", "file_name", "sha256", "imported_at", "rows_read",
                 "rows_loaded", "synthetic"]


def batches(session: Session, ids: set[int]) -> pd.DataFrame:
    """The evidence of each batch in ``ids``: file, sha256, import date, rows, synthetic flag."""
    rows = session.execute(
        select(ImportBatch.id, ImportBatch.kind, ImportBatch.file_name, ImportBatch.sha256,
               ImportBatch.finished_at, ImportBatch.rows_read, ImportBatch.rows_loaded,
               ImportBatch.synthetic)
        .where(ImportBatch.id.in_(sorted(int(i) for i in ids)))
        .order_by(ImportBatch.id)
    ).all()
    return pd.DataFrame(rows, columns=BATCH_COLUMNS)


def operator_names(session: Session) -> dict[str, str]:
    """Operator code -> name."""
    return dict(session.execute(select(Operator.code, Operator.name)).all())


def sites_5g(session: Session, insee: str, as_of: dt.date) -> pd.DataFrame:
    """5G sites of a commune in service on ``as_of``, per operator (empty when none loaded)."""
    from rollout.mobile import sites_frame

    sites = sites_frame(session)
    sites = sites[(sites["insee"] == insee) & sites["has_5g"]
                  & (pd.to_datetime(sites["in_service_on"]) <= pd.Timestamp(as_of))]
    grouped = sites.groupby(["operator_code", "operator_name"], dropna=False)
    return grouped.agg(sites=("station_id", "nunique"), batch_id=("batch_id", "max")).reset_index()


def upcoming_works(session: Session, insee: str, as_of: dt.date) -> pd.DataFrame:
    """Public works touching a commune, planned or ongoing on ``as_of``, soonest first."""
    from rollout.mobile import upcoming_works as upcoming

    works = upcoming(session, as_of, insee)
    return pd.DataFrame(works[["title", "kind", "owner", "start_at", "end_at", "status",
                               "batch_id"]])


def trajectory(
    session: Session, milestone_ids: list[int], as_of: dt.date, *, breakdown: bool = True
) -> pd.DataFrame:
    """The engine's achieved value of each milestone (and each perimeter commune) over time.

    The engine is evaluated as of every progress observation date up to ``as_of``; each
    distinct ``achieved_on`` gives one point; ``breakdown`` adds the perimeter communes.
    Columns: ``milestone_id, commune_insee``
    (None for the whole perimeter), ``achieved_on, achieved_value``.
    """
    milestones = compliance.milestones(session)
    milestones = milestones[milestones["milestone_id"].isin(milestone_ids)]
    columns = ["milestone_id", "commune_insee", "achieved_on", "achieved_value"]
    progress = queries.progress(session, as_of=as_of, for_engine=True)
    if milestones.empty or progress.empty:
        return pd.DataFrame(columns=columns)
    perimeters, counts = compliance.perimeters(session), queries.premises_counts(session)
    # Only the communes these milestones read: their own, and their agreements' perimeters
    # (a national report charts a handful of milestones out of millions of observations).
    whole = set(milestones.loc[milestones["insee"].isna(), "agreement_id"])
    wanted = set(milestones["insee"].dropna()) | set(
        perimeters.loc[perimeters["agreement_id"].isin(whole), "insee"])
    progress = progress[progress["insee"].isin(wanted)]
    counts = counts[counts["insee"].isin(wanted)]
    perimeters = perimeters[perimeters["agreement_id"].isin(set(milestones["agreement_id"]))]
    parts = []
    days = np.unique(progress["observed_on"].to_numpy().astype("datetime64[D]"))
    for day in days.astype(object):
        own, per_commune = assessment.assess_with_breakdown(
            milestones, perimeters, progress, counts, day)
        parts.append(own[columns])
        if breakdown:
            parts.append(per_commune[columns])
    frame = concat_rows(parts, columns)
    frame = frame[frame["achieved_on"].notna() & frame["achieved_value"].notna()]
    return frame.drop_duplicates(["milestone_id", "commune_insee", "achieved_on"]).sort_values(
        ["milestone_id", "commune_insee", "achieved_on"], na_position="first", ignore_index=True)


@dataclass
class Snapshot:
    """Everything the elected officials' reports show, read once for a given as-of date."""

    as_of: dt.date
    communes: gpd.GeoDataFrame
    figures: pd.DataFrame
    milestones: pd.DataFrame
    breakdown: pd.DataFrame
    status: pd.DataFrame
    agreements: pd.DataFrame
    operators: dict[str, str]

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.communes["insee"], self.communes["name"], strict=True))


def snapshot(session: Session, as_of: dt.date) -> Snapshot:
    """Communes, latest figures, assessments and map statuses as of ``as_of``."""
    own, breakdown = compliance.assessments_with_breakdown(session, as_of)
    status = compliance.status_of(own, breakdown)
    return Snapshot(
        as_of=as_of,
        communes=queries.communes(session, geometry=True),
        figures=indicators.latest_figures(session, as_of),
        milestones=own,
        breakdown=breakdown,
        status=status,
        agreements=compliance.agreements(session),
        operators=operator_names(session),
    )


def share_history(session: Session, insee: str, as_of: dt.date) -> pd.DataFrame:
    """All-operator connectable share of one commune at each observation up to ``as_of``.

    Same series and denominator rule as :func:`rollout.indicators.latest_figures`.
    """
    progress = queries.progress(session, as_of=as_of)
    series = indicators.commune_series(progress[progress["insee"] == insee])
    if series.empty:
        return pd.DataFrame(columns=["observed_on", "share", "batch_id", "premises_batch_id"])
    series = indicators.attach_denominator(series, queries.premises_counts(session))
    share = series["connectable"].astype("Float64") / pd.to_numeric(series["premises"])
    return pd.DataFrame({
        "observed_on": series["observed_on"], "share": share.round(4).astype(float),
        "batch_id": series["batch_id"], "premises_batch_id": series["premises_batch_id"],
    }).sort_values("observed_on", ignore_index=True)
