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
- A new SpatiaLite file is created empty with mode 0600 before SQLite opens it (it holds
  password hashes); SQLite gives its -wal and -shm files the database file's mode.
- ``read_only=True`` opens SQLite with ``mode=ro`` (never creates a file, never writes); a
  WAL database on a read-only mount cannot be opened so (SQLite would need to create the
  -shm file) and is then opened ``immutable=1``: nothing can change it there anyway.
- Writers wait their turn (issue 13): a deferred SQLite transaction that reads and then writes
  gets SQLITE_BUSY at once (no busy wait) when another writer committed in between, so every
  transaction that will write is opened with ``session_scope(engine, write=True)``: SQLite
  ``BEGIN IMMEDIATE`` (the write lock first, waiting up to the busy timeout); PostgreSQL takes
  ``LOCK TABLE import_batch IN SHARE ROW EXCLUSIVE MODE`` (conflicts with itself only, never
  with readers) and runs at READ COMMITTED: writers follow each other, each statement of one
  sees every earlier writer's commit, and no serialization failure can occur between them
  (readers keep their REPEATABLE READ snapshot).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fiona  # noqa: F401  (must be loaded before mod_spatialite, see module docstring)
import pyogrio  # noqa: F401
from geoalchemy2.admin.dialects.sqlite import load_spatialite, load_spatialite_driver
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rollout.db_errors import DatabaseUnavailable, explain

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a writer given ``on_wait`` (an import) waits for the others before it is told so;
# then it waits on, up to WRITER_WAIT_S (an import of a national file takes minutes).
WRITER_NOTICE_MS = 200
WRITER_WAIT_S = 3600
WRITE_OPTION = "rollout_write"
ON_WAIT_OPTION = "rollout_on_wait"


def _sqlite_module():
    try:
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - platforms whose sqlite3 loads extensions
        import sqlite3 as module
    return module


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def parse_url(url: str) -> URL:
    """``url`` parsed; one line naming the two accepted forms otherwise (exit code 2)."""
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"--database / ROLLOUT_DATABASE_URL : {url[:200]!r} n'est pas une URL de base "
            "(sqlite:///fichier.sqlite ou postgresql+psycopg://…)", 2) from None


def sqlite_file(url: URL) -> Path | None:
    """The SpatiaLite file of ``url``, or None (in-memory database, or not SQLite)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (SQLite then initialises it), unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise DatabaseUnavailable(f"base de données {path} : le dossier {path.parent} "
                                  "n'existe pas", 2) from None


def _writable(path: Path) -> bool:
    """Whether SQLite can write ``path`` and create its -wal/-shm files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def describe(url: URL) -> str:
    """What to call the database in a message: its file, or its PostgreSQL name."""
    return str(sqlite_file(url) or url.database or url.render_as_string(hide_password=True))


def _read_only_uri(path: Path) -> str:
    """The ``file:`` URI that opens ``path`` read-only (see the module docstring)."""
    module = _sqlite_module()
    base = f"file:{quote(str(path.resolve()))}?mode=ro"
    for uri in (base, base + "&immutable=1"):
        try:
            probe = module.connect(uri, uri=True)
            try:
                probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                probe.close()
        except module.OperationalError as exc:
            if "unable to open" in str(exc) and uri == base:
                continue
            raise explain(exc, str(path)) from None
        except module.DatabaseError as exc:
            raise explain(exc, str(path)) from None
        return uri
    raise AssertionError("unreachable: the immutable URI either opens or raises")


def make_engine(url: str, *, echo: bool = False, read_only: bool = False,
                create: bool = True) -> Engine:
    """Create an engine for ``sqlite:///file`` (SpatiaLite) or ``postgresql+psycopg://``.

    SpatiaLite: a missing file is created (mode 0600) only with ``create``; otherwise, and
    always with ``read_only``, it is :class:`DatabaseUnavailable` saying the file does not
    exist. ``read_only`` opens the file read-only (module docstring); PostgreSQL ignores it.
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
        path = sqlite_file(parsed)
        if path is not None and not path.exists():
            if read_only or not create:
                raise DatabaseUnavailable(
                    f"base de données {path} : ce fichier n'existe pas (vérifiez le chemin, ou "
                    "créez la base avec `rollout init`)", 2)
            _create_private(path)
        elif path is not None and not read_only and not _writable(path):
            raise DatabaseUnavailable(
                f"base de données {path} : la base est en lecture seule (droits du fichier ou "
                "du dossier, ou montage en lecture seule) : cette commande doit y écrire", 1)
        module = _sqlite_module()
        options: dict = {"module": module, "echo": echo}
        if read_only and path is not None:
            uri = _read_only_uri(path)
            options["creator"] = lambda: module.connect(
                uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        else:
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                       "check_same_thread": False}
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect",
                     functools.partial(_on_sqlite_connect, read_only=read_only))
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Every transaction reads one snapshot, as SQLite's do: a report or a page built from
        # several queries never mixes the states before and after an import's commit
        # (PostgreSQL's default, READ COMMITTED, takes a new snapshot per statement).
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True,
                               isolation_level="REPEATABLE READ")
        event.listen(engine, "begin", _on_postgres_begin)
        return engine
    raise DatabaseUnavailable(
        f"--database / ROLLOUT_DATABASE_URL : le type de base {backend!r} n'est pas pris en "
        "charge (sqlite:///fichier.sqlite ou postgresql+psycopg://…)", 2)


def _on_sqlite_connect(dbapi_conn, connection_record, *, read_only: bool = False) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
    if read_only:  # the functions, not the metadata tables: nothing is written
        load_spatialite_driver(dbapi_conn)
    else:
        load_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if read_only:
            return
        # WAL: readers never block on a running import, and never see half of it.
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() not in {"wal", "memory"}:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def check_database(engine: Engine) -> None:
    """:class:`DatabaseUnavailable` (one line) unless ``engine`` opens a database holding the
    schema: ``serve`` refuses a corrupt file, a PDF or an empty database before starting."""
    where = describe(engine.url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except DBAPIError as exc:
        raise explain(exc, where) from None


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


def _on_sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if not options.get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN")
        return
    on_wait: Callable[[], None] | None = options.get(ON_WAIT_OPTION)
    if on_wait is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    driver: Any = conn.connection.driver_connection  # the DBAPI connection, never None here
    driver.execute(f"PRAGMA busy_timeout = {WRITER_NOTICE_MS}")
    try:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if not _locked(exc):
                raise
        on_wait()
        driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _locked(exc) or time.monotonic() > deadline:
                    raise
    finally:
        driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


_PG_WRITE_LOCK = "LOCK TABLE import_batch IN SHARE ROW EXCLUSIVE MODE"


def _on_postgres_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if not options.get(WRITE_OPTION):
        return
    on_wait: Callable[[], None] | None = options.get(ON_WAIT_OPTION)
    if on_wait is None:
        conn.exec_driver_sql(_PG_WRITE_LOCK)
        return
    # LOCK, SAVEPOINT and SET take no snapshot: the wait and the notice come before it.
    # On the driver's connection: SQLAlchemy would roll the whole transaction back on error.
    import psycopg

    driver: Any = conn.connection.driver_connection  # the DBAPI connection, never None here
    try:
        driver.execute("SAVEPOINT rollout_writer")
        driver.execute(f"SET LOCAL lock_timeout = {WRITER_NOTICE_MS}")
        try:
            driver.execute(_PG_WRITE_LOCK)
        except psycopg.errors.LockNotAvailable:
            driver.execute("ROLLBACK TO SAVEPOINT rollout_writer")
            on_wait()
            driver.execute(f"SET LOCAL lock_timeout = {WRITER_WAIT_S * 1000}")
            driver.execute(_PG_WRITE_LOCK)
        driver.execute("SET LOCAL lock_timeout = 0")
        driver.execute("RELEASE SAVEPOINT rollout_writer")
    except psycopg.Error as exc:  # as SQLAlchemy would have raised it (no schema yet, …)
        raise DBAPIError.instance(_PG_WRITE_LOCK, None, exc, psycopg.Error) from exc


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def writer(engine: Engine, on_wait: Callable[[], None] | None = None) -> Engine:
    """``engine`` whose transactions start as writers (see the module docstring);
    ``on_wait()`` is called once if another writer holds the lock at first."""
    options: dict = {WRITE_OPTION: True}
    if engine.dialect.name == "postgresql":
        # Writers run one at a time (the lock above): at READ COMMITTED each statement sees
        # every writer committed before it got the lock, whenever its first snapshot was taken.
        options["isolation_level"] = "READ COMMITTED"
    if on_wait is not None:
        options[ON_WAIT_OPTION] = on_wait
    return engine.execution_options(**options)


@contextmanager
def session_scope(engine: Engine, *, write: bool = False,
                  on_wait: Callable[[], None] | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back everything on any error.

    ``write=True`` for every transaction that will write: it waits for the other writers
    instead of failing (``on_wait``: see :func:`writer`).
    """
    bind = writer(engine, on_wait) if write else engine
    with make_sessionmaker(bind)() as session:
        with session.begin():
            yield session
