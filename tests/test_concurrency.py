"""Writers wait their turn (issue 13.1): concurrent sign-ins, uploads, report downloads and
CLI imports on both backends give no 5xx, no exit 1 and never "database is locked"."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from rollout import audit
from rollout.db import make_engine, session_scope
from rollout.importers import arcep, commitments, communes
from rollout.models import AuditEvent, ImportBatch
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)
from tests.web_login import PASSWORD, csrf_token, ensure_user, sign_in
from webmap import create_app

QUARTERS = ["T3 2020", "T4 2020", "T1 2021", "T2 2021"]


def _together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released at the same instant."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def loaded(db_url, tmp_path):
    engine = make_engine(db_url)
    communes.load(engine, write_communes(tmp_path / "c.geojson", {
        "59001": ("Aa", SQUARE_A), "59002": ("Bb", SQUARE_B)}))
    arcep.load(engine, write_arcep_2020(
        tmp_path / "obs.csv", "T4 2020", {"59001": 1000, "59002": 1000}, QUARTERS,
        {"59001": [800, 900, 950, 980], "59002": [400, 500, 700, 900]}))
    commitments.load(engine, write_commitments(tmp_path / "e.csv", [
        agreement(commune_insee="59001", metric="perimeter"),
        agreement(commune_insee="59002", metric="perimeter"),
        agreement(metric="ftth_connectable_share", target="0.9", due_on="2021-03-31")]))
    engine.dispose()
    return db_url


@pytest.fixture
def app(loaded, tmp_path):
    app = create_app({"DATABASE_URL": loaded, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                      "LOGIN_RATE_LIMIT": (1000, 900)})
    yield app
    app.extensions["rollout_engine"].dispose()


def _count(app, action: str) -> int:
    with session_scope(app.extensions["rollout_engine"]) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == action))


def test_twenty_concurrent_sign_ins_all_succeed_and_are_audited(app):
    setup = app.test_client()
    for i in range(20):
        ensure_user(setup, f"user{i}", "viewer")
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_token(c, "/login") for c in clients]

    def sign(i: int) -> int:
        return clients[i].post("/login", data={"csrf_token": tokens[i],
                                               "username": f"user{i}",
                                               "password": PASSWORD}).status_code

    statuses = _together(20, sign)
    assert statuses == [302] * 20
    assert _count(app, "login") == 20


def test_twenty_concurrent_uploads_all_answer(app):
    clients = [app.test_client() for _ in range(20)]
    for client in clients:
        sign_in(client, "admin")
    tokens = [csrf_token(c, "/admin/upload") for c in clients]
    # Ten distinct files, each uploaded twice: every one is loaded once, the copy a duplicate.

    def upload(i: int) -> tuple[int, str]:
        ring = [[x + 0.5 * (i % 10), y] for x, y in SQUARE_A]
        body = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                f'{{"code_insee": "591{i % 10:02d}", "nom": "C{i % 10}", "population": 10}}, '
                f'"geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}]}}').encode()
        response = clients[i].post("/admin/upload", content_type="multipart/form-data", data={
            "csrf_token": tokens[i], "kind": "communes",
            "file": (io.BytesIO(body), f"c{i % 10}.geojson")})
        return response.status_code, response.get_data(as_text=True)

    results = _together(20, upload)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r[0] for r in results] == [200] * 20, [r[1][-400:] for r in results if r[0] != 200]
    assert not any("locked" in r[1] for r in results)
    with session_scope(app.extensions["rollout_engine"]) as session:
        loaded = session.scalar(select(func.count()).select_from(ImportBatch).where(
            ImportBatch.kind == "communes", ImportBatch.file_name.like("c_.geojson")))
    assert loaded == 10
    assert sum("déjà importé" in r[1] for r in results) == 10


def test_pdf_and_xlsx_legal_downloads_at_once(app):
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        sign_in(client, "legal")
    paths = ["/operators/FRTE/delay-report.pdf?as_of=2021-07-01",
             "/operators/FRTE/delay-report.xlsx?as_of=2021-07-01"]
    before = _count(app, "report")
    responses = _together(2, lambda i: clients[i].get(paths[i]))
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].data.startswith(b"%PDF") and responses[1].data.startswith(b"PK")
    with session_scope(app.extensions["rollout_engine"]) as session:
        formats = sorted(e["details"]["format"] for e in audit.list_events(
            session, action="report").to_dict("records"))
    assert _count(app, "report") == before + 2 and formats == ["pdf", "xlsx"]


def test_two_cli_imports_of_one_file_wait_then_one_loads_one_is_a_duplicate(db_url, tmp_path):
    path = write_communes(tmp_path / "many.geojson", {
        f"59{i:03d}": (f"C{i}", [[x + 0.02 * i, y] for x, y in SQUARE_A]) for i in range(300)})
    command = [sys.executable, "-m", "rollout.cli", "--database", db_url,
               "import", "communes", str(path)]
    engine = make_engine(db_url)
    try:
        # A writer holds the lock: both imports must wait for it, say so, and then go on.
        with session_scope(engine, write=True) as session:
            audit.record(session, "backup", "test", "lock holder")
            procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
            early = ["", ""]
            for i, proc in enumerate(procs):
                while "en attente" not in early[i] and proc.poll() is None:
                    early[i] += proc.stderr.readline()
        outputs = [(out, early[i] + err) for i, (out, err) in
                   enumerate(p.communicate(timeout=300) for p in procs)]
    finally:
        engine.dispose()
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert all("en attente" in err for _, err in outputs), outputs
    assert not any("locked" in out + err for out, err in outputs)
    assert sorted("déjà importé" in out for out, _ in outputs) == [False, True]
    assert sum("importé —" in out for out, _ in outputs) == 1
    with session_scope(make_engine(db_url)) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)
                              .where(ImportBatch.status == "loaded")) == 1
