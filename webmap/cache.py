"""One cache shared by every worker process (issue 13): the data snapshot and the responses.

Flask-Caching over a ``FileSystemCache`` in a folder next to the database (``<file>.cache``
beside a SpatiaLite file, ``rollout-cache`` in the data folder for PostGIS), or Redis when
``ROLLOUT_CACHE_URL`` names one (``redis://host:6379/0``); ``ROLLOUT_CACHE_DIR`` chooses
another folder. Every key starts with the data version (:func:`data_version`): an import adds
a batch (and a deployment changes the code), so the next request asks for new keys and
nothing has to be deleted.

What pages need (assessments with breakdown, indicators, display geometries, layers' data)
goes through :func:`snapshot`: computed once per data version and key by one process (a lock
in the cache), while the other processes go on serving the previous version's value (stale
while revalidate) — a request that used a stale value is never stored in the response cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask_caching import Cache
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from rollout.models import ImportBatch

LOCK_SECONDS = 600  # longer than any snapshot takes (national assessments: about a minute)
WAIT_STEP_S = 0.05
CACHE_THRESHOLD = 5000  # entries kept by the file cache before it prunes
_cache = Cache()


def cache_folder(database_url: str) -> Path:
    """The default cache folder of a database (see the module docstring)."""
    from webmap.security import _data_folder, _sqlite_file

    file = _sqlite_file(database_url)
    if file is not None:
        return file.with_name(file.name + ".cache")
    return _data_folder(database_url) / "rollout-cache"


def init_app(app: Flask) -> None:
    """Configure the shared cache from ``CACHE_URL`` / ``CACHE_DIR`` (environment above)."""
    url = app.config.get("CACHE_URL") or os.environ.get("ROLLOUT_CACHE_URL", "")
    prefix = hashlib.sha256(app.config["DATABASE_URL"].encode()).hexdigest()[:12] + ":"
    if url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url,
                  "CACHE_KEY_PREFIX": prefix}
    else:
        folder = (app.config.get("CACHE_DIR") or os.environ.get("ROLLOUT_CACHE_DIR")
                  or cache_folder(app.config["DATABASE_URL"]))
        Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        config = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(folder),
                  "CACHE_THRESHOLD": CACHE_THRESHOLD, "CACHE_OPTIONS": {"mode": 0o600}}
    app.config["CACHE_FOLDER"] = config.get("CACHE_DIR")
    _cache.init_app(app, config={**config, "CACHE_DEFAULT_TIMEOUT": 0})


def store() -> Any:
    """The current app's cache backend (cachelib API: get, set, add, delete)."""
    return _cache.cache


_VERSION = select(func.count(), func.max(ImportBatch.id), func.max(ImportBatch.started_at))
_CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".json"}


@functools.cache
def code_version() -> str:
    """A digest of the code that computes what is cached (rollout, reports, webmap: every
    file's name, size and modification time), so a deployment never serves what the
    previous code computed for the same data."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in ("rollout", "reports", "webmap", "geodata"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in _CODE_SUFFIXES:
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};"
                              .encode())
    return digest.hexdigest()[:16]


def data_version(session: Session | Connection) -> tuple:
    """Changes whenever a batch is recorded (imports only ever add batches; a restored
    backup brings back its own batches, and with them the version of that data)."""
    count, last, started = session.execute(_VERSION).one()
    bind = session.engine if isinstance(session, Connection) else session.get_bind()
    return str(bind.url), count, last, str(started), code_version()


def key_of(*parts: object) -> str:
    """A cache key for ``parts`` (any reprs), short and safe for every backend."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _take_lock(name: str) -> bool:
    folder = current_app.config.get("CACHE_FOLDER")
    if folder is None:
        return bool(store().add(name, time.time(), timeout=LOCK_SECONDS))
    path = Path(folder) / f"{name}.lock"
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return True
    except FileExistsError:
        try:
            if time.time() - path.stat().st_mtime > LOCK_SECONDS:  # its owner died
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        return False


def _drop_lock(name: str) -> None:
    folder = current_app.config.get("CACHE_FOLDER")
    if folder is None:
        store().delete(name)
    else:
        (Path(folder) / f"{name}.lock").unlink(missing_ok=True)


def snapshot(session: Session, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per data version and ``key``, shared by every process.

    Outside an app (scripts, benchmarks) it simply computes.
    """
    if not has_app_context():
        return compute()
    version = data_version(session)
    here = key_of("snapshot", version, key)
    found = store().get(here)
    if found is not None:
        return found[0]
    latest = key_of("latest", version[0], key)
    lock = key_of("lock", version, key)
    deadline = time.monotonic() + LOCK_SECONDS
    while not _take_lock(lock):
        previous = store().get(latest)
        stale = None if previous is None else store().get(key_of("snapshot", previous, key))
        if stale is not None:
            g.served_stale = True  # this response is not stored under the new version
            return stale[0]
        time.sleep(WAIT_STEP_S)  # no older value: wait for the process computing it
        found = store().get(here)
        if found is not None:
            return found[0]
        if time.monotonic() > deadline:
            return compute()
    try:
        value = compute()
        store().set(here, (value,))
        store().set(latest, version)
    finally:
        _drop_lock(lock)
    return value
