"""ARCEP per-commune observatory -> premises denominators, operators and FTTH progress.

A national file into a metropolitan database is normal: rows of communes that are not
loaded are skipped and counted. Figures already stored with the same value (the same
quarter appears in every later publication) are not stored twice; a figure that differs
from what an earlier publication said is stored as a revision (the newest batch wins in
queries, the older one stays as evidence) and counted in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from geodata.arcep import read_arcep
from rollout.importing import ImportOutcome, LoadStats, run_import
from rollout.models import Commune, CommuneOperators, FtthProgress, ImportBatch, PremisesCount
from rollout.rows import each_row


def load(
    engine: Engine,
    path: str | Path,
    **journal: Any,
) -> ImportOutcome:
    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        # Read inside the import so bad input is journaled like any refused batch.
        return _store(session, batch, read_arcep(path))

    return run_import(engine, path, "arcep", loader, **journal)


def _store(session: Session, batch: ImportBatch, read) -> LoadStats:
    known = set(session.scalars(select(Commune.insee)))
    rows_read = rows_loaded = rows_skipped = 0
    unknown: set[str] = set()
    summary: dict = {"layout": read.layout, "vintage": read.vintage.isoformat()}
    warnings = list(read.warnings)

    if read.communes is not None:
        info = read.communes
        rows_read += len(info)
        mask = info["insee"].isin(known)
        unknown |= set(info.loc[~mask, "insee"])
        info = info[mask]
        rows_skipped += int((~mask).sum())
        counts = _new_premises_counts(session, info)
        if len(counts):
            session.execute(insert(PremisesCount), [
                {
                    "insee": r.insee, "as_of": r.premises_as_of, "premises": int(r.premises),
                    "logements": _int_or_none(r.logements),
                    "etablissements": _int_or_none(r.etablissements),
                    "method": r.premises_method, "batch_id": batch.id,
                    "source_row": int(r.source_row),
                }
                for r in each_row(counts, index=False)
            ])
        if len(info):
            session.execute(insert(CommuneOperators), [
                {
                    "insee": r.insee, "as_of": r.premises_as_of,
                    "committed_operators": r.committed_operators or "",
                    "infrastructure_operators": r.oi or "", "batch_id": batch.id,
                    "source_row": int(r.source_row),
                }
                for r in each_row(info, index=False)
            ])
        rows_loaded += len(info)
        summary["premises_counts_stored"] = len(counts)

    if read.progress is not None:
        progress = read.progress.dropna(subset=["connectable"])
        communes_in_progress = progress["insee"].nunique()
        mask = progress["insee"].isin(known)
        unknown |= set(progress.loc[~mask, "insee"])
        skipped_communes = progress.loc[~mask, "insee"].nunique()
        progress = progress[mask]
        new, revised, already = _new_progress(session, progress)
        if len(new):
            session.execute(insert(FtthProgress), [
                {
                    "insee": r.insee, "operator_code": None, "observed_on": r.observed_on,
                    "connectable": int(r.connectable), "rad": None, "premises_total": None,
                    "source": "arcep", "batch_id": batch.id, "source_row": int(r.source_row),
                    "source_column": r.source_column,
                }
                for r in each_row(new, index=False)
            ])
        if read.communes is None:
            rows_read += communes_in_progress
            rows_skipped += skipped_communes
            rows_loaded += communes_in_progress - skipped_communes
        summary.update({
            "observations_stored": len(new), "observations_revised": revised,
            "observations_already_known": already,
            "quarters": sorted({d.isoformat() for d in progress["observed_on"]}),
        })
        if revised:
            warnings.append(
                f"{revised} valeur(s) trimestrielle(s) diffèrent d'une publication antérieure : "
                "stockées comme révisions"
            )
    summary["communes_not_loaded"] = len(unknown)
    if unknown:
        warnings.append(
            f"{len(unknown)} commune(s) du fichier absente(s) de la base : ignorée(s)"
        )
    return LoadStats(rows_read, rows_loaded, rows_skipped, warnings, summary)


def _new_premises_counts(session: Session, info: pd.DataFrame) -> pd.DataFrame:
    """Drop denominators already stored with the same value (same commune, date, method)."""
    info = info.dropna(subset=["premises"])
    if info.empty:
        return info
    existing = pd.DataFrame(
        session.execute(
            select(PremisesCount.insee, PremisesCount.as_of, PremisesCount.method,
                   PremisesCount.premises)
            .where(PremisesCount.insee.in_(list(info["insee"].unique())))
        ).all(),
        columns=["insee", "premises_as_of", "premises_method", "stored"],
    )
    if existing.empty:
        return info
    merged = info.merge(existing, on=["insee", "premises_as_of", "premises_method"], how="left")
    same = merged["stored"].notna() & (merged["stored"] == merged["premises"])
    return merged.loc[~same, info.columns]


def _new_progress(session: Session, progress: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Split observations into new or revised ones to store, and those already known."""
    if progress.empty:
        return progress, 0, 0
    rows = session.execute(
        select(FtthProgress.insee, FtthProgress.observed_on, FtthProgress.connectable,
               FtthProgress.batch_id)
        .where(FtthProgress.operator_code.is_(None))
        .where(FtthProgress.insee.in_(list(progress["insee"].unique())))
    ).all()
    if not rows:
        return progress, 0, 0
    existing = (
        pd.DataFrame(rows, columns=["insee", "observed_on", "stored", "batch_id"])
        .sort_values("batch_id")
        .drop_duplicates(["insee", "observed_on"], keep="last")  # the current value
        .drop(columns="batch_id")
    )
    merged = progress.merge(existing, on=["insee", "observed_on"], how="left")
    known = merged["stored"].notna()
    same = known & (merged["stored"] == merged["connectable"])
    revised = int((known & ~same).sum())
    return merged.loc[~same, progress.columns], revised, int(same.sum())


def _int_or_none(value) -> int | None:
    return None if pd.isna(value) else int(value)
