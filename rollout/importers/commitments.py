"""Commitments: agreements, perimeters and milestones, all or nothing.

An agreement id already in the database is refused rather than overwritten: an amendment
(a deadline moved by decree, a new volume target) is a new legal act and is encoded as a
new agreement id citing its own source document, so both stay on record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from geodata.commitments import read_commitments
from geodata.errors import InputError, ProblemCollector
from rollout.importing import ImportOutcome, LoadStats, check_lengths, run_import
from rollout.models import (
    Agreement,
    AgreementCommune,
    Commune,
    ImportBatch,
    Milestone,
    Operator,
)
from rollout.operators import ensure_operator
from rollout.rows import each_row


def load(
    engine: Engine,
    path: str | Path,
    **journal: Any,
) -> ImportOutcome:
    def loader(session: Session, batch: ImportBatch) -> LoadStats:
        return _store(session, batch, read_commitments(path), Path(path).name)

    return run_import(
        engine, path, "commitments", loader, **journal
    )


def _store(session: Session, batch: ImportBatch, read, file_name: str) -> LoadStats:
    _check_against_database(session, read, file_name)
    check_lengths(read.agreements, Agreement, {"agreement_id": "id", "name": "name"}, file_name)
    check_lengths(read.agreements, Operator, {"operator_name": "name"}, file_name)
    for row in each_row(read.agreements, index=False):
        ensure_operator(session, row.operator_code, row.operator_name or None)
    session.execute(insert(Agreement), [
        {
            "id": r.agreement_id, "name": r.name or r.agreement_id,
            "operator_code": r.operator_code, "signed_on": r.signed_on,
            "source_document": r.source_document or None, "batch_id": batch.id,
            "source_row": int(r.source_row),
        }
        for r in each_row(read.agreements, index=False)
    ])
    if len(read.perimeter):
        session.execute(insert(AgreementCommune), [
            {"agreement_id": r.agreement_id, "insee": r.insee, "batch_id": batch.id,
             "source_row": int(r.source_row)}
            for r in each_row(read.perimeter, index=False)
        ])
    if len(read.milestones):
        session.execute(insert(Milestone), [
            {
                "agreement_id": r.agreement_id, "insee": r.insee, "metric": r.metric,
                "target": float(r.target), "due_on": r.due_on,
                "rad_cap": None if r.rad_cap is None or r.rad_cap != r.rad_cap
                else float(r.rad_cap),
                "batch_id": batch.id, "source_row": int(r.source_row),
            }
            for r in each_row(read.milestones, index=False)
        ])
    rows = len(read.perimeter) + len(read.milestones)
    return LoadStats(
        rows_read=rows, rows_loaded=rows, rows_skipped=0, warnings=list(read.warnings),
        summary={
            "agreements": len(read.agreements), "perimeter_communes": len(read.perimeter),
            "milestones": len(read.milestones),
        },
    )


def _check_against_database(session: Session, read, file_name: str) -> None:
    """Unknown communes and agreement ids already loaded: one problem per cell."""
    problems = ProblemCollector(file_name)
    known = set(session.scalars(select(Commune.insee)))
    for frame in (read.perimeter, read.milestones):
        for row in each_row(frame, index=False):
            if row.insee is not None and row.insee not in known:
                problems.add("commune not loaded in the database (import communes first)",
                             row=int(row.source_row), column="commune_insee", value=row.insee)
    loaded = dict(session.execute(
        select(Agreement.id, Agreement.batch_id)
        .where(Agreement.id.in_(list(read.agreements["agreement_id"])))
    ).all())
    for row in each_row(read.agreements, index=False):
        if row.agreement_id in loaded:
            problems.add(
                f"agreement already loaded (batch {loaded[row.agreement_id]}); encode an "
                "amendment under a new agreement_id",
                row=int(row.source_row), column="agreement_id", value=row.agreement_id,
            )
    if problems:
        raise InputError(list(problems.problems), code="conflict")
