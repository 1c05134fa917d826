"""Uploaded source files: checked by content, then kept under their sha256 for the evidence chain.

A file is accepted only when its name ends with a suffix its kind's reader knows and its
first bytes are what that suffix promises (issue 7: "file-type check by content"): a zip
archive, an XLSX workbook (a zip holding ``[Content_Types].xml``), a GeoPackage (an SQLite
database), JSON that starts like JSON, XML that starts like XML, or text without NUL bytes.
It is stored as ``UPLOAD_FOLDER/<sha256>/<safe file name>``: the importer sees the user's
file name (the journal shows it) and the same bytes are never stored twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from werkzeug.utils import secure_filename

from geodata.errors import InputError
from geodata.text import detect_encoding

SAMPLE_BYTES = 1 << 20
_CHUNK = 1 << 20
# Suffixes each kind's reader understands (geodata readers; works: rollout.importers.works).
KIND_SUFFIXES: dict[str, tuple[str, ...]] = {
    "communes": (".geojson", ".json", ".gpkg", ".zip"),
    "arcep": (".csv", ".txt", ".xlsx"),
    "premises": (".csv", ".txt"),
    "commitments": (".csv", ".xlsx"),
    "sites": (".zip", ".csv"),
    "works": (".geojson", ".json", ".csv", ".xml"),
}
_JSON_START = re.compile(r"\s*(\{\s*(\"|\})|\[)")
_BINARY_MAGIC = (b"PK\x03\x04", b"SQLite format 3\x00", b"%PDF", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class StoredUpload:
    """An accepted upload: where it is kept, its sha256 and size in bytes."""

    path: Path
    sha256: str
    size: int


def _refuse(name: str, reason: str) -> InputError:
    return InputError.single(name, reason, code="bad_file_type")


def _check_zip(path: Path, name: str, head: bytes, needs: str | None = None) -> None:
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")) or not zipfile.is_zipfile(path):
        raise _refuse(name, "not a zip archive (content does not match the file name)")
    if needs is not None:
        with zipfile.ZipFile(path) as archive:
            if needs not in archive.namelist():
                raise _refuse(name, f"zip archive without {needs}: not an XLSX workbook")


def _check_text(name: str, head: bytes, whole: bool) -> str:
    if not head.strip():
        raise _refuse(name, "empty file")
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        raise _refuse(name, "binary content, expected text (CSV, JSON or XML)")
    encoding = detect_encoding(head)
    return head.decode(encoding, errors="strict" if whole else "ignore").lstrip("\ufeff")


def _check_json(name: str, head: bytes, whole: bool) -> None:
    text = _check_text(name, head, whole)
    if detect_encoding(head) != "utf-8-sig":
        raise _refuse(name, "JSON must be UTF-8 (RFC 8259)")
    if whole:
        try:
            json.loads(text)
        except RecursionError:
            return  # the importer refuses it within ROLLOUT_JSON_MAX_DEPTH, and journals it
        except json.JSONDecodeError as exc:
            raise _refuse(name, f"not valid JSON: {exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}") from None
    elif not _JSON_START.match(text):
        raise _refuse(name, "does not start like JSON ('{' or '[')")


def check_content(path: Path, name: str) -> None:
    """Raise :class:`InputError` unless the bytes of ``path`` match the suffix of ``name``."""
    suffix = Path(name).suffix.lower()
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    whole = size <= SAMPLE_BYTES
    if suffix == ".zip":
        _check_zip(path, name, head)
    elif suffix == ".xlsx":
        _check_zip(path, name, head, needs="[Content_Types].xml")
    elif suffix == ".gpkg":
        if not head.startswith(b"SQLite format 3\x00"):
            raise _refuse(name, "not a GeoPackage (no SQLite header)")
    elif suffix in (".json", ".geojson"):
        _check_json(name, head, whole)
    elif suffix == ".xml":
        if not _check_text(name, head, whole).lstrip().startswith("<"):
            raise _refuse(name, "does not start like XML ('<')")
    else:
        _check_text(name, head, whole)


def safe_name(filename: str | None, kind: str) -> str:
    """The upload's file name made safe for the file system, with an accepted suffix."""
    original = Path(filename or "").name
    suffix = Path(original).suffix.lower()
    allowed = KIND_SUFFIXES[kind]
    if suffix not in allowed:
        raise _refuse(original or "?", f"a {kind} file must end with one of {list(allowed)}")
    stem = secure_filename(Path(original).stem) or "upload"
    return stem[:120] + suffix


def _copy(stream: BinaryIO, out: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(block)
        out.write(block)
        size += len(block)
    return digest.hexdigest(), size


def store(stream: BinaryIO, filename: str | None, kind: str, folder: Path) -> StoredUpload:
    """Check an uploaded ``stream`` and keep it under ``folder``; InputError if refused."""
    name = safe_name(filename, kind)
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            sha256, size = _copy(stream, out)
        check_content(Path(temporary), name)
        target = folder / sha256 / name
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary, target)  # atomic: a reader never sees half a file
    finally:
        Path(temporary).unlink(missing_ok=True)
    return StoredUpload(target, sha256, size)


def accepted_suffixes(kinds: Iterable[str]) -> dict[str, str]:
    """``kind -> ".csv, .xlsx"`` for the upload form."""
    return {kind: ", ".join(KIND_SUFFIXES[kind]) for kind in kinds}
