"""Database problems in one accurate line, read-only opening, private new files (issue 12
items 11 and 12)."""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from rollout.cli import main
from rollout.db import make_engine
from rollout.db_errors import explain
from rollout.migrate import upgrade
from tests.web_login import csrf_token, sign_in
from webmap import create_app

PASSWORD_LINE = "a long enough password\n"


def _cli(url: str, *args: str, stdin: str | None = PASSWORD_LINE):
    return CliRunner().invoke(main, ["--database", url, *args], input=stdin)


def _one_line(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def _driver_error(message: str) -> OperationalError:
    import pysqlite3.dbapi2 as sqlite

    return OperationalError("SELECT 1", {}, sqlite.OperationalError(message))


@pytest.mark.parametrize(("message", "expected", "code"), [
    ("database is locked", "verrouillée par un autre processus", 1),
    ("attempt to write a readonly database", "en lecture seule", 1),
    ("database or disk is full", "disque plein", 1),
    ("unable to open database file", "impossible d'ouvrir le fichier", 2),
    ("file is not a database", "n'est pas une base SpatiaLite, ou elle est corrompue", 2),
    ("database disk image is malformed", "corrompue", 2),
    ("no such table: commune", "schéma est absent : lancez `rollout init`", 1),
    ('relation "commune" does not exist', "lancez `rollout init`", 1),
])
def test_each_driver_error_has_its_own_line(message, expected, code):
    problem = explain(_driver_error(message), "x.sqlite")
    assert expected in str(problem) and problem.exit_code == code
    assert "rollout init" not in str(problem) or "table" in message or "relation" in message


def test_a_full_disk_os_error():
    assert "disque plein" in str(explain(OSError(errno.ENOSPC, "No space left on device")))


@pytest.mark.parametrize("url", ["garbage", "mysql://x/y"])
def test_a_garbage_database_url_is_one_line_exit_2(url):
    line = _one_line(_cli(url, "communes"), 2)
    assert line.startswith("--database / ROLLOUT_DATABASE_URL : ")


@pytest.mark.parametrize("command", [["communes"], ["audit"], ["users", "list"],
                                     ["import", "communes", "nothing.geojson"]])
def test_a_mistyped_path_says_it_does_not_exist_and_creates_nothing(tmp_path, command):
    path = tmp_path / "typo.sqlite"
    if command[0] == "import":
        command = [*command[:2], str(tmp_path / command[2])]
        (tmp_path / "nothing.geojson").write_text('{"type": "FeatureCollection", '
                                                  '"features": []}')
    line = _one_line(_cli(f"sqlite:///{path}", *command), 2)
    assert f"{path} : ce fichier n'existe pas" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["nothing.geojson"] if command[0] == "import" else [])


@pytest.mark.parametrize("content", [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n" * 40,
                                     bytes(range(256)) * 20])
def test_a_pdf_or_garbage_file_is_refused_by_every_command_and_by_serve(tmp_path, content,
                                                                        monkeypatch):
    import waitress

    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    url = f"sqlite:///{path}"
    for command in (["communes"], ["imports"], ["users", "add", "x", "--role", "viewer",
                                                "--password-stdin"], ["init"]):
        line = _one_line(_cli(url, *command), 2)
        assert "n'est pas une base SpatiaLite, ou elle est corrompue" in line, command
    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.append(app))
    monkeypatch.setenv("ROLLOUT_SECRET_KEY", "test")
    _one_line(_cli(url, "serve"), 2)
    assert served == [] and path.read_bytes() == content


def test_serve_refuses_a_database_without_schema(empty_db_url, monkeypatch):
    import waitress

    make_engine(empty_db_url).dispose()  # SpatiaLite: the file, without our tables
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: pytest.fail("served"))
    monkeypatch.setenv("ROLLOUT_SECRET_KEY", "test")
    line = _one_line(_cli(empty_db_url, "serve"), 1)
    assert "le schéma est absent : lancez `rollout init`" in line
    assert "schéma est absent" in _one_line(_cli(empty_db_url, "communes"), 1)


def test_a_locked_database_says_so(db_url, monkeypatch):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock; PostgreSQL writers wait for rows, not the database")
    monkeypatch.setattr("rollout.db.SQLITE_BUSY_TIMEOUT_MS", 50)
    holder = make_engine(db_url)
    with holder.connect() as conn:
        conn.exec_driver_sql("INSERT INTO audit_event (at, action) VALUES ('2026-01-01', 'backup')")
        line = _one_line(_cli(db_url, "users", "add", "bob", "--role", "viewer",
                              "--password-stdin"), 1)
        conn.rollback()
    holder.dispose()
    assert "verrouillée par un autre processus" in line


@pytest.fixture
def read_only_mount(tmp_path, spatialite_template):
    """A copy of a migrated SpatiaLite database (WAL mode) on a read-only bind mount."""
    source, mount = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    mount.mkdir()
    shutil.copy(spatialite_template, source / "db.sqlite")
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.decode()[:80]}")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
    yield mount / "db.sqlite"
    # Lazy: the CLI runs in this process and its engines may still hold the file open.
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_read_commands_read_a_database_on_a_read_only_mount(read_only_mount):
    url = f"sqlite:///{read_only_mount}"
    for command in (["communes"], ["imports"], ["audit"], ["users", "list"]):
        result = _cli(url, *command)
        assert result.exit_code == 0, (command, result.output)
    line = _one_line(_cli(url, "users", "add", "bob", "--role", "viewer", "--password-stdin"),
                     1)
    assert "en lecture seule" in line or "impossible d'ouvrir" in line


def test_a_read_only_engine_never_writes(db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("mode=ro is SQLite's")
    engine = make_engine(db_url, read_only=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM commune")).scalar() == 0
        with pytest.raises(OperationalError, match="readonly"):
            conn.execute(text("INSERT INTO audit_event (at, action) "
                              "VALUES ('2026-01-01', 'backup')"))
    engine.dispose()


def test_an_upload_on_a_full_disk_gets_a_507_page(db_url, tmp_path, monkeypatch):
    from webmap import uploads

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads, "store", full)
    client = app.test_client()
    sign_in(client, "admin")
    response = client.post("/admin/upload", data={
        "csrf_token": csrf_token(client, "/admin/upload"), "kind": "communes",
        "file": (io.BytesIO(b'{"type": "FeatureCollection", "features": []}'), "c.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 507
    assert "Le disque du serveur est plein" in response.get_data(as_text=True)
    app.extensions["rollout_engine"].dispose()


@pytest.fixture
def usual_umask():
    """The common 022 umask, under which a file created without care is 0644."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_spatialite_file_and_its_wal_and_shm_are_private(tmp_path, usual_umask):
    path = tmp_path / "new.sqlite"
    assert _cli(f"sqlite:///{path}", "init").exit_code == 0
    assert _mode(path) == 0o600
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:  # the -wal and -shm files exist while a writer is connected
        conn.exec_driver_sql("INSERT INTO audit_event (at, action) VALUES ('2026-01-01', 'backup')")
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists() and _mode(side) == 0o600, suffix
    engine.dispose()


def test_a_backup_file_is_private(db_url, tmp_path, usual_umask):
    target = tmp_path / "copy.backup"
    result = _cli(db_url, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
