"""The import service every importer goes through.

One file = one :class:`~rollout.models.ImportBatch` = one transaction. Either the whole file
loads, or the data tables are left exactly as they were; the refused attempt is then recorded
in the import journal (batch with status ``rejected`` and one ``import_error`` per problem) so
the data steward sees what was wrong. A file already loaded (same kind, same sha256) is
reported as such and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geodata.errors import InputError, Problem, ProblemCollector
from rollout import audit, evidence, progress
from rollout.db import session_scope
from rollout.models import Commune, ImportBatch, ImportError_

_log = logging.getLogger(__name__)

KINDS = ("communes", "arcep", "premises", "commitments", "sites", "works")
# Figures of communes that are not loaded are skipped: before any commune, such a file
# would load nothing and then count as "already imported" (issue 14 item 6).
NEEDS_COMMUNES = ("arcep", "premises", "sites")


@dataclass
class LoadStats:
    """What a loader reports back to the service."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    # Rows left out of a loaded batch (works feeds read with skip_invalid): journaled with it.
    rejected: list[Problem] = field(default_factory=list)


@dataclass
class ImportOutcome:
    """The result of one import, as shown by the CLI, the web upload and the journal."""

    status: str  # loaded | duplicate | rejected
    kind: str
    file_name: str
    sha256: str
    batch_id: int | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: int = 0
    rows_rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One human line (French, like the rest of the interface)."""
        if self.status == "duplicate":
            return (
                f"{self.file_name} : déjà importé (lot {self.batch_id}, même sha256 "
                f"{self.sha256[:12]}…) — rien n'a changé"
            )
        if self.status == "rejected":
            return (
                f"{self.file_name} : refusé, {len(self.problems)} problème(s) — "
                "aucune donnée n'a été modifiée"
            )
        rejected = (f", {self.rows_rejected} rejetées (détail dans le journal des imports)"
                    if self.rows_rejected else "")
        # A communes re-import skips the communes it already holds unchanged: say so.
        skipped = ("inchangées" if self.rows_skipped
                   and self.summary.get("unchanged") == self.rows_skipped else "ignorées")
        return (
            f"{self.file_name} : lot {self.batch_id} importé — {self.rows_read} lignes lues, "
            f"{self.rows_loaded} chargées, {self.rows_skipped} {skipped}{rejected}"
        )


class ImportRejected(Exception):
    """Raised after a refused import has been journaled; carries the outcome."""

    def __init__(self, outcome: ImportOutcome) -> None:
        self.outcome = outcome
        super().__init__("\n".join(str(p) for p in outcome.problems))


Loader = Callable[[Session, ImportBatch], LoadStats]


def file_sha256(path: str | Path, advance: progress.Advance | None = None) -> str:
    """sha256 of a file, streamed (files may be gigabytes); ``advance`` gets the bytes read."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            if advance is not None:
                advance(len(block))
    return digest.hexdigest()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def find_loaded(session: Session, kind: str, sha256: str) -> ImportBatch | None:
    return session.scalar(
        select(ImportBatch)
        .where(ImportBatch.kind == kind, ImportBatch.sha256 == sha256)
        .where(ImportBatch.status == "loaded", ImportBatch.rows_loaded > 0)
        .order_by(ImportBatch.id)
        .limit(1)
    )


def say_waiting() -> None:
    """Tell the user on stderr that this import waits for another writer (issue 13)."""
    print("en attente : un autre import (ou une autre écriture) est en cours sur cette base ; "
          "celui-ci reprendra dès sa fin (waiting for the other import)", file=sys.stderr,
          flush=True)


def run_import(
    engine: Engine,
    path: str | Path,
    kind: str,
    loader: Loader,
    *,
    imported_by: str | None = None,
    synthetic: bool = False,
    display_name: str | None = None,
    stored_path: str | None = None,
    on_wait: Callable[[], None] = say_waiting,
) -> ImportOutcome:
    """Load ``path`` with ``loader`` inside one transaction; see the module docstring.

    The transaction is a writer from its start: an import running at the same time makes
    this one wait (``on_wait()`` says so), then see its batch — a second import of the same
    file is then refused as a duplicate instead of failing with "database is locked".
    """
    if kind not in KINDS:
        raise ValueError(f"kind was {kind!r}; expected one of {list(KINDS)}")
    path = Path(path)
    name = display_name or path.name
    if not path.exists():
        raise InputError.single(name, "file not found", code="not_found")
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        sha256 = _directory_sha256(path)
    else:
        size = path.stat().st_size
        with progress.bar(f"{name} : sha256", size, "o") as advance:
            sha256 = file_sha256(path, advance)
    started = _utcnow()
    try:
        with session_scope(engine, write=True, on_wait=on_wait) as session:
            if kind in NEEDS_COMMUNES and session.scalar(select(Commune.insee).limit(1)) is None:
                raise InputError.single(
                    name, "no commune is loaded: import the communes first (rollout import "
                          "communes FILE)", code="no_communes")
            existing = find_loaded(session, kind, sha256)
            if existing is not None:
                outcome = ImportOutcome(
                    status="duplicate", kind=kind, file_name=name, sha256=sha256,
                    batch_id=existing.id,
                )
                _audit(session, outcome, size, imported_by)
                evidence.keep(evidence.store_folder(engine.url), path, sha256)
                return outcome
            batch = ImportBatch(
                kind=kind, file_name=name, sha256=sha256, size_bytes=size, status="loaded",
                started_at=started, imported_by=imported_by, synthetic=synthetic,
                stored_path=stored_path, rows_read=0, rows_loaded=0, rows_skipped=0,
                rows_rejected=0,
            )
            session.add(batch)
            session.flush()
            stats = loader(session, batch)
            batch.rows_read = stats.rows_read
            batch.rows_loaded = stats.rows_loaded
            batch.rows_skipped = stats.rows_skipped
            batch.rows_rejected = len({p.row for p in stats.rejected})
            batch.errors = _journal_rows(stats.rejected)
            batch.finished_at = _utcnow()
            batch.summary = {**stats.summary, "warnings": stats.warnings}
            outcome = ImportOutcome(
                status="loaded", kind=kind, file_name=name, sha256=sha256, batch_id=batch.id,
                rows_read=stats.rows_read, rows_loaded=stats.rows_loaded,
                rows_skipped=stats.rows_skipped, rows_rejected=batch.rows_rejected,
                warnings=stats.warnings, problems=list(stats.rejected), summary=stats.summary,
            )
            # Same transaction as the batch: the event exists exactly when the data does.
            _audit(session, outcome, size, imported_by)
            # Kept before the commit: a loaded batch always has its file in the store.
            evidence.keep(evidence.store_folder(engine.url), path, sha256)
    except InputError as exc:
        outcome = ImportOutcome(
            status="rejected", kind=kind, file_name=name, sha256=sha256, batch_id=None,
            rows_rejected=len(exc.problems), problems=list(exc.problems),
        )
        outcome.batch_id = _journal_rejection(
            engine, outcome, size, started, imported_by, synthetic, stored_path, exc.code
        )
        raise ImportRejected(outcome) from exc
    _after_commit(engine, outcome)
    return outcome


def _after_commit(engine: Engine, outcome: ImportOutcome) -> None:
    """Alerts after a loaded batch: outside its transaction, and never failing the import."""
    if os.environ.get("ROLLOUT_ALERTS_AFTER_IMPORT", "1").strip().lower() in ("0", "false",
                                                                               "no", "off"):
        return
    try:
        from rollout import alerts

        outcome.summary["alerts"] = len(alerts.after_import(engine).alert_ids)
    except Exception:  # the data is committed: a failing alert run is logged, not raised
        _log.exception("alerts after import of batch %s failed", outcome.batch_id)


def _journal_rejection(
    engine: Engine,
    outcome: ImportOutcome,
    size: int,
    started: dt.datetime,
    imported_by: str | None,
    synthetic: bool,
    stored_path: str | None,
    code: str,
) -> int:
    with session_scope(engine, write=True) as session:
        batch = ImportBatch(
            kind=outcome.kind, file_name=outcome.file_name, sha256=outcome.sha256,
            size_bytes=size, status="rejected", started_at=started, finished_at=_utcnow(),
            imported_by=imported_by, synthetic=synthetic, stored_path=stored_path,
            rows_read=0, rows_loaded=0, rows_skipped=0, rows_rejected=outcome.rows_rejected,
            summary={"code": code},
        )
        batch.errors = _journal_rows(outcome.problems)
        session.add(batch)
        session.flush()
        outcome.batch_id = batch.id
        _audit(session, outcome, size, imported_by)
        return batch.id


def _journal_rows(problems: list[Problem]) -> list[ImportError_]:
    return [ImportError_(row=p.row, column=p.column, value=p.value, reason=p.reason)
            for p in problems]


def _audit(session: Session, outcome: ImportOutcome, size: int, username: str | None) -> None:
    """One ``import`` audit event per attempt: loaded, duplicate or rejected."""
    audit.record(session, "import", username, outcome.batch_id, {
        "kind": outcome.kind, "status": outcome.status, "file_name": outcome.file_name,
        "sha256": outcome.sha256, "size_bytes": size, "rows_loaded": outcome.rows_loaded,
        "problems": len(outcome.problems),
    })


def _directory_sha256(folder: Path) -> str:
    """A stable digest of a folder of tables (ANFR exports may come unzipped)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(file.relative_to(folder).as_posix().encode())
        digest.update(file_sha256(file).encode())
    return digest.hexdigest()


def check_lengths(frame: pd.DataFrame, model: type, columns: list[str] | dict[str, str],
                  file: str) -> None:
    """Refuse values longer than their database column (PostgreSQL would fail mid-import);
    ``columns`` names the frame's columns, or maps them to the model's when names differ."""
    problems = ProblemCollector(file)
    targets = columns if isinstance(columns, dict) else {c: c for c in columns}
    for column, target in targets.items():
        limit = model.__table__.c[target].type.length
        text = frame[column].astype(object).where(frame[column].notna(), "").map(str)
        too_long = (text.str.len() > limit).to_numpy()
        for row, value in zip(frame["source_row"][too_long], text[too_long], strict=True):
            problems.add(f"longer than {limit} characters", row=int(row), column=column,
                         value=value)
    problems.raise_if_any("value_too_long")
