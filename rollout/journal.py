"""The import journal as a frame (CLI ``imports``, web ``/imports``)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout.models import ImportBatch, ImportError_


def batch_history(session: Session) -> pd.DataFrame:
    """Every batch, newest first, with its error count."""
    errors = (
        select(ImportError_.batch_id, func.count().label("errors"))
        .group_by(ImportError_.batch_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ImportBatch.id, ImportBatch.kind, ImportBatch.file_name, ImportBatch.sha256,
            ImportBatch.size_bytes, ImportBatch.status, ImportBatch.started_at,
            ImportBatch.finished_at, ImportBatch.rows_read, ImportBatch.rows_loaded,
            ImportBatch.rows_skipped, ImportBatch.rows_rejected, ImportBatch.synthetic,
            ImportBatch.imported_by, func.coalesce(errors.c.errors, 0),
        )
        .outerjoin(errors, errors.c.batch_id == ImportBatch.id)
        .order_by(ImportBatch.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=[
        "batch_id", "kind", "file_name", "sha256", "size_bytes", "status", "started_at",
        "finished_at", "rows_read", "rows_loaded", "rows_skipped", "rows_rejected", "synthetic",
        "imported_by", "errors",
    ])


def batch_errors(session: Session, batch_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(ImportError_.row, ImportError_.column, ImportError_.value, ImportError_.reason)
        .where(ImportError_.batch_id == batch_id)
        .order_by(ImportError_.id)
    ).all()
    return pd.DataFrame(rows, columns=["row", "column", "value", "reason"])
