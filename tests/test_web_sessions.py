"""Revocable server-side sessions (issue 12 item 5), on both backends.

A cookie is copied (``get_cookie``/``set_cookie``) into a second client, as an attacker who
read it would; after each way of ending a session that copy must get the login page. The
clock is the app's ``rollout_clock``, replaced by a list the tests move forward.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout import accounts, audit, web_sessions
from rollout.cli import main
from rollout.db import session_scope
from rollout.models import UserSession
from tests.web_login import PASSWORD, csrf_token, ensure_user
from webmap import create_app

T0 = dt.datetime(2026, 12, 4, 9, 0, 0)


@pytest.fixture
def clock():
    return [T0]


@pytest.fixture
def app(db_url, tmp_path, clock, monkeypatch):
    monkeypatch.delenv("ROLLOUT_IDLE_TIMEOUT_MINUTES", raising=False)
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    app.extensions["rollout_clock"] = lambda: clock[0]
    yield app
    app.extensions["rollout_engine"].dispose()


def _signed_in(app, username: str = "lea", role: str = "legal", **environ):
    client = app.test_client()
    ensure_user(client, username, role)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": PASSWORD},
                           environ_base=environ)
    assert response.status_code == 302
    return client


def _copy(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _is_signed_in(client, path: str = "/imports") -> bool:
    response = client.get(path)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    return response.status_code == 200


def _engine(app):
    return app.extensions["rollout_engine"]


def _rows(app) -> list[UserSession]:
    with session_scope(_engine(app)) as db:
        return list(db.scalars(select(UserSession).order_by(UserSession.id)))


def test_the_cookie_holds_only_a_random_id_and_the_database_its_hash(app):
    client = _signed_in(app, REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox/140")
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).loads(
            client.get_cookie("session").value)
    assert set(cookie) - {"csrf_token", "_permanent"} == {"sid"} and len(cookie["sid"]) >= 43
    (row,) = _rows(app)
    assert row.token_hash == web_sessions.token_digest(cookie["sid"]) != cookie["sid"]
    assert (row.client_address, row.user_agent, row.created_at, row.ended_at) == (
        "10.1.2.3", "Firefox/140", T0, None)


def test_logout_revokes_a_copied_cookie(app):
    client = _signed_in(app)
    thief = _copy(app, client)
    assert _is_signed_in(thief)
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/communes")}
                       ).status_code == 302
    assert not _is_signed_in(thief)
    assert not _is_signed_in(client)
    assert thief.get("/operators/FRTE/delay-report.csv").status_code == 302
    assert [(r.end_reason, r.ended_at) for r in _rows(app)] == [("logout", T0)]


def test_sign_out_everywhere_from_the_account_page(app):
    first, second = _signed_in(app), _signed_in(app)
    other_user = _signed_in(app, "paul", "planner")
    page = first.get("/account/sessions").get_data(as_text=True)
    assert page.count("<tr><td>") == 2 and "cette session" in page
    assert 'id="signout-everywhere"' in first.get("/account/password").get_data(as_text=True)
    assert first.post("/account/sessions").status_code == 400  # no CSRF token
    response = first.post("/account/sessions",
                          data={"csrf_token": csrf_token(first, "/account/sessions")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not _is_signed_in(first) and not _is_signed_in(second)
    assert _is_signed_in(other_user, "/communes")
    with session_scope(_engine(app)) as db:
        event = audit.list_events(db, action="sessions_ended").iloc[0]
    assert (event.username, event.target, event.details) == ("lea", "lea", {"sessions": 2})


def test_sign_out_everywhere_from_the_command_line(app, db_url):
    client = _signed_in(app)
    result = CliRunner().invoke(main, ["--database", db_url, "users", "signout", "LEA"])
    assert result.exit_code == 0, result.output
    assert result.output == "sessions web fermées : lea (1)\n"
    assert not _is_signed_in(client)
    unknown = CliRunner().invoke(main, ["--database", db_url, "users", "signout", "nobody"])
    assert unknown.exit_code == 2 and "no user named 'nobody'" in unknown.output


def test_idle_timeout_per_role_with_an_injected_clock(app, clock):
    legal, viewer = _signed_in(app), _signed_in(app, "vic", "viewer")
    clock[0] = T0 + dt.timedelta(minutes=29)
    assert _is_signed_in(legal) and _is_signed_in(viewer, "/communes")
    clock[0] = T0 + dt.timedelta(minutes=59)  # 30 minutes after their last request
    assert _is_signed_in(legal, "/communes")  # exactly 30 minutes: still valid
    clock[0] = T0 + dt.timedelta(minutes=89, seconds=1)
    assert not _is_signed_in(legal)
    clock[0] = T0 + dt.timedelta(minutes=29 + 480)
    assert _is_signed_in(viewer, "/communes")  # viewers: 8 hours
    assert [r.end_reason for r in _rows(app)] == ["idle", None]  # lea, then vic


def test_last_seen_is_written_at_most_once_a_minute(app, clock):
    client = _signed_in(app)
    for seconds in (0, 20, 59):
        clock[0] = T0 + dt.timedelta(seconds=seconds)
        assert _is_signed_in(client, "/communes")
    assert _rows(app)[0].last_seen_at == T0
    clock[0] = T0 + dt.timedelta(seconds=61)
    assert _is_signed_in(client, "/communes")
    assert _rows(app)[0].last_seen_at == T0 + dt.timedelta(seconds=61)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_browser(app):
    changer, other = _signed_in(app), _signed_in(app)
    thief = _copy(app, changer)
    token = csrf_token(changer, "/account/password")
    response = changer.post("/account/password", data={
        "csrf_token": token, "current": PASSWORD, "new": "another passphrase",
        "confirm": "another passphrase"})
    assert response.status_code == 302
    assert _is_signed_in(changer) and not _is_signed_in(other) and not _is_signed_in(thief)
    with session_scope(_engine(app)) as db:
        open_ = db.scalar(select(func.count()).select_from(UserSession)
                          .where(UserSession.ended_at.is_(None)))
    assert open_ == 1


@pytest.mark.parametrize("change", ["set-password", "set-role", "remove"])
def test_an_administrator_change_ends_the_sessions(app, change):
    client = _signed_in(app)
    with session_scope(_engine(app)) as db:
        if change == "set-password":
            accounts.set_password(db, "lea", "reset by the admin")
        elif change == "set-role":
            accounts.set_role(db, "lea", "admin")
        else:
            accounts.remove_user(db, "lea")
    assert not _is_signed_in(client)
    expected = {"set-password": ["password"], "set-role": ["role"], "remove": []}[change]
    assert [r.end_reason for r in _rows(app)] == expected


def test_a_replayed_cookie_after_idle_end_cannot_be_revived(app, clock):
    client = _signed_in(app)
    thief = _copy(app, client)
    clock[0] = T0 + dt.timedelta(hours=1)
    assert not _is_signed_in(client)
    clock[0] = T0  # even with a clock set back, the session has ended on the server
    assert not _is_signed_in(thief)


@pytest.mark.parametrize(("raw", "expected"), [
    (None, {"viewer": 480, "planner": 480, "legal": 30, "admin": 30}),
    ("15", {"viewer": 15, "planner": 15, "legal": 15, "admin": 15}),
    ("admin=10, viewer=60", {"viewer": 60, "planner": 480, "legal": 30, "admin": 10}),
])
def test_idle_timeout_setting(raw, expected):
    assert web_sessions.idle_timeouts(raw) == expected


@pytest.mark.parametrize("raw", ["0", "ten", "root=5", "admin=", "admin=-1"])
def test_a_bad_idle_timeout_setting_names_the_variable(raw):
    with pytest.raises(ValueError, match="ROLLOUT_IDLE_TIMEOUT_MINUTES was"):
        web_sessions.idle_timeouts(raw)
