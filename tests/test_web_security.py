"""Access control, CSRF, sessions, rate limiting, security headers and report audit (issue 7).

Each protected route is requested anonymously, with the role just below the one it needs
and with that role; the expected minimum roles are the issue's table (viewer: map, commune
pages and sheets; planner: + exports, gaps, dig-once; legal: + operator-delay reports and
evidence; admin: + imports, users, audit).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat

import pytest
from flask import Flask

from rollout import audit
from rollout.db import session_scope
from tests.web_login import PASSWORD, csrf_token, ensure_user, put_in_session, sign_in
from webmap import create_app, env_flag
from webmap.auth import LoginLimiter, requires

BELOW = {"viewer": None, "planner": "viewer", "legal": "planner", "admin": "legal"}
# path -> the least role that may open it
ROUTES = {
    "/": "viewer", "/communes": "viewer", "/communes.csv": "viewer",
    "/communes/59350": "viewer", "/operators": "viewer", "/operators/FRTE": "viewer",
    "/communes/59350/sheet.html": "viewer", "/council.xlsx": "viewer",
    "/api/communes": "viewer", "/api/communes/59350/progress": "viewer",
    "/api/assessments": "viewer", "/api/sites": "viewer", "/api/openapi.json": "viewer",
    "/feeds/works.wzdx.geojson": "viewer", "/feeds/works.cifs.xml": "viewer",
    "/feeds/works.cifs.json": "viewer", "/catalog.jsonld": "viewer", "/open-data/": "viewer",
    "/open-data/communes.csv": "viewer",
    "/api/gaps": "planner", "/api/gap_hexagons": "planner", "/api/gaps_5g": "planner",
    "/api/works": "planner", "/export.gpkg": "planner",
    "/tiles/communes/10/520/344.pbf": "viewer", "/tiles/sites/10/520/344.pbf": "viewer",
    "/tiles/gaps/10/520/344.pbf": "planner", "/tiles/gap_hexagons/10/520/344.pbf": "planner",
    "/tiles/gaps_5g/10/520/344.pbf": "planner", "/tiles/works/10/520/344.pbf": "planner",
    "/tiles/buildings/10/520/344.pbf": "planner",
    "/operators/FRTE/delay-report.csv": "legal", "/imports": "legal",
    "/operators/FRTE/evidence-bundle.zip": "legal",
    "/admin/upload": "admin", "/admin/users": "admin", "/admin/audit": "admin",
    "/alerts.atom": "viewer", "/challenges/new": "viewer", "/challenges/template.csv": "viewer",
    "/api/challenges/open": "viewer", "/challenges": "planner",
    "/challenges/export/FRTE.csv": "planner",
}
PUBLIC = [path for path, role in ROUTES.items() if role == "viewer"]
PROTECTED = [path for path, role in ROUTES.items() if role != "viewer"]


@pytest.fixture
def app(demo_url, tmp_path):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "OPEN_DATA": True})
    yield app
    app.extensions["rollout_engine"].dispose()


@pytest.fixture
def public_app(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test", "OPEN_DATA": True})
    yield app
    app.extensions["rollout_engine"].dispose()


def _client_as(app: Flask, role: str | None):
    client = app.test_client()
    if role is not None:
        sign_in(client, role)
    return client


def _refused(response, path: str, signed_in: bool) -> None:
    if path.startswith("/api/"):
        assert response.status_code == (403 if signed_in else 401), path
        assert response.is_json and response.get_json()["error"]
    elif signed_in:
        assert response.status_code == 403, path
    else:
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")


def test_every_route_declares_a_permission_and_is_in_the_matrix(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert hasattr(view, "required_permission"), endpoint
    urls = app.url_map.bind("localhost")
    tested = {urls.match(path)[0] for path in ROUTES}
    # Sign-in pages, one's own account pages and alert subscriptions: open to whoever is (or
    # is becoming) signed in (tests/test_web_alerts.py covers the subscriptions,
    # tests/test_web_sessions.py the sessions page).
    assert tested == set(app.view_functions) - {"static", "auth.login", "auth.logout",
                                                "auth.change_password", "auth.sessions",
                                                "alerts.subscriptions", "alerts.unsubscribe",
                                                # POSTs, a token's page and a stored file:
                                                # tests/test_web_challenges.py
                                                "challenges.api_submit", "challenges.step",
                                                "challenges.status", "challenges.evidence"}


@pytest.mark.parametrize("path", list(ROUTES))
def test_each_route_refuses_anonymous_and_the_role_below_and_admits_its_role(app, path):
    role = ROUTES[path]
    _refused(_client_as(app, None).get(path), path, signed_in=False)
    if BELOW[role] is not None:
        _refused(_client_as(app, BELOW[role]).get(path), path, signed_in=True)
    response = _client_as(app, role).get(path)
    assert response.status_code == 200, path


@pytest.mark.parametrize("path", PUBLIC)
def test_public_mode_opens_map_commune_pages_and_sheets(public_app, path):
    assert public_app.test_client().get(path).status_code == 200


@pytest.mark.parametrize("path", PROTECTED)
def test_public_mode_never_opens_reports_exports_imports_or_audit(public_app, path):
    _refused(public_app.test_client().get(path), path, signed_in=False)


def test_a_view_declaring_nothing_is_refused(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test"})
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    app.add_url_rule("/declared", "declared", requires(None)(lambda: "open"))
    client = _client_as(app, "admin")
    assert client.get("/undeclared").status_code == 403
    assert client.get("/declared").data == b"open"
    app.extensions["rollout_engine"].dispose()


def test_pages_hide_links_the_user_may_not_open(public_app):
    anonymous = public_app.test_client().get("/communes").get_data(as_text=True)
    assert 'href="/export.gpkg"' not in anonymous and 'href="/admin/audit"' not in anonymous
    assert 'id="sign-in"' in anonymous
    admin = _client_as(public_app, "admin").get("/communes").get_data(as_text=True)
    assert 'href="/export.gpkg"' in admin and 'href="/admin/audit"' in admin
    assert "test-admin (admin)" in admin
    legal = _client_as(public_app, "legal").get("/operators/FRTE").get_data(as_text=True)
    viewer = _client_as(public_app, "viewer").get("/operators/FRTE").get_data(as_text=True)
    assert "delay-report.pdf" in legal and "delay-report.pdf" not in viewer


def _login(client, username: str, password: str, next_: str = "", **kwargs):
    token = csrf_token(client, "/login")
    return client.post(f"/login{next_}", data={"csrf_token": token, "username": username,
                                               "password": password}, **kwargs)


def test_login_logout_and_their_audit_events(app):
    client = app.test_client()
    ensure_user(client, "login-user", "viewer")
    response = _login(client, "Login-User", PASSWORD, "?next=/communes/59350")
    assert response.status_code == 302 and response.headers["Location"] == "/communes/59350"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/communes/59350").status_code == 200
    assert client.get("/export.gpkg").status_code == 403
    # Signing out is a POST with the CSRF token; afterwards the pages need a login again.
    assert client.post("/logout").status_code == 400
    token = csrf_token(client, "/communes")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/communes").status_code == 302
    with session_scope(app.extensions["rollout_engine"]) as session:
        events = audit.list_events(session, username="login-user", limit=2)
    assert list(events["action"]) == ["logout", "login"]


def test_wrong_password_is_refused_and_audited(app):
    client = app.test_client()
    ensure_user(client, "wrong-pw", "viewer")
    response = _login(client, "wrong-pw", "not the password")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/communes").status_code == 302
    with session_scope(app.extensions["rollout_engine"]) as session:
        events = audit.list_events(session, action="login_failed", username="wrong-pw")
    assert events.iloc[0]["details"] == {"reason": "wrong_password"}


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(app, target):
    client = app.test_client()
    ensure_user(client, "redirect-user", "viewer")
    response = _login(client, "redirect-user", PASSWORD, "", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_secure_cookie_when_configured(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "SECRET_KEY": "test",
                      "SESSION_COOKIE_SECURE": True})
    client = app.test_client()
    ensure_user(client, "secure-user", "viewer")
    html = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    # Over https Flask-WTF also checks that the Referer is this site (strict SSL CSRF check).
    response = client.post("/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"},
                           data={"csrf_token": token, "username": "secure-user",
                                 "password": PASSWORD})
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    app.extensions["rollout_engine"].dispose()


@pytest.mark.parametrize("path", ["/login", "/logout", "/admin/upload"])
def test_post_without_csrf_token_is_refused(app, path):
    client = _client_as(app, "admin")
    response = client.post(path, data={"username": "test-admin", "password": PASSWORD,
                                       "kind": "communes"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    forged = client.post(path, data={"csrf_token": "forged", "username": "x", "password": "y"})
    assert forged.status_code == 400


def test_sixth_failure_in_a_window_is_429_even_with_the_right_password(app):
    client = app.test_client()
    ensure_user(client, "brute", "viewer")
    for _ in range(5):
        assert _login(client, "brute", "guess-guess").status_code == 200
    blocked = _login(client, "BRUTE", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert client.get("/communes").status_code == 302
    # Another address is not blocked for the same username.
    other = app.test_client()
    response = _login(other, "brute", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302
    with session_scope(app.extensions["rollout_engine"]) as session:
        events = audit.list_events(session, action="login_failed", username="brute", limit=1)
    assert events.iloc[0]["details"] == {"reason": "rate_limited"}


def test_limiter_window_slides():
    now = [1000.0]
    limiter = LoginLimiter(max_failures=2, window_seconds=60, clock=lambda: now[0])
    key = ("alice", "127.0.0.1")
    limiter.failed(key)
    now[0] += 30
    limiter.failed(key)
    assert limiter.retry_after(key) == 31  # the first failure leaves the window at 1060
    now[0] += 31
    assert limiter.retry_after(key) is None
    limiter.failed(key)
    limiter.reset(key)
    assert limiter.retry_after(key) is None


def test_limiter_memory_is_bounded_and_never_drops_a_locked_key():
    now = [0.0]
    limiter = LoginLimiter(max_failures=1, window_seconds=60, max_keys=3,
                           clock=lambda: now[0])
    for i in range(10):
        limiter.failed((f"user{i}", "1.2.3.4"))
    assert len(limiter._pairs.failures) == 3 and len(limiter._accounts.failures) == 3
    assert limiter.retry_after(("user0", "1.2.3.4")) == 61  # locked: kept to its end
    assert limiter.retry_after(("user9", "1.2.3.4")) == 61  # full of locked keys: refused
    now[0] = 60.0  # every window has ended: room again
    assert limiter.retry_after(("user9", "1.2.3.4")) is None


def test_limiter_has_a_per_account_ceiling_across_addresses():
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window_seconds=900, account_max_failures=20,
                           clock=lambda: now[0])
    for i in range(20):  # 20 addresses, one guess each: no address reaches 5
        assert limiter.retry_after(("alice", f"10.0.0.{i}")) is None
        limiter.failed(("alice", f"10.0.0.{i}"))
        now[0] += 10
    # now = 200; the first failure (at 0) leaves the window at 900
    assert limiter.retry_after(("alice", "192.0.2.1")) == 701
    limiter.reset(("alice", "192.0.2.1"))  # a success from one address does not lift it
    assert limiter.retry_after(("alice", "192.0.2.1")) == 701
    assert limiter.retry_after(("bob", "10.0.0.1")) is None
    now[0] = 900.0
    assert limiter.retry_after(("alice", "192.0.2.1")) is None


def _nonce(csp: str) -> str:
    return re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", csp).group(1)


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


_INLINE = re.compile(r"<(script|style)((?![^>]*\bsrc=)(?![^>]*application/json)[^>]*)>(.*?)</\1>",
                     re.S)


def test_csp_is_strict_signed_in_pages_carry_a_fresh_nonce(public_app):
    client = _client_as(public_app, "planner")
    first, second = client.get("/"), client.get("/")
    csp = first.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "same-origin"
    nonce = _nonce(csp)
    assert nonce != _nonce(second.headers["Content-Security-Policy"])
    assert f"style-src 'self' 'nonce-{nonce}'" in csp
    html = first.get_data(as_text=True)
    inline = [attributes for _, attributes, _ in _INLINE.findall(html)]
    assert len(inline) >= 3  # Folium's styles, its setup script and the map script
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert not re.search(r"<[a-z][^>]*\sstyle=", html) and not re.search(r"\son[a-z]+=", html)


def test_cached_public_pages_allow_each_inline_element_by_its_hash(public_app):
    # The same bytes go to every anonymous visitor (webmap.page_cache): no nonce to share.
    client = public_app.test_client()
    first, second = client.get("/"), client.get("/")
    csp = first.headers["Content-Security-Policy"]
    assert second.data == first.data and "nonce" not in csp and "unsafe-inline" not in csp
    html = first.get_data(as_text=True)
    inline = _INLINE.findall(html)
    assert len(inline) >= 3 and ' nonce="' not in html
    for _, _, content in inline:
        assert _sha256_source(content) in csp
    assert not re.search(r"<[a-z][^>]*\sstyle=", html) and not re.search(r"\son[a-z]+=", html)


def test_report_html_styles_are_allowed_by_hash(app):
    response = _client_as(app, "viewer").get("/communes/59350/sheet.html?as_of=2020-01-01")
    css = re.search(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_report_download_is_audited_with_id_and_fingerprint(app):
    client = app.test_client()
    ensure_user(client, "audit-legal", "legal")
    put_in_session(client, "audit-legal")
    response = client.get("/operators/FRTE/delay-report.html?as_of=2023-01-01")
    assert response.status_code == 200
    footer = re.search(r"rapport ([0-9A-F]{12})</footer>", response.get_data(as_text=True))
    with session_scope(app.extensions["rollout_engine"]) as db:
        event = audit.list_events(db, action="report", username="audit-legal", limit=1).iloc[0]
    assert event["target"] == footer.group(1)
    assert event["details"]["fingerprint"] == hashlib.sha256(response.data).hexdigest()
    assert event["details"] | {"fingerprint": None} == {
        "kind": "operator-delay", "operator": "FRTE", "as_of": "2023-01-01",
        "format": "html", "via": "web", "fingerprint": None}


def test_session_key_is_persistent_private_and_shared(tmp_path, demo_url, monkeypatch):
    import shutil

    from rollout.db import make_engine

    monkeypatch.delenv("ROLLOUT_SECRET_KEY", raising=False)
    if not demo_url.startswith("sqlite"):
        pytest.skip("the key file lives next to a SpatiaLite database")
    db = tmp_path / "copy.sqlite"
    shutil.copy(demo_url.removeprefix("sqlite:///"), db)
    first = create_app({"DATABASE_URL": f"sqlite:///{db}", "TESTING": True})
    key_file = tmp_path / "copy.sqlite.secret-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    client = first.test_client()
    ensure_user(client, "restart-user", "viewer")
    assert _login(client, "restart-user", PASSWORD).status_code == 302
    cookie = client.get_cookie("session").value
    # A restarted server (a new app on the same database) accepts the same session.
    second = create_app({"DATABASE_URL": f"sqlite:///{db}", "TESTING": True})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    again = second.test_client()
    again.set_cookie("session", cookie)
    assert again.get("/communes").status_code == 200
    monkeypatch.setenv("ROLLOUT_SECRET_KEY", "from-the-environment")
    third = create_app({"DATABASE_URL": f"sqlite:///{db}", "TESTING": True})
    assert third.config["SECRET_KEY"] == "from-the-environment"
    for app in (first, second, third):
        app.extensions["rollout_engine"].dispose()
    make_engine(f"sqlite:///{db}").dispose()


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    from webmap.security import persistent_secret_key

    path = tmp_path / "k.secret-key"
    path.write_text("abc\n")
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        persistent_secret_key(path)


def test_public_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("ROLLOUT_PUBLIC_MODE", "yes")
    assert env_flag("ROLLOUT_PUBLIC_MODE", False) is True
    monkeypatch.setenv("ROLLOUT_PUBLIC_MODE", "0")
    assert env_flag("ROLLOUT_PUBLIC_MODE", True) is False
    monkeypatch.setenv("ROLLOUT_PUBLIC_MODE", "maybe")
    with pytest.raises(ValueError, match="ROLLOUT_PUBLIC_MODE"):
        env_flag("ROLLOUT_PUBLIC_MODE", False)


def test_openapi_states_what_each_operation_needs(public_app):
    paths = public_app.test_client().get("/api/openapi.json").get_json()["paths"]
    needs = {path: spec["get"]["x-rollout-permission"] for path, spec in paths.items()
             if "get" in spec}
    assert paths["/api/challenges"]["post"]["x-rollout-permission"] == "commune_pages"
    assert needs["/api/communes"] == "map" and needs["/api/gaps"] == "gaps"
    assert needs["/api/works"] == "dig_once"
    for path, permission in needs.items():
        concrete = path.replace("{insee}", "59350")
        assert (ROUTES[concrete] == "viewer") == (permission in ("map", "commune_pages",
                                                                 "sheets")), path


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["serve", "--server", "waitress", "--public"], "0", True),
    (["serve", "--server", "waitress", "--private"], "1", False),
    (["serve", "--server", "waitress"], "1", True),
    (["serve", "--server", "waitress"], None, False)])
def test_serve_public_switch(db_url, monkeypatch, args, env, expected):
    import waitress
    from click.testing import CliRunner

    from rollout.cli import main

    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: served.append(app))
    monkeypatch.setenv("ROLLOUT_SECRET_KEY", "test")
    if env is None:
        monkeypatch.delenv("ROLLOUT_PUBLIC_MODE", raising=False)
    else:
        monkeypatch.setenv("ROLLOUT_PUBLIC_MODE", env)
    result = CliRunner().invoke(main, ["--database", db_url, *args])
    assert result.exit_code == 0, result.output
    assert served[0].config["PUBLIC_MODE"] is expected
    served[0].extensions["rollout_engine"].dispose()
