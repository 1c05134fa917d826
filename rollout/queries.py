"""Read models: frames out of the database for the CLI, the web app and the reports.

Both backends return the same frames. Where a figure was revised by a later publication,
the newest batch wins; the older row stays in the database as evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from geoalchemy2 import functions as gfunc
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout import columnar, known_at
from rollout.columnar import DATE, INT, TEXT
from rollout.models import (
    SRID,
    Commune,
    CommuneOperators,
    FtthProgress,
    ImportBatch,
    PremisesCount,
)


@overload
def communes(session: Session, *, geometry: Literal[False] = False) -> pd.DataFrame: ...


@overload
def communes(session: Session, *, geometry: Literal[True]) -> gpd.GeoDataFrame: ...


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


def progress(
    session: Session, *, as_of: dt.date | None = None, for_engine: bool = False
) -> pd.DataFrame:
    """FTTH observations (current revision of each), optionally up to ``as_of``.

    Read as columns (:mod:`rollout.columnar`). ``for_engine`` gives the keys as categoricals
    and the dates as ``datetime64``, which the assessment takes without hashing or parsing;
    otherwise the columns are text and ``datetime.date`` objects.
    """
    query = select(
        FtthProgress.insee, FtthProgress.operator_code, FtthProgress.observed_on,
        FtthProgress.connectable, FtthProgress.rad, FtthProgress.premises_total,
        FtthProgress.source, FtthProgress.batch_id, FtthProgress.source_row,
    )
    if as_of is not None:
        query = query.where(FtthProgress.observed_on <= as_of)
    table = columnar.fetch(session, known_at.restrict(query, FtthProgress.batch_id), {
        "insee": TEXT, "operator_code": TEXT, "observed_on": DATE, "connectable": INT,
        "rad": INT, "premises_total": INT, "source": TEXT, "batch_id": INT, "source_row": INT,
    })
    if not len(table):
        return pd.DataFrame(columns=table.column_names).astype(
            {"connectable": "Int64", "rad": "Int64", "premises_total": "Int64"})
    keys = {k: columnar.codes(table[k]) for k in ("insee", "operator_code", "observed_on")}
    rows = _current_rows(table, keys)
    key_column = columnar.categorical if for_engine else columnar.text
    day = columnar.datetimes if for_engine else columnar.dates
    return pd.DataFrame({
        "insee": key_column(*keys["insee"], rows),
        "operator_code": key_column(*keys["operator_code"], rows),
        "observed_on": day(*keys["observed_on"], rows),
        **{k: columnar.nullable_ints(table[k], rows)
           for k in ("connectable", "rad", "premises_total")},
        **{k: columnar.inferred(table[k], rows) for k in ("source", "batch_id", "source_row")},
    })


def premises_counts(session: Session) -> pd.DataFrame:
    """Every denominator vintage (current revision of each)."""
    table = columnar.fetch(
        session,
        known_at.restrict(
            select(PremisesCount.insee, PremisesCount.as_of, PremisesCount.premises,
                   PremisesCount.method, PremisesCount.batch_id, PremisesCount.source_row),
            PremisesCount.batch_id),
        {"insee": TEXT, "as_of": DATE, "premises": INT, "method": TEXT, "batch_id": INT,
         "source_row": INT},
    )
    if not len(table):
        return pd.DataFrame(columns=table.column_names).astype({"premises": "Int64"})
    keys = {k: columnar.codes(table[k]) for k in ("insee", "as_of", "method")}
    rows = _current_rows(table, keys)
    return pd.DataFrame({
        "insee": columnar.text(*keys["insee"], rows),
        "as_of": columnar.dates(*keys["as_of"], rows),
        "premises": columnar.nullable_ints(table["premises"], rows),
        "method": columnar.text(*keys["method"], rows),
        **{k: columnar.inferred(table[k], rows) for k in ("batch_id", "source_row")},
    })


def _current_rows(table: pa.Table, keys: dict[str, tuple]) -> np.ndarray:
    """The current revision's rows (newest batch of each key), sorted by key, NULLs first."""
    batch = table["batch_id"].to_numpy()
    return columnar.current(batch, [(coded, len(distinct)) for coded, distinct in keys.values()])



def commune_operators(session: Session) -> pd.DataFrame:
    """Latest committed / infrastructure operators per commune."""
    frame = pd.DataFrame(
        session.execute(known_at.restrict(
            select(CommuneOperators.insee, CommuneOperators.as_of,
                   CommuneOperators.committed_operators,
                   CommuneOperators.infrastructure_operators, CommuneOperators.batch_id),
            CommuneOperators.batch_id)).all(),
        columns=["insee", "as_of", "committed_operators", "infrastructure_operators", "batch_id"],
    )
    return (
        frame.sort_values(["as_of", "batch_id"])
        .drop_duplicates("insee", keep="last")
        .reset_index(drop=True)
    )

