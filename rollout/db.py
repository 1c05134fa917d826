"""Engines and sessions for the two backends: SpatiaLite (embedded default) and PostGIS.

Facts this module encodes (measured on Debian 12, Python 3.11):
- pyenv/python.org CPython cannot load SQLite extensions: use ``pysqlite3`` as DBAPI module.
- pyogrio and fiona must be imported before mod_spatialite is loaded, or GDAL segfaults
  later when it reads SQLite/GPKG files.
- ``InitSpatialMetaData(1, 'WGS84')`` initialises a new file in 0.01 s instead of 10 s and
  keeps the Lambert/UTM SRIDs ``ST_Transform`` needs.
- pysqlite's implicit transactions do not cover DDL and break SAVEPOINTs: we disable them and
  emit ``BEGIN`` ourselves so every import is one real transaction.
- Both backends give a transaction one consistent snapshot (SQLite in WAL mode by nature,
  PostgreSQL at REPEATABLE READ): several reads in one session agree with each other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import fiona  # noqa: F401  (must be loaded before mod_spatialite, see module docstring)
import pyogrio  # noqa: F401
from geoalchemy2.admin.dialects.sqlite import load_spatialite
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_module():
    try:
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - platforms whose sqlite3 loads extensions
        import sqlite3 as module
    return module


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``sqlite:///file`` (SpatiaLite) or ``postgresql+psycopg://``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
        engine = create_engine(
            parsed,
            module=_sqlite_module(),
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Every transaction reads one snapshot, as SQLite's do: a report or a page built from
        # several queries never mixes the states before and after an import's commit
        # (PostgreSQL's default, READ COMMITTED, takes a new snapshot per statement).
        return create_engine(parsed, echo=echo, pool_pre_ping=True,
                             isolation_level="REPEATABLE READ")
    raise ValueError(
        f"database URL backend was {backend!r}; expected 'sqlite' (SpatiaLite) or 'postgresql'"
    )


def _on_sqlite_connect(dbapi_conn, connection_record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
    load_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never block on a running import, and never see half of it.
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() not in {"wal", "memory"}:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back everything on any error."""
    with make_sessionmaker(engine)() as session:
        with session.begin():
            yield session
