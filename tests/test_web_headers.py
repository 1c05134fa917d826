"""Cache and transport headers (issue 12 item 7): one no-store policy driven by each view's
permission, HSTS with secure cookies, one charset, relative redirects, trusted hosts."""

from __future__ import annotations

import pytest

from tests.test_web_security import PROTECTED, PUBLIC, ROUTES
from tests.web_login import sign_in
from webmap import create_app

# Beyond the public ones, as the issue lists them, and one's own account pages.
SIGNED_IN_ONLY = ["/account/password", "/account/sessions"]


@pytest.fixture
def public_app(demo_url, monkeypatch):
    monkeypatch.delenv("ROLLOUT_TRUSTED_HOSTS", raising=False)
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test"})
    yield app
    app.extensions["rollout_engine"].dispose()


@pytest.mark.parametrize("path", [*PROTECTED, *SIGNED_IN_ONLY])
def test_every_protected_response_is_no_store_for_its_role_and_for_anonymous(public_app,
                                                                             path):
    anonymous = public_app.test_client().get(path)
    assert anonymous.status_code in (302, 401), path
    assert anonymous.headers["Cache-Control"] == "no-store"
    client = public_app.test_client()
    sign_in(client, ROUTES.get(path, "viewer"))
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/api/assessments",
                                  "/communes/59350/sheet.html"])
def test_public_pages_are_no_store_once_signed_in_and_left_alone_anonymous(public_app, path):
    assert path in PUBLIC
    anonymous = public_app.test_client().get(path)
    assert anonymous.status_code == 200
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    client = public_app.test_client()
    sign_in(client, "viewer")
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_a_public_page_carrying_a_form_is_no_store(public_app):
    """The commune page holds the signalement form and its CSRF token (a session cookie):
    it is one visitor's page, never stored by a shared cache."""
    anonymous = public_app.test_client().get("/communes/59350")
    assert anonymous.status_code == 200
    assert 'name="csrf_token"' in anonymous.get_data(as_text=True)
    assert anonymous.headers["Cache-Control"] == "no-store"


def test_the_login_page_and_a_cookie_setting_response_are_no_store(public_app):
    client = public_app.test_client()
    assert client.get("/login").headers["Cache-Control"] == "no-store"  # CSRF token inside
    chosen = client.get("/communes?lang=en")  # sets the language cookie
    assert "lang=en" in chosen.headers["Set-Cookie"]
    assert chosen.headers["Cache-Control"] == "no-store"


def test_hsts_only_with_secure_cookies(demo_url):
    for secure, expected in ((True, "max-age=31536000"), (False, None)):
        app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                          "SECRET_KEY": "test", "SESSION_COOKIE_SECURE": secure})
        response = app.test_client().get("/login", base_url="https://localhost")
        assert response.headers.get("Strict-Transport-Security") == expected
        app.extensions["rollout_engine"].dispose()


@pytest.mark.parametrize(("fmt", "expected"), [("csv", "text/csv; charset=utf-8"),
                                               ("html", "text/html; charset=utf-8")])
def test_report_content_type_has_one_charset(public_app, fmt, expected):
    client = public_app.test_client()
    sign_in(client, "legal")
    response = client.get(f"/operators/FRTE/delay-report.{fmt}?as_of=2023-01-01")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == expected


@pytest.mark.parametrize(("path", "location"), [("/operators//FRTE", "/operators/FRTE"),
                                                ("/communes//59350", "/communes/59350")])
def test_slash_redirects_are_relative_and_never_name_the_host(public_app, path, location):
    response = public_app.test_client().get(
        "/", environ_overrides={"PATH_INFO": path}, headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == location


def test_trusted_hosts_from_the_environment(demo_url, monkeypatch):
    monkeypatch.setenv("ROLLOUT_TRUSTED_HOSTS", "Rollout.example.fr, .mel.example")
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test"})
    assert app.config["TRUSTED_HOSTS"] == ["rollout.example.fr", ".mel.example"]
    client = app.test_client()
    refused = client.get("/communes", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and b"host name is not served here" in refused.data
    assert client.get("/communes", headers={"Host": "rollout.example.fr"}).status_code == 200
    assert client.get("/communes", headers={"Host": "carte.mel.example"}).status_code == 200
    app.extensions["rollout_engine"].dispose()
