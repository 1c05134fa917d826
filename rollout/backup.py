"""Whole-database backup and restore for both backends (``rollout backup`` / ``restore``).

SpatiaLite: the SQLite online backup API copies a consistent snapshot while others read or
import (WAL), and restores in one step under SQLite's own lock. PostGIS: ``pg_dump``
custom format; restore drops the rollout tables and replays the dump in one transaction
(``psql --single-transaction``), so a failed restore leaves the database as it was. The
PostGIS extension itself is neither dumped back nor dropped: it must exist in the target.
A restore refuses to overwrite a database holding data unless forced.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rollout import audit
from rollout.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite, session_scope, writer
from rollout.importing import file_sha256
from rollout.migrate import upgrade
from rollout.models import Base

AUDIT_WAIT_MS = 2_000
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# TOC entries left out of a restore: the extension and the public schema already exist in
# the target and belong to whoever created them.
_SKIPPED_TOC = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION|SCHEMA - public|"
                          r"COMMENT - SCHEMA public|ACL - SCHEMA public) ")
_DROP_ROLLOUT_TABLES = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d
                             WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.relname);
  END LOOP;
END $$;
"""


class BackupError(Exception):
    """A refused backup or restore (bad file, target holding data); the message is user-safe."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BackupInfo:
    """A backup file: where, which backend wrote it, its size and sha256."""

    path: Path
    backend: str
    size_bytes: int
    sha256: str
    audited: bool = True


def is_empty(engine: Engine) -> bool:
    """True when no rollout table holds a row (a new or freshly initialised database)."""
    present = set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    with engine.connect() as connection:
        return not any(
            connection.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first()
            for table in sorted(present)
        )


def backup(engine: Engine, target: str | Path, *, username: str | None = None) -> BackupInfo:
    """Write a consistent copy of the database to ``target`` (replaced atomically)."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created empty, owner only, before SQLite or pg_dump writes it: it holds password hashes.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if is_sqlite(engine):
            _sqlite_backup(engine, partial)
            backend = "spatialite"
        else:
            _run(_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={partial}", *_pg_target(engine.url), password=engine.url.password)
            backend = "postgis"
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(target, backend, target.stat().st_size, file_sha256(target))
    details = {"backend": backend, "size_bytes": info.size_bytes, "sha256": info.sha256}
    if backend == "postgis":
        with session_scope(engine, write=True) as session:
            audit.record(session, "backup", username, target.name, details)
        return info
    # SQLite has one writer at a time: a running import would make this event wait for its
    # end (or fail after the busy timeout), yet the copy is already made. Wait a little only.
    with writer(engine).connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute(f"PRAGMA busy_timeout = {AUDIT_WAIT_MS}")
        try:
            with Session(bind=connection) as session, session.begin():
                audit.record(session, "backup", username, target.name, details)
        except OperationalError:
            return replace(info, audited=False)
        finally:
            driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return info


def restore(
    engine: Engine, source: str | Path, *, force: bool = False, username: str | None = None
) -> BackupInfo:
    """Replace the database's content with the backup ``source``, then upgrade its schema.

    Refuses (``BackupError``, code ``not_empty``) when the database holds data and ``force``
    is false; refuses a file that is not a backup of the same backend (``bad_backup``).
    """
    source = Path(source)
    backend = "spatialite" if is_sqlite(engine) else "postgis"
    _check_backup_file(source, backend, engine.dialect.dbapi)
    if not force and not is_empty(engine):
        raise BackupError(
            "the database already holds data; restoring would replace it: add --force",
            "not_empty",
        )
    engine.dispose()
    if backend == "spatialite":
        _sqlite_restore(engine, source)
    else:
        _pg_restore(engine.url, source)
    engine.dispose()
    upgrade(engine)
    info = BackupInfo(source, backend, source.stat().st_size, file_sha256(source))
    with session_scope(engine, write=True) as session:
        audit.record(session, "restore", username, source.name,
                     {"backend": backend, "size_bytes": info.size_bytes, "sha256": info.sha256,
                      "forced": force})
    return info


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up SQLite database {database!r}: give a file path",
                          "bad_database")
    return Path(database)


def _sqlite_backup(engine: Engine, target: Path) -> None:
    if not _sqlite_path(engine).exists():
        raise BackupError(f"database file {_sqlite_path(engine)} does not exist", "not_found")
    # The engine's own SQLite library on both sides: two SQLite copies in one process do
    # not see each other's locks (WAL shared memory), which corrupts reads.
    source = engine.raw_connection()
    copy = engine.dialect.dbapi.connect(str(target))
    try:
        # One step (pages=-1): a single read transaction, hence a consistent snapshot even
        # while an import writes (WAL readers do not block writers).
        source.driver_connection.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal
        _check_integrity(copy, target)
    finally:
        copy.close()
        source.close()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    saved = engine.dialect.dbapi.connect(f"file:{source}?mode=ro", uri=True)
    live = engine.raw_connection()
    try:
        saved.backup(live.driver_connection)
        _check_integrity(live.driver_connection, _sqlite_path(engine))
    finally:
        live.close()
        saved.close()


def _check_integrity(connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise RuntimeError(f"{path}: integrity check failed: {result}")


def _check_backup_file(source: Path, backend: str, dbapi) -> None:
    """Refuse anything but a rollout backup made on ``backend`` (``dbapi``: its driver)."""
    if not source.is_file():
        raise BackupError(f"{source}: backup file not found", "not_found")
    with open(source, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    found = ("postgis" if head.startswith(PGDUMP_MAGIC)
             else "spatialite" if head == SQLITE_MAGIC else None)
    if found is None:
        raise BackupError(
            f"{source}: neither a SpatiaLite backup nor a pg_dump custom-format file",
            "bad_backup",
        )
    if found != backend:
        raise BackupError(
            f"{source} is a {found} backup; this database is {backend}: restore it into a "
            f"{found} database", "bad_backup",
        )
    if backend == "spatialite":
        connection = dbapi.connect(f"file:{source}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        except dbapi.DatabaseError as exc:
            raise BackupError(f"{source}: unreadable SQLite file ({exc})", "bad_backup") from None
        finally:
            connection.close()
        if "alembic_version" not in tables:
            raise BackupError(f"{source}: not a rollout database backup", "bad_backup")


def _pg_tool(name: str) -> str:
    """The newest installed client (pg_dump must be at least the server's version)."""
    folder = os.environ.get("ROLLOUT_PG_BINDIR")
    candidates = [str(Path(folder) / name)] if folder else []
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                         key=lambda p: int(Path(p).parts[-3]), reverse=True)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install postgresql-client or set ROLLOUT_PG_BINDIR")
    return found


def _pg_target(url: URL) -> list[str]:
    """``--dbname`` without the password, which goes through PGPASSWORD (not the process list)."""
    plain = url.set(drivername="postgresql", password=None)
    return [f"--dbname={plain.render_as_string(hide_password=False)}"]


def _run(*args: str, password: str | None = None) -> str:
    env = dict(os.environ, PGPASSWORD=password) if password else None
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise RuntimeError(f"{Path(args[0]).name} failed: {lines[0]}")
    return result.stdout


def _pg_restore(url: URL, source: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rollout-restore-") as folder:
        listing = Path(folder) / "toc.list"
        script = Path(folder) / "restore.sql"
        prelude = Path(folder) / "prelude.sql"
        toc = _run(_pg_tool("pg_restore"), "--list", str(source))
        listing.write_text("\n".join(
            line for line in toc.splitlines() if not _SKIPPED_TOC.match(line)
        ) + "\n")
        _run(_pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--use-list={listing}",
             f"--file={script}", str(source))
        prelude.write_text("CREATE EXTENSION IF NOT EXISTS postgis;\n" + _DROP_ROLLOUT_TABLES)
        _run(_pg_tool("psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
             f"--file={prelude}", f"--file={script}", *_pg_target(url), password=url.password)

