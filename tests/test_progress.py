"""Progress bars on a terminal only (issue 18 §2): a building import run with stderr on a
pseudo-terminal shows rows, rate and time left; the same import with stderr on a pipe, or with
``ROLLOUT_PROGRESS=0``, prints no bar at all. Both backends (SpatiaLite inserts rows, PostGIS
COPYs them: two loops with a bar each)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from rollout import progress
from tests.builders import SQUARE_A, SQUARE_B, write_communes
from tests.test_reliability import ROOT, cli, write_big_ipe

ROWS = 12_000


@pytest.fixture
def with_communes(db_url: str, tmp_path: Path) -> str:
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    assert cli(db_url, "import", "communes", str(path)).exit_code == 0
    return db_url


def _import(url: str, path: Path, *, terminal: bool, env: dict | None = None) -> str:
    """Run ``rollout import premises`` in a child process; return what it wrote on stderr."""
    command = [sys.executable, "-m", "rollout.cli", "--database", url, "import", "premises",
               str(path), "--chunksize", "1000"]
    environment = {**os.environ, "COLUMNS": "120", **(env or {})}
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, env=environment,
                              timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        return done.stderr.decode()
    master, slave = pty.openpty()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=slave,
                             env=environment)
    os.close(slave)
    seen = b""
    while True:
        try:
            block = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not block:
            break
        seen += block
    os.close(master)
    assert child.wait(timeout=300) == 0
    return seen.decode(errors="replace")


def test_bar_on_a_terminal(with_communes: str, tmp_path: Path) -> None:
    path = write_big_ipe(tmp_path / "ipe_FRTE_20240115.csv", ROWS)
    shown = _import(with_communes, path, terminal=True)
    assert "ipe_FRTE_20240115.csv : immeubles" in shown
    assert "lignes/s" in shown  # the rate
    assert f"{ROWS // 1000}.0k/" in shown or f"{ROWS:,}" in shown or "12.0k" in shown
    assert "<" in shown  # tqdm's "[elapsed<remaining" time left


def test_no_bar_without_a_terminal_or_when_turned_off(with_communes: str,
                                                      tmp_path: Path) -> None:
    path = write_big_ipe(tmp_path / "ipe_FRTE_20240115.csv", ROWS)
    piped = _import(with_communes, path, terminal=False)
    assert "lignes/s" not in piped and "\r" not in piped
    again = write_big_ipe(tmp_path / "ipe_FRTE_20240116.csv", ROWS + 2)
    off = _import(with_communes, again, terminal=True, env={"ROLLOUT_PROGRESS": "0"})
    assert "lignes/s" not in off and "immeubles" not in off


def test_estimated_rows(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("header\n" + "".join(f"{i}\n" for i in range(10)), encoding="utf-8")
    assert progress.estimated_rows(small) == 10
    big = write_big_ipe(tmp_path / "big.csv", 60_000)  # about 4 MiB
    true_rows = sum(1 for _ in big.open("rb")) - 1
    assert true_rows == 60_000
    assert abs(progress.estimated_rows(big) - true_rows) / true_rows < 0.05
    assert progress.estimated_rows(tmp_path / "missing.csv") is None


def test_callbacks_do_nothing_when_off() -> None:
    assert not progress.enabled()
    with progress.bar("x", 10, "lignes") as advance:
        assert advance(5) is None
