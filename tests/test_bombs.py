"""Decompression and parser bombs (issue 12 item 6, issue 14 item 3): each is a refused
import — exit 2, one `file:row: …: reason` line, a `rejected` batch — in bounded memory."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from geodata.errors import InputError
from geodata.limits import check_archive, json_depth, parse_json
from rollout.cli import main
from rollout.db import session_scope
from rollout.models import ImportBatch
from tests import bombs
from tests.builders import SQUARE_A, write_communes
from tests.web_login import csrf_token, sign_in
from webmap import create_app

ROLLOUT = str(Path(sys.executable).with_name("rollout"))
# The child's peak RSS, in KB on Linux, read by a wrapper process that only waits for it.
_PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")
ONE_GB_KB = 1_000_000


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "sites": bombs.anfr_bomb(folder / "anfr.zip"),
        "premises": bombs.single_line(folder / "ipe.csv"),
        "arcep": bombs.single_line(folder / "arcep.csv", header="Code commune;Nom commune\n"),
        "works": bombs.nested_json(folder / "works.geojson"),
    }


def _with_communes(url: str, tmp_path: Path) -> str:
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Alpha", SQUARE_A)})
    assert CliRunner().invoke(main, ["--database", url, "import", "communes",
                                     str(path)]).exit_code == 0
    return url


@pytest.mark.parametrize(("kind", "reason"), [
    ("sites", "inflates more than 100 times"),
    ("premises", "longer than 1 MB"),
    ("arcep", "a line is longer than 2048 KB"),
    ("works", "more than 64 (ROLLOUT_JSON_MAX_DEPTH)"),
])
def test_a_bomb_is_a_refused_import_in_bounded_memory(files, db_url, tmp_path, kind, reason):
    url = _with_communes(db_url, tmp_path)
    path = files[kind]
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, ROLLOUT, "--database", url, "import", kind, str(path)],
        capture_output=True, text=True, timeout=600)
    peak_kb, code = (int(v) for v in done.stdout.split()[-2:])
    assert code == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr  # the summary, then the problem
    assert lines[1].startswith(f"{path.name}") and reason in lines[1]
    assert peak_kb < ONE_GB_KB, f"peak RSS {peak_kb} KB"
    from rollout.db import make_engine

    engine = make_engine(url)
    with session_scope(engine) as session:
        batch = session.scalars(select(ImportBatch).where(ImportBatch.kind == kind)).one()
        assert batch.status == "rejected" and batch.file_name == path.name
    engine.dispose()


def test_archive_caps_follow_their_settings(tmp_path, monkeypatch):
    path = tmp_path / "plain.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "x" * (3 << 20))
    with pytest.raises(InputError, match="more than 100 times"):  # 3 MB inflate ~1000 times
        check_archive(path, "plain.zip")
    monkeypatch.setenv("ROLLOUT_UNZIP_MAX_RATIO", "100000")
    check_archive(path, "plain.zip")
    monkeypatch.setenv("ROLLOUT_UNZIP_MAX_MB", "2")
    with pytest.raises(InputError, match="inflates past 2 MB") as raised:
        check_archive(path, "plain.zip")
    assert str(raised.value).startswith("plain.zip:a.txt: ")


def test_json_depth_ignores_brackets_in_strings_and_follows_its_setting(monkeypatch):
    assert json_depth(b'{"a": "[[[[", "b": [[1], {"c": "\\"]]"}]}') == 3
    assert json_depth(b"3") == 0
    monkeypatch.setenv("ROLLOUT_JSON_MAX_DEPTH", "2")
    with pytest.raises(InputError, match="nested 3 levels deep, more than 2"):
        parse_json('[[["x"]]]', "f.json")
    assert parse_json('[["x"]]', "f.json") == [["x"]]


def test_a_long_field_is_refused_with_its_row(db_url, tmp_path, monkeypatch):
    url = _with_communes(db_url, tmp_path)
    monkeypatch.setenv("ROLLOUT_CSV_FIELD_MAX_KB", "1")
    path = tmp_path / "works.csv"
    path.write_text("id;title;lon;lat\nw1;short;3.0;50.6\nw2;" + "x" * 1500 + ";3.0;50.6\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["--database", url, "import", "works", str(path)])
    assert result.exit_code == 2
    assert "works.csv:3: a field is longer than 1 KB" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("kind", "name", "payload"), [
    ("works", "deep.geojson", b"[" * 200_000 + b"]" * 200_000),
    ("sites", "anfr.zip", None),
])
def test_web_upload_of_a_bomb_is_422_and_journaled(db_url, tmp_path, files, kind, name,
                                                    payload):
    url = _with_communes(db_url, tmp_path)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    client = app.test_client()
    sign_in(client, "admin")
    data = payload if payload is not None else files[kind].read_bytes()
    response = client.post("/admin/upload", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/upload"), "kind": kind,
        "file": (io.BytesIO(data), name)})
    assert response.status_code == 422
    with session_scope(app.extensions["rollout_engine"]) as session:
        statuses = session.scalars(select(ImportBatch.status).where(
            ImportBatch.kind == kind)).all()
    assert statuses == ["rejected"]
    app.extensions["rollout_engine"].dispose()
