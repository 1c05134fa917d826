"""Per-commune indicators: the latest connectable share and its denominator.

The denominator of an observation is the latest premises count dated on or before the
observation (else the earliest known), as in DESIGN.md "Assessment semantics".
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session

from rollout import assessment, queries


def commune_series(progress: pd.DataFrame) -> pd.DataFrame:
    """All-operator connectable series per commune.

    ARCEP's per-commune figures are already all-operator. Communes that only have
    per-operator observations (IPE files) get the sum over operators for each date.
    """
    columns = ["insee", "observed_on", "connectable", "rad", "batch_id", "source"]
    if progress.empty:
        return pd.DataFrame(columns=columns)
    all_ops = progress[progress["operator_code"].isna()][columns]
    per_op = progress[
        progress["operator_code"].notna() & ~progress["insee"].isin(all_ops["insee"])
    ]
    summed = (
        per_op.groupby(["insee", "observed_on"], as_index=False)
        .agg(connectable=("connectable", "sum"), rad=("rad", "sum"), batch_id=("batch_id", "max"))
        .assign(source="operators_sum")
    )
    return pd.concat([all_ops, summed[columns]], ignore_index=True)


def attach_denominator(observations: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Add ``premises``, ``premises_as_of``, ``premises_method``, ``premises_batch_id``.

    ``observations`` needs ``insee`` and ``observed_on``; ``counts`` is
    :func:`rollout.queries.premises_counts`. The assessment engine's own choice
    (:func:`rollout.assessment.denominators`), so that a share shown on the map or a commune
    sheet is the one the compliance reports use.
    """
    out = observations.reset_index(drop=True)
    if out.empty or counts.empty:
        out = out.copy()
        for column in ("premises", "premises_as_of", "premises_method", "premises_batch_id"):
            out[column] = pd.Series(dtype="object")
        return out
    return pd.concat([out, assessment.denominators(out, counts)], axis=1)


def latest_figures(session: Session, as_of: dt.date | None = None, *, metric_crs: int = 2154):
    """One row per commune with its latest connectable share on or before ``as_of``."""
    communes = queries.communes(session, geometry=True)
    area = communes.geometry.to_crs(epsg=metric_crs).area / 1e6
    base = pd.DataFrame({
        "insee": communes["insee"], "name": communes["name"],
        "population": communes["population"], "area_km2": area.round(2),
    })
    series = commune_series(queries.progress(session, as_of=as_of))
    latest = (
        series.sort_values("observed_on").drop_duplicates("insee", keep="last")
        if not series.empty else series
    )
    latest = attach_denominator(latest, queries.premises_counts(session))
    batches = queries.batches(session).set_index("batch_id")
    out = base.merge(latest, on="insee", how="left")
    out["connectable"] = out["connectable"].astype("Int64")
    out["premises"] = pd.to_numeric(out["premises"]).astype("Int64")
    share = out["connectable"].astype("Float64") / out["premises"].astype("Float64")
    out["connectable_share"] = share.round(4)
    out["over_100"] = (share > 1).fillna(False).astype(bool)
    out["source_file"] = out["batch_id"].map(batches["file_name"])
    out["synthetic"] = out["batch_id"].map(batches["synthetic"]).fillna(False).astype(bool)
    return out.drop(columns=["rad"], errors="ignore")
