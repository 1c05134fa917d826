"""Evidence bundles (issue 17.3): an operator-delay report with every source it rests on.

A bundle is one zip a third party can check without our database:

- ``report/<name>.pdf``, ``.xlsx`` and ``.csv``: the report, as the CLI renders it;
- ``sources/<batch id>/<file name>``: every file the assessment read (communes, ARCEP,
  premises, commitments and radio-site batches, loaded ones, in batch order), taken from the
  evidence store (:mod:`rollout.evidence`) by sha256; a folder import (ANFR) is its zip;
- ``manifest.json``: each file's role, sha256 and size, the batch it was (id, kind, import
  date, synthetic, import options), the software version, as-of date, parameters, the method
  text and, per CSV row, the batches and source row behind its figures;
- ``LISEZMOI.txt``: what the bundle is and how to check it, in French then English.

``rollout verify`` (:mod:`reports.verify`) re-checks it. Everything is deterministic: same
database and parameters -> the same bundle bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from importlib import metadata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from geodata.errors import InputError
from geodata.text import clean_cell
from reports import Rendered, operator_delay_report
from reports.common import METHOD_TEXTS
from reports.i18n import Words
from rollout import evidence, known_at
from rollout.models import ImportBatch

FORMAT = "rollout-evidence-bundle/1"
SOURCE_KINDS = ("communes", "arcep", "premises", "commitments", "sites")
FIGURE_COLUMNS = ("due_batch_id", "achieved_batch_id", "met_batch_id", "premises_batch_id",
                  "milestone_file", "milestone_source_row")
_STAMP = (1980, 1, 1, 0, 0, 0)
README = """Dossier de preuves — rapport de retard {operator}, situation au {as_of}

Ce fichier zip contient le rapport (PDF, XLSX, CSV), chacun des fichiers sources sur lesquels
il repose (dossier sources/, tels qu'importés, avec leur empreinte sha256) et manifest.json
(empreinte et taille de chaque fichier, lots d'import, lignes utilisées par chiffre, version
du logiciel, paramètres, méthode).

Vérifier : installer rollout (logiciel libre), puis
    rollout verify {name}
La commande recalcule chaque empreinte, réimporte les sources dans une base temporaire,
recalcule les évaluations et compare chaque chiffre avec le CSV du rapport ; elle termine
avec le code 0, ou 1 en nommant le premier fichier ou chiffre qui diffère.
Sans rollout : sha256sum sur chaque fichier et comparaison avec manifest.json.

Evidence bundle — delay report {operator}, as of {as_of}

This zip holds the report (PDF, XLSX, CSV), every source file it rests on (sources/, as
imported, with their sha256) and manifest.json (hash and size of every file, import batches,
rows used per figure, software version, parameters, method). Check it with
`rollout verify {name}`: it recomputes every hash, re-imports the sources into a temporary
database, recomputes the assessments and compares every figure with the report's CSV; exit
code 0, or 1 naming the first file or figure that differs.
"""


def software_version() -> str:
    """The installed rollout version (``unknown`` when run from a bare source tree)."""
    try:
        return metadata.version("rollout")
    except metadata.PackageNotFoundError:
        return "unknown"


def safe_name(name: str) -> str:
    """A file name from the journal as a zip member name: no folders, no control characters."""
    text = "".join(c for c in clean_cell(name) if c.isprintable())
    return Path(text.replace("\\", "/")).name.strip(". ") or "source"


def _sources(session: Session, store: Path) -> list[tuple[ImportBatch, Path]]:
    batches = session.scalars(known_at.restrict(
        select(ImportBatch).where(ImportBatch.status == "loaded",
                                  ImportBatch.kind.in_(SOURCE_KINDS))
        .order_by(ImportBatch.id), ImportBatch.id)
    ).all()
    out = []
    for batch in batches:
        kept = evidence.stored_file(store, batch.sha256)
        if kept is None:
            raise InputError.single(
                batch.file_name,
                f"source of batch {batch.id} is not in the evidence store {store} "
                "(imported before the store existed?): import the file again",
                code="evidence_missing")
        out.append((batch, kept))
    return out


def _figures(report_csv: bytes) -> list[dict]:
    rows = csv.DictReader(io.StringIO(report_csv.decode("utf-8"), newline=""))
    return [
        {"csv_row": number, "milestone_id": row.get("milestone_id"),
         "scope": row.get("scope"), "commune_insee": row.get("commune_insee") or None,
         "metric": row.get("metric"), "status": row.get("status"),
         **{c: row.get(c) or None for c in FIGURE_COLUMNS}}
        for number, row in enumerate(rows, start=2)  # row 1 is the header
    ]


def _member(archive: zipfile.ZipFile, name: str, payload: bytes) -> None:
    archive.writestr(zipfile.ZipInfo(name, _STAMP), payload, zipfile.ZIP_DEFLATED)


def build_bundle(session: Session, database_url: str | URL, operator: str, as_of: dt.date,
                 lang: str = "fr") -> Rendered:
    """The evidence bundle (zip bytes) of ``operator``'s delay report, with the report's id."""
    store = evidence.store_folder(database_url)
    rendered = {fmt: operator_delay_report(session, operator, as_of, fmt, lang)
                for fmt in ("pdf", "xlsx", "csv")}
    report_id = rendered["csv"].report_id
    stem = f"retard-{operator.upper()}-{as_of.isoformat()}"
    files: list[dict] = []
    payloads: dict[str, bytes] = {}
    for fmt, item in rendered.items():
        payloads[f"report/{stem}.{fmt}"] = item.payload
        files.append({"path": f"report/{stem}.{fmt}", "role": "report"})
    for batch, kept in _sources(session, store):
        name = safe_name(batch.file_name) + (evidence.FOLDER_SUFFIX
                                              if kept.name.endswith(evidence.FOLDER_SUFFIX)
                                              else "")
        path = f"sources/{batch.id}/{name}"
        payloads[path] = kept.read_bytes()
        summary = batch.summary or {}
        files.append({
            "path": path, "role": "source", "batch_id": batch.id, "kind": batch.kind,
            "file_name": batch.file_name, "imported_at": batch.finished_at.isoformat()
            if batch.finished_at else None, "synthetic": bool(batch.synthetic),
            "import_options": {"as_of": summary["as_of"]} if batch.kind == "premises"
            and summary.get("as_of") else {},
            "folder": kept.name.endswith(evidence.FOLDER_SUFFIX),
        })
    payloads["LISEZMOI.txt"] = README.format(operator=operator.upper(), as_of=as_of.isoformat(),
                                             name=f"{stem}.zip").encode("utf-8")
    files.append({"path": "LISEZMOI.txt", "role": "readme"})
    for item in files:
        data = payloads[item["path"]]
        item.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    manifest = {
        "format": FORMAT,
        "software": {"name": "rollout", "version": software_version()},
        "report": {"kind": "operator-delay", "operator": operator.upper(),
                   "as_of": as_of.isoformat(), "lang": lang, "report_id": report_id,
                   "csv": f"report/{stem}.csv"},
        "parameters": {"operator": operator.upper(), "as_of": as_of.isoformat(), "lang": lang,
                       "known_at": None if known_at.current() is None
                       else known_at.current().isoformat()},
        "method": [Words("fr")(text) for text in METHOD_TEXTS],
        "files": files,
        "figures": _figures(rendered["csv"].payload),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _member(archive, "manifest.json",
                json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
        for item in files:
            _member(archive, item["path"], payloads[item["path"]])
    return Rendered(report_id, buffer.getvalue())
