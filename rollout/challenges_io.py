"""Signalements in and out: evidence files, the bulk CSV of a commune's officer, the export
sent to an operator (CSV and GeoJSON).

Bulk CSV (UTF-8 or Latin-1, ``,`` or ``;``), one challenge per row, keyed by building id or
INSEE code: ``category`` (see :data:`rollout.challenges.CATEGORIES`), ``insee``,
``building_id`` (building categories), ``target_ref`` (works or radio-site id),
``operator_code``, ``text``, ``email``, ``email_consent`` (``oui``/``yes``/``1``). A file with
any bad row is refused whole (one ``file:row: column: value: reason`` line per problem).

Export columns (one row per challenge of the operator, FCC-challenge-like): see
:data:`EXPORT_COLUMNS`; text cells that a spreadsheet would read as a formula start with ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from sqlalchemy.orm import Session

from geodata.errors import InputError, Problem
from geodata.text import detect_encoding
from rollout import audit
from rollout.challenges import CATEGORIES, ChallengeError, Evidence, queue, submit
from rollout.formatting import json_value, to_csv

TEMPLATE_COLUMNS = ["category", "insee", "building_id", "target_ref", "operator_code", "text",
                    "email", "email_consent"]
EXPORT_COLUMNS = ["challenge_id", "submitted_at", "status", "category", "category_fr",
                  "category_en", "target_kind", "target_ref", "commune_insee", "operator_code",
                  "shown_value", "shown_as_of", "shown_batch_id", "text", "evidence_sha256",
                  "resolution_batch_id", "resolved_at", "lon", "lat"]
EVIDENCE_SUFFIXES = {".pdf": (b"%PDF",), ".png": (b"\x89PNG\r\n\x1a\n",),
                     ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
                     ".csv": (), ".txt": ()}
DEFAULT_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_BULK_BYTES = 10 * 1024 * 1024
MAX_BULK_ROWS = 10_000
def store_evidence(stream: BinaryIO, filename: str | None, folder: Path,
                   max_bytes: int = DEFAULT_EVIDENCE_BYTES) -> Evidence:
    """Check an evidence file by suffix, size and first bytes; keep it as ``folder/<sha256>``."""
    name = Path(filename or "").name[:255]
    suffix = Path(name).suffix.lower()
    if suffix not in EVIDENCE_SUFFIXES:
        raise ChallengeError("evidence", f"{name!r}: expected one of "
                                         f"{sorted(EVIDENCE_SUFFIXES)}", "bad_file_type")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ChallengeError("evidence", f"{name!r}: larger than {max_bytes} bytes",
                             "too_large")
    if not data:
        raise ChallengeError("evidence", f"{name!r}: empty file", "bad_file_type")
    magic = EVIDENCE_SUFFIXES[suffix]
    if magic and not data.startswith(magic):
        raise ChallengeError("evidence", f"{name!r}: content is not {suffix[1:].upper()}",
                             "bad_file_type")
    if not magic and (b"\x00" in data[:1 << 16] or data.startswith((b"%PDF", b"PK\x03\x04"))):
        raise ChallengeError("evidence", f"{name!r}: binary content, expected text",
                             "bad_file_type")
    sha256 = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / sha256
    if not target.exists():
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".evidence-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    return Evidence(name, sha256, len(data))


def template_text() -> str:
    """The bulk CSV template: the header and one example row per kind of target."""
    rows = [
        {"category": "premises_count", "insee": "59350",
         "text": "La commune compte davantage de logements (recensement 2024)."},
        {"category": "building_missing", "insee": "59350", "building_id": "IMB/59350/X/0001",
         "operator_code": "FRTE", "text": "Immeuble livré en 2025, absent du fichier."},
        {"category": "site_not_in_service", "target_ref": "0591234567", "operator_code": "20801",
         "text": "Le site n'émet pas en 5G."},
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TEMPLATE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_template(path: Path) -> Path:
    path.write_text(template_text(), encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    name = path.name
    if path.stat().st_size > MAX_BULK_BYTES:
        raise InputError.single(name, f"larger than {MAX_BULK_BYTES} bytes", code="too_large")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError.single(name, "binary content, expected a CSV file", code="bad_file_type")
    text = raw.decode(detect_encoding(raw[:1 << 16]), errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if first.count(";") >
                            first.count(",") else ",")
    missing = [c for c in ("category", "text") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError.single(name, f"missing column(s) {missing}; expected the template's "
                                      f"{TEMPLATE_COLUMNS}", code="bad_header", row=1)
    rows = list(reader)
    if len(rows) > MAX_BULK_ROWS:
        raise InputError.single(name, f"{len(rows)} rows; at most {MAX_BULK_ROWS} per file",
                                code="too_large")
    if not rows:
        raise InputError.single(name, "no challenge rows", code="empty_file")
    return rows


def import_csv(session: Session, path: Path, username: str | None = None) -> int:
    """Submit every row of a bulk CSV (all or nothing); returns how many were stored."""
    rows = _rows(path)
    problems: list[Problem] = []
    for number, row in enumerate(rows, start=2):
        data = {"category": row.get("category"), "commune_insee": row.get("insee"),
                "target_ref": row.get("building_id") or row.get("target_ref"),
                "operator_code": row.get("operator_code"), "text": row.get("text"),
                "email": row.get("email"), "email_consent": row.get("email_consent")}
        try:  # validation comes before any write: a refused row adds nothing
            submit(session, data, channel="csv", username=username)
        except ChallengeError as exc:
            column = {"commune_insee": "insee", "target_ref": "building_id"}.get(exc.field,
                                                                                  exc.field)
            value = row.get(column)
            problems.append(Problem(path.name, exc.message, number, column,
                                    None if value is None else str(value)[:200]))
    if problems:
        raise InputError(problems, code="bad_value")
    audit.record(session, "challenge_import", username, path.name, {"rows": len(rows)})
    return len(rows)


def export_frame(session: Session, operator: str) -> pd.DataFrame:
    """The operator's challenges in :data:`EXPORT_COLUMNS` (no personal data)."""
    frame = queue(session, operator=operator).rename(
        columns={"id": "challenge_id", "created_at": "submitted_at"})
    frame["category_fr"] = [CATEGORIES[c][1] for c in frame["category"]]
    frame["category_en"] = [CATEGORIES[c][2] for c in frame["category"]]
    return frame[EXPORT_COLUMNS] if len(frame) else pd.DataFrame(columns=EXPORT_COLUMNS)


def export_csv(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV through the project's one CSV writer (formula leads neutralised)."""
    return to_csv(frame, EXPORT_COLUMNS)


def export_geojson(frame: pd.DataFrame) -> str:
    """GeoJSON FeatureCollection; a challenge without a point has a null geometry."""
    features = []
    for record in frame[EXPORT_COLUMNS].to_dict("records"):
        props = {k: json_value(v) for k, v in record.items() if k not in ("lon", "lat")}
        lon, lat = json_value(record["lon"]), json_value(record["lat"])
        geometry = None if lon is None or lat is None else {"type": "Point",
                                                            "coordinates": [lon, lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
