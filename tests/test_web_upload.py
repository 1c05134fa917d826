"""Web upload of source files (admin): content checks, storage by sha256, the CLI's import
service and error display, audit, size limit and access (issue 7)."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from geodata.errors import InputError
from rollout import audit
from rollout.db import session_scope
from rollout.models import Commune, ImportBatch
from tests.builders import SQUARE_A, SQUARE_B, write_arcep_2020, write_communes
from tests.web_login import csrf_token, sign_in
from webmap import create_app
from webmap.uploads import check_content, safe_name


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    yield app
    app.extensions["rollout_engine"].dispose()


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, "admin")
    return client


def _post(client, kind: str, name: str, payload: bytes, token: str | None = None):
    token = token or csrf_token(client, "/admin/upload")
    return client.post("/admin/upload", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(payload), name)})


def _outcome(response) -> str:
    found = re.search(r'id="outcome"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    return found.group(1) if found else ""


def _problems(response) -> list[list[str]]:
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="data rejected" id="problems">.*?</table>', html, re.S)
    rows = re.findall(r"<tr>(<td.*?)</tr>", table.group(0)) if table else []
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]


def _scalar(app, query):
    with session_scope(app.extensions["rollout_engine"]) as session:
        return session.scalar(query)


def _communes_bytes(tmp_path: Path) -> bytes:
    path = write_communes(tmp_path / "c.geojson",
                          {"59001": ("Alpha", SQUARE_A), "59002": ("Beta", SQUARE_B)})
    return path.read_bytes()


def test_upload_imports_keeps_the_file_by_sha256_and_audits(app, admin, tmp_path):
    payload = _communes_bytes(tmp_path)
    digest = hashlib.sha256(payload).hexdigest()
    response = _post(admin, "communes", "mel_communes.geojson", payload)
    assert response.status_code == 200
    assert _outcome(response).startswith("mel_communes.geojson : lot ")
    assert "2 lignes lues, 2 chargées" in _outcome(response)
    assert _scalar(app, select(func.count()).select_from(Commune)) == 2
    kept = Path(app.config["UPLOAD_FOLDER"]) / digest / "mel_communes.geojson"
    assert kept.read_bytes() == payload
    with session_scope(app.extensions["rollout_engine"]) as session:
        batch = session.scalars(select(ImportBatch)).one()
        assert (batch.file_name, batch.sha256, batch.imported_by, batch.stored_path) == (
            "mel_communes.geojson", digest, "test-admin", str(kept))
        event = audit.list_events(session, action="import").iloc[0]
    assert event["username"] == "test-admin" and event["details"]["sha256"] == digest
    # The same bytes again: reported as already loaded, nothing changes.
    again = _post(admin, "communes", "mel_communes.geojson", payload)
    assert "déjà importé" in _outcome(again)
    assert _scalar(app, select(func.count()).select_from(Commune)) == 2


def test_rejected_rows_are_shown_like_the_cli_and_nothing_is_loaded(app, admin, tmp_path):
    _post(admin, "communes", "communes.geojson", _communes_bytes(tmp_path))
    arcep = write_arcep_2020(tmp_path / "arcep.csv", "T4 2020", {"59001": 100, "59002": 200},
                             ["T3 2020", "T4 2020"], {"59001": [10, "douze"], "59002": [20, 30]})
    response = _post(admin, "arcep", "arcep_2020t4.csv", arcep.read_bytes())
    assert response.status_code == 422
    assert "refusé, 1 problème(s)" in _outcome(response)
    # Title rows 1-4, header row 5, first commune on row 6 as a spreadsheet shows it.
    assert _problems(response) == [["arcep_2020t4.csv", "6", "T4 2020", "douze",
                                    "not a whole number"]]
    with session_scope(app.extensions["rollout_engine"]) as session:
        rejected = session.scalars(select(ImportBatch).where(ImportBatch.kind == "arcep")).one()
        assert rejected.status == "rejected" and rejected.imported_by == "test-admin"
        assert Path(rejected.stored_path).read_bytes() == arcep.read_bytes()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


REFUSED = [
    ("communes", "communes.geojson", b"PK\x03\x04" + bytes(200), "binary content"),
    ("communes", "communes.geojson", b"\xef\xbb\xbf  <html>", "not valid JSON"),
    ("communes", "communes.geojson", b"<html>" + b"x" * (1 << 20), "does not start like JSON"),
    ("communes", "communes.json", b'{"type": "FeatureCollection", "features": [',
     "not valid JSON"),
    ("communes", "communes.geojson", '{"nom": "Lillé"}'.encode("cp1252"), "UTF-8"),
    ("communes", "communes.gpkg", b"not a database at all", "no SQLite header"),
    ("communes", "communes.zip", b"PK\x03\x04truncated", "not a zip archive"),
    ("communes", "communes.pdf", b"%PDF-1.7", "must end with one of"),
    ("arcep", "arcep.xlsx", _zip({"a.txt": b"x"}), "not an XLSX workbook"),
    ("arcep", "arcep.csv", b"", "empty file"),
    ("arcep", "arcep.csv", b"Code commune;T1\x00\x00", "binary content"),
    ("works", "works.xml", b"type,title\n", "does not start like XML"),
    ("premises", "immeubles.xlsx", _zip({"[Content_Types].xml": b"<x/>"}),
     "must end with one of"),
]


@pytest.mark.parametrize(("kind", "name", "payload", "reason"), REFUSED)
def test_content_not_matching_the_name_is_refused_before_import(app, admin, kind, name,
                                                                payload, reason):
    response = _post(admin, kind, name, payload)
    assert response.status_code == 422
    problems = _problems(response)
    assert len(problems) == 1 and reason in problems[0][4]
    assert "refusé avant import" in _outcome(response)
    assert _scalar(app, select(func.count()).select_from(ImportBatch)) == 0
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or list(folder.iterdir()) == []


def test_content_checks_accept_real_formats(tmp_path):
    import openpyxl

    workbook = tmp_path / "a.xlsx"
    openpyxl.Workbook().save(workbook)
    gpkg = tmp_path / "a.gpkg"
    gpkg.write_bytes(b"SQLite format 3\x00" + bytes(100))
    csv_cp1252 = tmp_path / "a.csv"
    csv_cp1252.write_bytes("Code;Nom\n59350;Lillé\n".encode("cp1252"))
    big_json = tmp_path / "big.geojson"
    big_json.write_text('{"type": "FeatureCollection", "features": [' + "0," * 600_000 + "0]}")
    for path in (workbook, gpkg, csv_cp1252, big_json):
        check_content(path, path.name)


def test_safe_name_strips_paths_and_keeps_the_suffix():
    assert safe_name("../../etc/passwd.csv", "arcep") == "passwd.csv"
    assert safe_name("C:\\Users\\x\\Données 2024.CSV", "arcep").endswith(".csv")
    assert safe_name("...csv", "arcep") == "upload.csv"
    with pytest.raises(InputError):
        safe_name("noextension", "arcep")


def test_upload_over_the_size_limit_is_413(db_url, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAX_CONTENT_LENGTH": 4096})
    client = app.test_client()
    sign_in(client, "admin")
    response = _post(client, "arcep", "big.csv", b"a;b\n" * 5000)
    assert response.status_code == 413
    assert not (tmp_path / "uploads").exists()
    app.extensions["rollout_engine"].dispose()


def test_only_admins_may_upload(app, tmp_path):
    payload = _communes_bytes(tmp_path)
    legal = app.test_client()
    sign_in(legal, "legal")
    token = csrf_token(legal, "/communes")
    assert _post(legal, "communes", "c.geojson", payload, token).status_code == 403
    anonymous = app.test_client()
    response = _post(anonymous, "communes", "c.geojson", payload, csrf_token(anonymous, "/login"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _scalar(app, select(func.count()).select_from(ImportBatch)) == 0


def test_upload_without_a_file_is_400(admin):
    token = csrf_token(admin, "/admin/upload")
    response = admin.post("/admin/upload", data={"csrf_token": token, "kind": "communes"})
    assert response.status_code == 400
