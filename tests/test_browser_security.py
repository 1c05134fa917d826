"""Signing in, the admin pages and signing out in headless Chromium under the strict CSP.

Reuses the live server and the problem-recording page of ``test_browser``: any console error
(a CSP violation is one), page error, failed request or HTTP error fails the test.
"""

from __future__ import annotations

import pytest

from rollout import accounts
from rollout.db import make_engine, session_scope
from tests.test_browser import browser_page, live_server  # noqa: F401 - fixtures
from tests.web_login import PASSWORD

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("demo_url", ["spatialite"], indirect=True)]


@pytest.fixture
def browser_admin(demo_url) -> str:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        if "browser-admin" not in set(accounts.list_users(session)["username"]):
            accounts.add_user(session, "browser-admin", PASSWORD, "admin")
    engine.dispose()
    return "browser-admin"


def test_sign_in_upload_page_audit_and_sign_out(browser_page, live_server,  # noqa: F811
                                                browser_admin, artifacts_dir):
    page, problems, requested = browser_page
    response = page.goto(live_server + "/admin/upload")
    assert page.url.startswith(live_server + "/login?next=/admin/upload")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.fill("#username", browser_admin)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert page.url == live_server + "/admin/upload"
    assert page.locator("#upload-form").is_visible()
    assert page.locator("#signed-in").inner_text() == "browser-admin (admin)"
    page.screenshot(path=str(artifacts_dir / "upload.png"))
    page.goto(live_server + "/admin/audit?action=login")
    assert "browser-admin" in page.locator("#audit tbody tr").first.inner_text()
    # The map, with the nonce-carrying Folium scripts, still draws for a signed-in user.
    page.goto(live_server + "/")
    page.wait_for_selector("path[data-insee]")
    with page.expect_navigation():
        page.click("form.logout button")
    assert page.locator("#sign-in").is_visible()
    assert page.goto(live_server + "/admin/audit").url.startswith(live_server + "/login")
    assert problems == []
