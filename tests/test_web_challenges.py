"""Signalements on the web, both backends: the API (public mode, JSON only, limits), the form
on the commune page with an evidence file, the public status page, the planners' queue and
workflow, the export per operator; hostile text shown as text everywhere.

Data: tests/alert_builders.py (commune 59001, 1 000 premises from batch 2).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from rollout.db import session_scope
from rollout.models import AuditEvent
from rollout.models_alerts import Challenge
from tests.alert_builders import FAR, load_2021
from tests.hostile import betrayals, by_name
from tests.test_alert_delivery import smtp  # noqa: F401 (the local SMTP server fixture)
from tests.web_login import csrf_token, sign_in
from webmap import create_app

HOSTILE = by_name("script").text + by_name("jinja_expression").text + by_name("equals").text


@pytest.fixture
def url(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_ALERTS_AFTER_IMPORT", "0")
    load_2021(db_url, tmp_path, [FAR])
    return db_url


def make_app(url: str, tmp_path: Path, **config):
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test",
                       "UPLOAD_FOLDER": str(tmp_path / "uploads"), **config})


def post(client, body, content_type="application/json"):
    return client.post("/api/challenges", data=json.dumps(body), content_type=content_type)


def test_api_in_public_mode_with_limits(url, tmp_path):
    app = make_app(url, tmp_path, PUBLIC_MODE=True, CHALLENGES_PER_ADDRESS=2)
    client = app.test_client()
    body = {"category": "premises_count", "commune_insee": "59001", "text": HOSTILE,
            "lon": 3.007, "lat": 50.604}
    made = post(client, body)
    assert made.status_code == 201
    answer = made.get_json()
    assert answer["status"] == "received"
    assert re.fullmatch(r"http://localhost/challenges/status/[A-Za-z0-9_-]{32}",
                        answer["status_url"])
    page = client.get(answer["status_url"].removeprefix("http://localhost"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;{{ 7919*7907 }}" in html
    assert not any(b in html for b in betrayals())
    assert client.get("/challenges/status/not-a-token").status_code == 404

    assert post(client, body, "text/plain").status_code == 415
    bad = post(client, {**body, "category": "?"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "category"
    assert post(client, body).status_code == 201
    limited = post(client, body)
    assert limited.status_code == 429 and limited.get_json()["parameter"] == "rate"
    assert client.get("/api/challenges/open").get_json() == {"59001": 2}
    app.extensions["rollout_engine"].dispose()


def test_api_needs_a_user_outside_public_mode(url, tmp_path):
    app = make_app(url, tmp_path)
    client = app.test_client()
    body = {"category": "premises_count", "commune_insee": "59001", "text": "x"}
    assert post(client, body).status_code == 401
    sign_in(client, "viewer")
    assert post(client, body).status_code == 201
    app.extensions["rollout_engine"].dispose()


def test_commune_page_form_with_evidence_then_queue_workflow_and_export(url, tmp_path):
    app = make_app(url, tmp_path)
    client = app.test_client()
    sign_in(client, "viewer")
    page = client.get("/communes/59001").get_data(as_text=True)
    assert 'id="challenge-form"' in page and "RGPD" in page
    assert re.search(r'id="open-challenges">[^<]*: 0<', page)
    token = csrf_token(client, "/communes/59001")
    form = {"category": "premises_count", "commune_insee": "59001", "text": HOSTILE,
            "operator_code": "FRTE", "email": "v@mel.example", "email_consent": "y"}
    assert client.post("/challenges/new", data=form).status_code == 400  # no CSRF token
    fake = client.post("/challenges/new", data={**form, "csrf_token": token,
                                                "evidence": (io.BytesIO(b"not a pdf"), "x.pdf")})
    assert fake.status_code == 400 and "content is not PDF" in fake.get_data(as_text=True)
    pdf = b"%PDF-1.4\n% preuve\n"
    done = client.post("/challenges/new", data={**form, "csrf_token": token,
                                                "evidence": (io.BytesIO(pdf), "preuve.pdf")})
    assert done.status_code == 303
    assert done.headers["Location"].startswith("/challenges/status/")
    digest = hashlib.sha256(pdf).hexdigest()
    assert (tmp_path / "uploads" / "challenges" / digest).read_bytes() == pdf
    assert client.get("/challenges").status_code == 403  # viewers do not handle the queue

    sign_in(client, "planner")
    queue = client.get("/challenges?commune=59001&status=received")
    html = queue.get_data(as_text=True)
    assert queue.headers["Cache-Control"] == "no-store"
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert not any(b in html for b in betrayals())
    assert "v@mel.example" not in html  # the e-mail is personal data, not queue material
    assert not re.search(r'id="challenge-\d+"',
                         client.get("/challenges?status=resolved").get_data(as_text=True))
    cid = int(re.search(r'id="challenge-(\d+)"', html).group(1))
    assert client.get(f"/challenges/{cid}/evidence").data == pdf
    token = csrf_token(client, "/challenges")
    for to_status, extra in (("investigating", {}), ("accepted", {}),
                             ("resolved", {"batch_id": "2"})):
        moved = client.post(f"/challenges/{cid}/step",
                            data={"csrf_token": token, "to_status": to_status,
                                  "note": f"note {to_status}", **extra})
        assert moved.status_code == 303, to_status
    refused = client.post(f"/challenges/{cid}/step", data={"csrf_token": token,
                                                          "to_status": "received", "note": "x"})
    assert refused.status_code == 400
    status_page = app.test_client().get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="challenge-status">résolu<' in status_page and "note accepted" in status_page
    assert "test-planner" not in status_page  # authors stay internal

    exported = client.get("/challenges/export/FRTE.csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True), newline="")))
    assert [(r["status"], r["text"], r["resolution_batch_id"]) for r in rows] == [
        ("resolved", HOSTILE, "2")]  # starts with "<": no formula lead to neutralise
    assert "email" not in rows[0]
    geo = client.get("/challenges/export/FRTE.geojson").get_json()
    assert geo["features"][0]["properties"]["evidence_sha256"] == digest
    engine = app.extensions["rollout_engine"]
    with session_scope(engine) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert session.get(Challenge, cid).channel == "web"
    assert actions.count("challenge_step") == 3 and actions.count("challenge_export") == 2
    engine.dispose()


def test_export_neutralises_a_formula_text(url, tmp_path):
    app = make_app(url, tmp_path, PUBLIC_MODE=True)
    client = app.test_client()
    formula = by_name("equals").text
    assert post(client, {"category": "connectable_count", "commune_insee": "59001",
                         "operator_code": "FRTE", "text": formula}).status_code == 201
    sign_in(client, "planner")
    text = client.get("/challenges/export/FRTE.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(text, newline=""))
    assert row["text"] == "'" + formula and row["shown_value"] == "400"
    assert client.get("/challenges/template.csv").get_data(as_text=True).startswith(
        "category,insee,building_id,target_ref")
    app.extensions["rollout_engine"].dispose()


def test_submitter_with_consent_gets_the_status_address_then_each_step(url, tmp_path, request):
    inbox = request.getfixturevalue("smtp")
    app = make_app(url, tmp_path, PUBLIC_MODE=True)
    client = app.test_client()
    body = {"category": "premises_count", "commune_insee": "59001", "text": "faux",
            "email": "habitant@example.org"}
    assert post(client, body).status_code == 400  # an address needs the consent
    assert post(client, {**body, "email": None}).status_code == 201  # no address: no mail
    made = post(client, {**body, "email_consent": True}).get_json()
    (ack,) = inbox.messages
    assert ack["To"] == "habitant@example.org"
    assert ack["Subject"] == f"[rollout] Signalement n° {made['id']} reçu"
    assert made["status_url"] in ack.get_content()
    sign_in(client, "planner")
    token = csrf_token(client, "/challenges")
    client.post(f"/challenges/{made['id']}/step", data={
        "csrf_token": token, "to_status": "investigating", "note": "Nous vérifions."})
    assert len(inbox.messages) == 2
    news = inbox.messages[1]
    assert news["Subject"] == f"[rollout] Signalement n° {made['id']} : en instruction"
    assert "Note : Nous vérifions." in news.get_content()
    assert made["status_url"] not in news.get_content()
    app.extensions["rollout_engine"].dispose()
