"""Per-building files (IPE, ARCEP buildings) -> premises points and progress per operator.

Streamed chunk by chunk: memory stays bounded whatever the file size. Buildings without an
INSEE code get one from a point-in-polygon join on the loaded communes; buildings outside
every loaded commune are skipped and counted. Per commune x operator, the counts of
connectable (``DEPLOYE``) and on-demand (``RACCORDABLE DEMANDE``, ``RAD EN COURS DE
DEPLOIEMENT``) premises become progress observations dated by the file's as-of date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from geodata.premises import open_premises, summarise_chunk
from rollout.importing import ImportOutcome, LoadStats, run_import
from rollout.models import FtthProgress, ImportBatch
from rollout.operators import ensure_operator
from rollout.spatial import CommuneLocator

SOURCE = {"ipe": "ipe", "arcep_immeubles": "arcep_immeubles"}


def load(
    engine: Engine,
    path: str | Path,
    *,
    as_of: dt.date | None = None,
    chunksize: int = 100_000,
    keep_points: bool = True,
    synthetic: bool = False,
    imported_by: str | None = None,
) -> ImportOutcome:
    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        opened = open_premises(path, as_of=as_of, chunksize=chunksize)
        return _store(session, batch, opened, keep_points)

    return run_import(
        engine, path, "premises", loader, synthetic=synthetic, imported_by=imported_by
    )


def _store(session: Session, batch: ImportBatch, opened, keep_points: bool) -> LoadStats:
    locator = CommuneLocator(session)
    summaries: list[pd.DataFrame] = []
    rows_read = rows_loaded = located = outside = 0
    for chunk in opened.chunks():
        rows_read += len(chunk)
        insee = chunk["insee"].astype(object).where(chunk["insee"].notna(), None)
        missing = insee.isna().to_numpy()
        if missing.any():
            insee.loc[missing] = locator.locate(
                chunk.loc[missing, "lon"].to_numpy(), chunk.loc[missing, "lat"].to_numpy()
            )
            located += int(pd.notna(insee[missing]).sum())
        inside = insee.isin(locator.known).to_numpy()
        outside += int((~inside).sum())
        chunk = chunk.assign(insee=insee)[inside]
        if chunk.empty:
            continue
        rows_loaded += len(chunk)
        summaries.append(summarise_chunk(chunk))
        if keep_points:
            _insert_points(session, batch, chunk, opened.as_of)
    summary = _progress_rows(session, batch, summaries, opened)
    warnings = [f"{count} × {what}" for what, count in sorted(opened.warnings.items())]
    if outside:
        warnings.append(f"{outside} immeuble(s) hors des communes chargées : ignoré(s)")
    return LoadStats(
        rows_read=rows_read, rows_loaded=rows_loaded, rows_skipped=outside, warnings=warnings,
        summary={
            "format": opened.format, "as_of": opened.as_of.isoformat(),
            "located_by_spatial_join": located, "outside_communes": outside, **summary,
        },
    )


_POINT_COLUMNS = ("building_id, operator_code, insee, premises, premises_estimated, status, "
                  "status_date, observed_on, batch_id, source_row, geom")
# Driver-level executemany with the point built in SQL (ORM inserts of EWKT text were the
# bottleneck of the import: see benchmarks/premises_import.py).
_POINT_SQL = {
    "sqlite": f"INSERT INTO premises_point ({_POINT_COLUMNS}) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, MakePoint(?, ?, 4326))",
    "postgresql": f"INSERT INTO premises_point ({_POINT_COLUMNS}) VALUES "
                  "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                  "ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
}


def _insert_points(session: Session, batch: ImportBatch, chunk: pd.DataFrame, as_of) -> None:
    connection = session.connection()
    dialect = connection.dialect.name
    sqlite = dialect == "sqlite"

    def day(value):
        if pd.isna(value):
            return None
        value = pd.Timestamp(value).date()
        return value.isoformat() if sqlite else value

    operator = chunk["operator_code"].astype(object).where(chunk["operator_code"].notna(), None)
    estimated = chunk["premises_estimated"].astype(bool)
    rows = list(zip(
        chunk["building_id"].astype(object), operator, chunk["insee"].astype(object),
        chunk["premises"].astype("int64").tolist(),
        (estimated.astype(int) if sqlite else estimated).tolist(),
        chunk["status"].astype(str), [day(v) for v in chunk["status_date"]],
        [day(as_of)] * len(chunk), [batch.id] * len(chunk),
        chunk["source_row"].astype("int64").tolist(),
        chunk["lon"].astype(float).tolist(), chunk["lat"].astype(float).tolist(),
        strict=True,
    ))
    connection.exec_driver_sql(_POINT_SQL[dialect], rows)


def _progress_rows(session: Session, batch: ImportBatch, summaries, opened) -> dict:
    if not summaries:
        return {"observations_stored": 0}
    totals = (
        pd.concat(summaries)
        .groupby(["insee", "operator_code"], dropna=False, as_index=False)
        .sum()
    )
    records = []
    for row in totals.itertuples(index=False):
        operator = None if pd.isna(row.operator_code) else str(row.operator_code)
        if operator is not None:
            ensure_operator(session, operator)
        records.append({
            "insee": row.insee, "operator_code": operator, "observed_on": opened.as_of,
            "connectable": int(row.connectable), "rad": int(row.rad),
            "premises_total": int(row.premises_total - row.abandoned),
            "source": SOURCE[opened.format], "batch_id": batch.id, "source_row": None,
            "source_column": None,
        })
    session.execute(insert(FtthProgress), records)
    return {"observations_stored": len(records)}
