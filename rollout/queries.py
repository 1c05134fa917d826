"""Read models: frames out of the database for the CLI, the web app and the reports.

Both backends return the same frames. Where a figure was revised by a later publication,
the newest batch wins; the older row stays in the database as evidence.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely
from geoalchemy2 import functions as gfunc
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.models import (
    SRID,
    Commune,
    CommuneOperators,
    FtthProgress,
    ImportBatch,
    PremisesCount,
)


def communes(session: Session, *, geometry: bool = False) -> pd.DataFrame | gpd.GeoDataFrame:
    """All communes, sorted by INSEE code; with their current boundary when asked."""
    columns = [Commune.insee, Commune.name, Commune.epci_siren, Commune.population,
               Commune.boundary_version, Commune.batch_id]
    if geometry:
        columns.append(gfunc.ST_AsBinary(Commune.geom).label("wkb"))
    rows = session.execute(select(*columns).order_by(Commune.insee)).all()
    names = ["insee", "name", "epci_siren", "population", "boundary_version", "batch_id"]
    if not geometry:
        return pd.DataFrame(rows, columns=names).astype({"population": "Int64"})
    frame = pd.DataFrame(rows, columns=[*names, "wkb"])
    geoms = shapely.from_wkb([bytes(w) for w in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRID}").astype(
        {"population": "Int64"}
    )


def batches(session: Session) -> pd.DataFrame:
    """Batch id -> file name, sha256, import date, synthetic flag (the evidence chain)."""
    rows = session.execute(
        select(ImportBatch.id, ImportBatch.kind, ImportBatch.file_name, ImportBatch.sha256,
               ImportBatch.finished_at, ImportBatch.synthetic, ImportBatch.status)
    ).all()
    return pd.DataFrame(
        rows,
        columns=["batch_id", "kind", "file_name", "sha256", "imported_at", "synthetic", "status"],
    )


def progress(session: Session, *, as_of: dt.date | None = None) -> pd.DataFrame:
    """FTTH observations (current revision of each), optionally up to ``as_of``."""
    query = select(
        FtthProgress.insee, FtthProgress.operator_code, FtthProgress.observed_on,
        FtthProgress.connectable, FtthProgress.rad, FtthProgress.premises_total,
        FtthProgress.source, FtthProgress.batch_id, FtthProgress.source_row,
    )
    if as_of is not None:
        query = query.where(FtthProgress.observed_on <= as_of)
    frame = pd.DataFrame(
        session.execute(query).all(),
        columns=["insee", "operator_code", "observed_on", "connectable", "rad",
                 "premises_total", "source", "batch_id", "source_row"],
    )
    frame = frame.astype({"connectable": "Int64", "rad": "Int64", "premises_total": "Int64"})
    return _current_revision(frame, ["insee", "operator_code", "observed_on"])


def premises_counts(session: Session) -> pd.DataFrame:
    """Every denominator vintage (current revision of each)."""
    frame = pd.DataFrame(
        session.execute(
            select(PremisesCount.insee, PremisesCount.as_of, PremisesCount.premises,
                   PremisesCount.method, PremisesCount.batch_id, PremisesCount.source_row)
        ).all(),
        columns=["insee", "as_of", "premises", "method", "batch_id", "source_row"],
    ).astype({"premises": "Int64"})
    return _current_revision(frame, ["insee", "as_of", "method"])


def commune_operators(session: Session) -> pd.DataFrame:
    """Latest committed / infrastructure operators per commune."""
    frame = pd.DataFrame(
        session.execute(
            select(CommuneOperators.insee, CommuneOperators.as_of,
                   CommuneOperators.committed_operators,
                   CommuneOperators.infrastructure_operators, CommuneOperators.batch_id)
        ).all(),
        columns=["insee", "as_of", "committed_operators", "infrastructure_operators", "batch_id"],
    )
    return (
        frame.sort_values(["as_of", "batch_id"])
        .drop_duplicates("insee", keep="last")
        .reset_index(drop=True)
    )


def _current_revision(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return (
        frame.sort_values("batch_id")
        .drop_duplicates(key, keep="last", ignore_index=True)
        .sort_values(key, ignore_index=True, na_position="first")
    )
