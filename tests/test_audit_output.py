"""The audit trail as an adversary feeds it (issue 12 item 9): control characters never reach
the administrator's terminal or page, invalid usernames are stored as a placeholder,
anonymous web actions are not "(CLI)", and the client address is kept."""

from __future__ import annotations

import json
import unicodedata

import pytest
from click.testing import CliRunner

from rollout import audit
from rollout.cli import main
from rollout.db import make_engine, session_scope
from tests.hostile import CONTROL, by_name
from tests.web_login import csrf_token, sign_in
from webmap import create_app

ANSI = by_name("ansi_colour").text


def _raw_controls(text: str) -> set[str]:
    """Characters of ``text`` a terminal could act on (line breaks between rows aside)."""
    return {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl",
                                                                         "Zp")}


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


@pytest.fixture
def hostile_log(db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        for payload in CONTROL:
            audit.record(db, "export", "admin", payload.text, {"file": payload.text})
        audit.record(db, "login_failed", ANSI, None, {"reason": "unknown_user"})
    engine.dispose()
    return db_url


def test_visible_escapes_every_control_and_invisible_character():
    assert audit.visible(ANSI) == "\\x1b[31mROUGE\\x1b[0m"
    assert audit.visible("abc\u202edcba\u202c") == "abc\\u202edcba\\u202c"
    assert audit.visible({"k\x07": ["Lil\u200ble", 3]}) == {"k\\x07": ["Lil\\u200ble", 3]}
    assert audit.visible("Lille — 59350 é") == "Lille — 59350 é"


def test_cli_table_and_json_show_escapes_never_raw_controls(hostile_log):
    table = _cli(hostile_log, "audit")
    assert table.exit_code == 0, table.output
    assert _raw_controls(table.output) == set()
    assert "\\x1b[31mROUGE\\x1b[0m" in table.output and "\\u202e" in table.output
    as_json = _cli(hostile_log, "audit", "--format", "json")
    assert as_json.exit_code == 0 and _raw_controls(as_json.output) == set()
    events = json.loads(as_json.output)
    targets = {e["target"] for e in events if e["action"] == "export"}
    assert "avant\\x00après" in targets and "ok\\x08\\x08KO" in targets
    assert all(e["client_address"] is None for e in events)


def test_an_invalid_username_is_logged_as_a_placeholder(hostile_log):
    engine = make_engine(hostile_log)
    with session_scope(engine) as db:
        event = audit.list_events(db, action="login_failed").iloc[0]
    engine.dispose()
    assert event.username.startswith("(invalide) ") and len(event.username) == 19
    assert event.username == audit.safe_username(ANSI) != audit.safe_username("x" + ANSI)
    assert audit.safe_username("lea.martin@mel") == "lea.martin@mel"


def test_web_events_carry_the_client_address_and_anonymous_ones_say_so(db_url, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "TRUSTED_PROXIES": 1, "UPLOAD_FOLDER": str(tmp_path)})
    visitor = app.test_client()
    token = csrf_token(visitor, "/login")
    visitor.post("/login", data={"csrf_token": token, "username": ANSI, "password": "x"},
                 headers={"X-Forwarded-For": "203.0.113.7"})
    with session_scope(app.extensions["rollout_engine"]) as db:
        audit.record(db, "report", None, "R1", {"via": "web"})  # the command line: no address
    admin = app.test_client()
    sign_in(admin, "admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert _raw_controls(page.replace("\r", "")) == set()
    assert "203.0.113.7" in page and "(invalide) " in page
    assert "ligne de commande" in page
    with session_scope(app.extensions["rollout_engine"]) as db:
        failed = audit.list_events(db, action="login_failed").iloc[0]
    assert failed.client_address == "203.0.113.7"
    table = _cli(db_url, "audit", "--action", "report").output.splitlines()
    assert "(CLI)" in table[2] and "anonyme" not in table[2]
    app.extensions["rollout_engine"].dispose()


def test_an_anonymous_web_download_is_anonymous_web_not_cli(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test",
                      "PUBLIC_MODE": True})
    address = "198.51.100.29"
    response = app.test_client().get("/communes/59350/sheet.html?as_of=2021-01-01",
                                     environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    with session_scope(app.extensions["rollout_engine"]) as db:
        events = audit.list_events(db, action="report", limit=50)
    mine = events[events["client_address"] == address]
    assert len(mine) == 1 and mine.iloc[0]["username"] is None
    admin = app.test_client()
    sign_in(admin, "admin")
    rows = admin.get("/admin/audit?action=report").get_data(as_text=True).split("<tr")
    assert any(address in row and "anonyme (web)" in row for row in rows)
    rows_en = admin.get("/admin/audit?action=report&lang=en").get_data(as_text=True)
    assert "anonymous (web)" in rows_en
    table = _cli(demo_url, "audit", "--action", "report", "--limit", "50").output
    assert any(address in line and "anonyme (web)" in line for line in table.splitlines())
    app.extensions["rollout_engine"].dispose()
