"""The evidence store: every loaded source file kept by its sha256, for bundles to cite.

Each import that loads (CLI, web upload, demo) copies its file to
``<store>/<sha256[:2]>/<sha256>`` in the same step as the batch is written; a folder of
tables (ANFR) is kept as a zip of its files (sorted, fixed timestamps) under its folder
digest. Content-addressed: the same file imported twice, or into two databases sharing the
store, is kept once. The store takes as much room as the distinct files loaded
(:func:`usage`), nothing more: no index, no copies per database.

Where: ``ROLLOUT_EVIDENCE_STORE``, else ``evidence`` next to the SpatiaLite file, else
``evidence`` in ``ROLLOUT_DATA_DIR`` (default: the working directory) for PostGIS.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy.engine import URL, make_url

FOLDER_SUFFIX = ".zip"


def store_folder(database_url: str | URL) -> Path:
    """The evidence store of a database (module docstring)."""
    configured = os.environ.get("ROLLOUT_EVIDENCE_STORE")
    if configured:
        return Path(configured)
    url = make_url(database_url) if isinstance(database_url, str) else database_url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "evidence"
    return Path(os.environ.get("ROLLOUT_DATA_DIR") or Path.cwd()) / "evidence"


def stored_file(store: Path, sha256: str) -> Path | None:
    """The kept copy of ``sha256`` (a file, or a folder kept as a zip), or None."""
    for name in (sha256, sha256 + FOLDER_SUFFIX):
        path = store / sha256[:2] / name
        if path.is_file():
            return path
    return None


def keep(store: Path, source: Path, sha256: str) -> Path:
    """Copy ``source`` (file or folder) into the store under ``sha256``, once; return it."""
    found = stored_file(store, sha256)
    if found is not None:
        return found
    folder = store / sha256[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (sha256 + (FOLDER_SUFFIX if source.is_dir() else ""))
    # Written to a temporary name then renamed: a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    os.close(handle)
    try:
        if source.is_dir():
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(p for p in source.rglob("*") if p.is_file()):
                    info = zipfile.ZipInfo(file.relative_to(source).as_posix(),
                                           (1980, 1, 1, 0, 0, 0))
                    archive.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
        else:
            shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def restore(kept: Path, target: Path) -> Path:
    """Put a kept copy back in its imported form at ``target`` (a folder is unzipped)."""
    if kept.name.endswith(FOLDER_SUFFIX):
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(kept) as archive:
            archive.extractall(target)
        return target
    shutil.copyfile(kept, target)
    return target


def usage(store: Path) -> tuple[int, int]:
    """(files, bytes) the store holds."""
    files = [p for p in store.rglob("*") if p.is_file() and not p.name.startswith(".")] \
        if store.exists() else []
    return len(files), sum(p.stat().st_size for p in files)
