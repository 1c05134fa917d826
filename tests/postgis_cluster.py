"""A throwaway PostgreSQL + PostGIS cluster for the tests, started as the ``postgres`` user.

PostgreSQL refuses to run as root, so when the tests run as root the server commands go
through ``runuser -u postgres``. Start-up takes about a second (``--no-sync``, trust auth,
unix socket and TCP on 127.0.0.1 only).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _pg_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found (Debian package postgresql-15-postgis-3); "
            "run `make test`, which installs them"
        )
    return Path(candidates[0]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PostgisCluster:
    root: Path
    port: int
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create a database with PostGIS enabled and return its URL."""
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/{name}", autocommit=True
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                          "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PostgisCluster:
    bindir = _pg_bindir()
    root = Path(tempfile.mkdtemp(prefix="rollout-pg-"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "--auth=trust", "--no-sync",
                      "-U", "postgres", "-E", "UTF8", "--locale=C"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off " \
              "-c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                      "-l", str(root / "server.log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    cluster = PostgisCluster(root=root, port=port, bindir=bindir)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start; see {root / 'server.log'}") from None
            time.sleep(0.1)
    return cluster


if __name__ == "__main__":  # developer convenience: keep a cluster running and print its URL
    c = start_cluster()
    print(c.create_database("rollout_dev"))
    print(f"stop with: runuser -u postgres -- {c.bindir}/pg_ctl -D {c.root}/data stop")
