"""Changing a password (web page and `rollout users set-password`) and the trusted-proxy option.

Through the real app factory and a fresh database on each backend; sessions are signed in
through the real login form, so they carry the server session a real browser gets.
"""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner

from rollout import audit
from rollout.accounts import add_user, verify_password
from rollout.cli import main
from rollout.db import make_engine, session_scope
from tests.web_login import PASSWORD, csrf_token, ensure_user, put_in_session
from webmap import create_app

NEW = "a brand new passphrase"
PAGE = "/account/password"


@pytest.fixture
def app(db_url, tmp_path, monkeypatch):
    monkeypatch.delenv("ROLLOUT_TRUSTED_PROXIES", raising=False)
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    yield app
    app.extensions["rollout_engine"].dispose()


def _login(client, username: str, password: str, **kwargs):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password}, **kwargs)


def _signed_in_client(app, username: str = "alice"):
    client = app.test_client()
    ensure_user(client, username, "planner")
    assert _login(client, username, PASSWORD).status_code == 302
    return client


def _change(client, current: str, new: str, confirm: str | None = None, query: str = ""):
    token = csrf_token(client, PAGE)
    return client.post(PAGE + query, data={"csrf_token": token, "current": current, "new": new,
                                           "confirm": new if confirm is None else confirm})


def _text(response) -> str:
    """The page's text with HTML entities decoded (Jinja escapes the apostrophe)."""
    return html.unescape(response.get_data(as_text=True))


def _events(app, action: str):
    with session_scope(app.extensions["rollout_engine"]) as session:
        return audit.list_events(session, action=action)


def _can_sign_in(app, username: str, password: str) -> bool:
    response = _login(app.test_client(), username, password)
    assert response.status_code in (200, 302)
    return response.status_code == 302


# --- the web page ----------------------------------------------------------------------------

def test_change_password_replaces_the_old_one_and_is_audited(app):
    client = _signed_in_client(app)
    response = _change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    page = _text(client.get(PAGE))
    assert "Mot de passe modifié. Vos autres sessions ont été fermées." in page
    assert 'id="signed-in">alice (planner)' in page  # this session stays signed in
    assert not _can_sign_in(app, "alice", PASSWORD)
    assert _can_sign_in(app, "alice", NEW)
    events = _events(app, "password_changed")
    assert events[["username", "target"]].values.tolist() == [["alice", "alice"]]
    assert events.loc[0, "details"] == {"reset": False}


def test_wrong_current_password_is_refused_audited_and_rate_limited(db_url, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "LOGIN_RATE_LIMIT": (2, 900), "UPLOAD_FOLDER": str(tmp_path)})
    client = _signed_in_client(app)
    for _ in range(2):
        response = _change(client, "not the password", NEW)
        assert response.status_code == 200
        assert "Mot de passe actuel incorrect." in _text(response)
    blocked = _change(client, PASSWORD, NEW)  # the right one, but after 2 failures
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Trop d'essais. Réessayez dans 15 minutes." in _text(blocked)
    assert "Au moins 8 caractères." in _text(blocked)  # the form is shown again, whole
    assert _events(app, "password_changed").empty
    reasons = [e["reason"] for e in _events(app, "login_failed")["details"]]
    assert reasons == ["rate_limited", "wrong_current_password", "wrong_current_password"]
    app.extensions["rollout_engine"].dispose()


@pytest.mark.parametrize(("new", "confirm", "message"), [
    (NEW, NEW + "!", "Les deux saisies du nouveau mot de passe diffèrent."),
    ("seven77", "seven77", "Le nouveau mot de passe doit compter au moins 8 caractères."),
    (PASSWORD, PASSWORD, "Le nouveau mot de passe doit différer de l'actuel."),
    ("", "", "Remplissez les trois champs."),
])
def test_refused_new_passwords_change_nothing(app, new, confirm, message):
    client = _signed_in_client(app)
    response = _change(client, PASSWORD, new, confirm)
    assert response.status_code == 200
    assert message in _text(response)
    assert _events(app, "password_changed").empty
    assert _can_sign_in(app, "alice", PASSWORD)


def test_refusal_in_english(app):
    client = _signed_in_client(app)
    response = _change(client, PASSWORD, "seven77", query="?lang=en")
    page = _text(response)
    assert "The new password must have at least 8 characters." in page
    assert "Change my password" in page


def test_csrf_token_is_required(app):
    client = _signed_in_client(app)
    form = {"current": PASSWORD, "new": NEW, "confirm": NEW}
    assert client.post(PAGE, data=form).status_code == 400
    assert client.post(PAGE, data={**form, "csrf_token": "forged"}).status_code == 400
    assert _can_sign_in(app, "alice", PASSWORD)
    assert _events(app, "password_changed").empty


def test_a_new_password_signs_the_other_sessions_out(app):
    changer = _signed_in_client(app)
    other = _signed_in_client(app)
    assert other.get(PAGE).status_code == 200
    assert _change(changer, PASSWORD, NEW).status_code == 302
    refused = other.get(PAGE)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert changer.get(PAGE).status_code == 200


def test_a_cookie_without_session_id_must_sign_in_again(app):
    # A cookie from before server sessions: the username alone. Adopting it would let it
    # outlive a logout or password change made while it lay unused.
    legacy = app.test_client()
    ensure_user(legacy, "test-viewer", "viewer")
    put_in_session(legacy, "test-viewer", legacy=True)
    refused = legacy.get(PAGE)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    current = app.test_client()
    put_in_session(current, "test-viewer")
    assert current.get(PAGE).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(app):
    response = app.test_client().get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/password"


def test_the_link_is_next_to_the_signed_in_name(app):
    anonymous = app.test_client().get("/login").get_data(as_text=True)
    assert 'id="change-password"' not in anonymous
    signed = _signed_in_client(app).get("/login").get_data(as_text=True)
    assert f'href="{PAGE}" id="change-password"' in signed


# --- the command line ------------------------------------------------------------------------

def _cli(url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--database", url, *args], input=stdin)


def _verify(url: str, username: str, password: str) -> bool:
    engine = make_engine(url)
    with session_scope(engine) as session:
        ok = verify_password(session, username, password) is not None
    engine.dispose()
    return ok


def test_cli_set_password_from_stdin(db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        add_user(session, "bob", "first password", "legal")
    result = _cli(db_url, "users", "set-password", "Bob", "--password-stdin",
                  stdin="eight888\n")
    assert result.exit_code == 0, result.output
    assert "bob" in result.output
    assert not _verify(db_url, "bob", "first password")
    assert _verify(db_url, "bob", "eight888")  # 8 characters: the minimum is allowed
    with session_scope(engine) as session:
        event = audit.list_events(session, action="password_changed").iloc[0]
    engine.dispose()
    assert (event.username, event.target, event.details) == (None, "bob", {"reset": True})


def test_cli_set_password_prompts_twice(db_url):
    assert _cli(db_url, "users", "add", "carl", "--role", "viewer", "--password-stdin",
                stdin="first password\n").exit_code == 0
    result = _cli(db_url, "users", "set-password", "carl",
                  stdin="pass-word-1\npass-word-2\npass-word-3\npass-word-3\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert _verify(db_url, "carl", "pass-word-3")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["nobody", "--password-stdin"], "long password\n", "no user named 'nobody'"),
    (["nobody"], "", "no user named 'nobody'"),
    (["dora", "--password-stdin"], "seven77\n", "password has 7 characters; at least 8"),
])
def test_cli_set_password_refusals_exit_2(db_url, args, stdin, message):
    assert _cli(db_url, "users", "add", "dora", "--role", "viewer", "--password-stdin",
                stdin="first password\n").exit_code == 0
    result = _cli(db_url, "users", "set-password", *args, stdin=stdin)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert "Nouveau mot de passe" not in result.output  # refused before any prompt
    assert _verify(db_url, "dora", "first password")


def test_cli_set_password_ends_web_sessions(app, db_url):
    client = _signed_in_client(app)
    assert client.get(PAGE).status_code == 200
    assert _cli(db_url, "users", "set-password", "alice", "--password-stdin",
                stdin=NEW + "\n").exit_code == 0
    assert client.get(PAGE).status_code == 302


# --- behind a reverse proxy ------------------------------------------------------------------

def _proxied_login(client, forwarded_for: str, password: str):
    return _login(client, "eve", password, headers={"X-Forwarded-For": forwarded_for})


@pytest.mark.parametrize(("proxies", "second_client_status"), [("1", 302), (None, 429)])
def test_trusted_proxies_rate_limit_each_client(db_url, tmp_path, monkeypatch, proxies,
                                                second_client_status):
    if proxies is None:
        monkeypatch.delenv("ROLLOUT_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("ROLLOUT_TRUSTED_PROXIES", proxies)
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "LOGIN_RATE_LIMIT": (1, 900), "UPLOAD_FOLDER": str(tmp_path)})
    first, second = app.test_client(), app.test_client()
    ensure_user(first, "eve", "viewer")
    # Both requests reach the app from the proxy's address (the test client's 127.0.0.1).
    assert _proxied_login(first, "203.0.113.1", "wrong guess").status_code == 200
    assert _proxied_login(second, "203.0.113.2", PASSWORD).status_code == second_client_status
    assert _proxied_login(first, "203.0.113.1", PASSWORD).status_code == 429
    # The proxy appends the address it saw: a client cannot pick its own by sending one.
    spoofed = _proxied_login(first, "198.51.100.7, 203.0.113.1", PASSWORD)
    assert spoofed.status_code == 429
    app.extensions["rollout_engine"].dispose()


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_trusted_proxies_must_be_a_count(db_url, monkeypatch, value):
    monkeypatch.setenv("ROLLOUT_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match=f"ROLLOUT_TRUSTED_PROXIES was '{value}'"):
        create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test"})
