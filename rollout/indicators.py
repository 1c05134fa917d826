"""Per-commune indicators: the latest connectable share and its denominator.

The denominator of an observation is the latest premises count dated on or before the
observation (else the earliest known), as in DESIGN.md "Assessment semantics".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from rollout import queries

# When two denominators share a date, the ARCEP "meilleure estimation" (2020+) is preferred
# over INSEE logements + établissements and over operators' IPE counts.
METHOD_PREFERENCE = {"best_estimate": 0, "insee": 1, "ipe": 2}


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
    :func:`rollout.queries.premises_counts`.
    """
    out = observations.copy()
    if out.empty or counts.empty:
        for column in ("premises", "premises_as_of", "premises_method", "premises_batch_id"):
            out[column] = pd.Series(dtype="object")
        return out
    ranked = counts.assign(rank=counts["method"].map(METHOD_PREFERENCE).fillna(9))
    ranked = ranked.sort_values(["insee", "as_of", "rank"]).drop_duplicates(
        ["insee", "as_of"], keep="first"
    )
    ranked = ranked.rename(columns={
        "as_of": "premises_as_of", "method": "premises_method", "batch_id": "premises_batch_id",
    })[["insee", "premises_as_of", "premises", "premises_method", "premises_batch_id"]]
    left = out.assign(_key=pd.to_datetime(out["observed_on"]), _order=np.arange(len(out)))
    right = ranked.assign(_key=pd.to_datetime(ranked["premises_as_of"]))
    merged = pd.merge_asof(
        left.sort_values("_key"), right.sort_values("_key"),
        on="_key", by="insee", direction="backward",
    )
    # No count on or before the observation: fall back to the earliest known.
    earliest = right.sort_values("_key").drop_duplicates("insee", keep="first").set_index("insee")
    missing = merged["premises"].isna() & merged["insee"].isin(earliest.index)
    if missing.any():
        for column in ("premises", "premises_as_of", "premises_method", "premises_batch_id"):
            fallback = merged["insee"].map(earliest[column]).astype(object)
            merged[column] = merged[column].astype(object).where(~missing, fallback)
    return merged.sort_values("_order").drop(columns=["_key", "_order"]).reset_index(drop=True)


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
