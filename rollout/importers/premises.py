"""Per-building files (IPE, ARCEP buildings) -> premises points and progress per operator.

Streamed chunk by chunk: memory stays bounded whatever the file size. Buildings without an
INSEE code get one from a point-in-polygon join on the loaded communes; buildings outside
every loaded commune are skipped and counted. Per commune x operator, the counts of
connectable (``DEPLOYE``) and on-demand (``RACCORDABLE DEMANDE``, ``RAD EN COURS DE
DEPLOIEMENT``) premises become progress observations dated by the file's as-of date.

Three ways, one result (tests/test_scale.py):
- points kept, SpatiaLite (or ``bulk=False``): row inserts, join in Python (STRtree), totals
  with pandas;
- points kept, PostgreSQL: COPY, then the join and the totals in SQL (rollout/bulk.py);
- ``keep_points=False``: totals only, streamed by ``rollout.scale.aggregate_buildings``
  (Arrow, or Dask over file partitions when a scheduler address is given); progress rows go
  in by COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from geodata.errors import InputError
from geodata.premises import PremisesFile, open_premises, summarise_chunk
from rollout import bulk, progress
from rollout.importing import ImportOutcome, LoadStats, run_import
from rollout.models import FtthProgress, ImportBatch
from rollout.operators import ensure_operator
from rollout.scale import BuildingTotals, aggregate_buildings, combine, locate_chunk
from rollout.spatial import CommuneLocator

SOURCE = {"ipe": "ipe", "arcep_immeubles": "arcep_immeubles"}


def load(
    engine: Engine,
    path: str | Path,
    *,
    as_of: dt.date | None = None,
    chunksize: int = 100_000,
    keep_points: bool = True,
    scheduler: str | None = None,
    bulk_load: bool = True,
    **journal: Any,
) -> ImportOutcome:
    """Import a building file; see the module docstring.

    ``scheduler``: address of a Dask scheduler computing the totals (points are not kept
    then). ``bulk_load=False`` turns COPY and the SQL joins off on PostgreSQL (the reference
    the tests compare them with).
    """
    if scheduler is not None and keep_points:
        raise ValueError("a Dask scheduler computes totals only: pass keep_points=False")

    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        copy = bulk_load and session.connection().dialect.name == "postgresql"
        if not keep_points:
            totals = aggregate_buildings(path, CommuneLocator(session), as_of=as_of,
                                         scheduler=scheduler, chunksize=chunksize)
        elif copy:
            totals = _store_copy(session, batch, open_premises(path, as_of=as_of,
                                                               chunksize=chunksize))
        else:
            totals = _store(session, batch, open_premises(path, as_of=as_of,
                                                          chunksize=chunksize),
                            CommuneLocator(session))
        return _stats(session, batch, totals, copy)

    return run_import(
        engine, path, "premises", loader, **journal
    )


# SpatiaLite updates its R*Tree point by point; past this file size, dropping the index and
# rebuilding it once at the end is faster (50,000 points: 7.9 s with the index, 2.4 s without
# plus 2.7 s to rebuild; the rebuild also covers rows already stored, hence a threshold).
REBUILD_INDEX_BYTES = 32 << 20


@contextmanager
def _rtree_rebuilt_after(session: Session, table: str = "premises_point", column: str = "geom"):
    """Drop the SpatiaLite index for the import, rebuild it after; a rollback restores it."""
    connection = session.connection()
    connection.exec_driver_sql(f"SELECT DisableSpatialIndex('{table}', '{column}')")
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "idx_{table}_{column}"')
    yield
    connection.exec_driver_sql(f"SELECT CreateSpatialIndex('{table}', '{column}')")


def _store(session: Session, batch: ImportBatch, opened: PremisesFile,
           locator: CommuneLocator) -> BuildingTotals:
    summaries: list[pd.DataFrame] = []
    rows_read = located = outside = 0
    big = opened.path.stat().st_size >= REBUILD_INDEX_BYTES
    sqlite = session.connection().dialect.name == "sqlite"
    with (_rtree_rebuilt_after(session) if big and sqlite else nullcontext(),
          _rows_bar(opened) as advance):
        for chunk in opened.chunks():
            rows_read += len(chunk)
            advance(len(chunk))
            inside, found, out = locate_chunk(chunk, locator)
            located, outside = located + found, outside + out
            if inside.empty:
                continue
            summaries.append(summarise_chunk(inside))
            _insert_points(session, batch, inside, opened.as_of)
    return BuildingTotals(combine(summaries), rows_read, located, outside, opened.format,
                          opened.as_of, "pandas", opened.warnings)


def _rows_bar(opened: PremisesFile) -> AbstractContextManager[progress.Advance]:
    """Rows read out of the file's estimated total, on a terminal (rollout.progress)."""
    return progress.bar(f"{opened.path.name} : immeubles", progress.estimated_rows(opened.path),
                        "lignes")


def _store_copy(session: Session, batch: ImportBatch, opened: PremisesFile) -> BuildingTotals:
    """PostgreSQL: COPY every point, then locate, drop the outsiders and total them in SQL."""
    connection = session.connection()
    rows_read = 0
    with _rows_bar(opened) as advance:
        for chunk in opened.chunks():
            rows_read += len(chunk)
            advance(len(chunk))
            bulk.copy_points(connection, chunk, batch.id, opened.as_of)
    located, outside = bulk.locate_points(connection, batch.id)
    return BuildingTotals(bulk.summarise_points(connection, batch.id), rows_read, located,
                          outside, opened.format, opened.as_of, "postgis", opened.warnings)


def _stats(session: Session, batch: ImportBatch, totals: BuildingTotals,
           copy: bool) -> LoadStats:
    if not totals.rows_read:
        # As the ARCEP and commitments readers: a header alone is no data (issue 14.13).
        raise InputError.single(batch.file_name, "no building row after the header",
                                code="empty_file")
    stored = _progress_rows(session, batch, totals, copy)
    warnings = [f"{count} × {what}" for what, count in sorted(totals.warnings.items())]
    if totals.outside:
        warnings.append(f"{totals.outside} immeuble(s) hors des communes chargées : ignoré(s)")
    return LoadStats(
        rows_read=totals.rows_read, rows_loaded=totals.rows_loaded, rows_skipped=totals.outside,
        warnings=warnings,
        summary={
            "format": totals.format, "as_of": totals.as_of.isoformat(),
            "located_by_spatial_join": totals.located, "outside_communes": totals.outside,
            "observations_stored": stored, "computed_by": totals.engine,
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


def _progress_rows(session: Session, batch: ImportBatch, totals: BuildingTotals,
                   copy: bool) -> int:
    summary = totals.summary
    if summary.empty:
        return 0
    for operator in summary["operator_code"].dropna().unique():
        ensure_operator(session, str(operator))
    records = pd.DataFrame({
        "insee": summary["insee"].astype(object),
        "operator_code": summary["operator_code"].astype(object).where(
            summary["operator_code"].notna(), None),
        "observed_on": totals.as_of,
        "connectable": summary["connectable"], "rad": summary["rad"],
        # Abandoned buildings are no longer premises to serve.
        "premises_total": summary["premises_total"] - summary["abandoned"],
        "source": SOURCE[totals.format], "batch_id": batch.id,
    })
    if copy:
        return bulk.copy_progress(session.connection(), records)
    rows = [{**r, "connectable": int(r["connectable"]), "rad": int(r["rad"]),
             "premises_total": int(r["premises_total"]), "source_row": None,
             "source_column": None} for r in records.to_dict("records")]
    session.execute(insert(FtthProgress), rows)
    return len(rows)
