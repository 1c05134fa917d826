"""A signalement from the map in Debian's headless Chromium: popup action, form, status page,
then a planner moves it one step in the queue. SpatiaLite only (the web tests cover both).

Data: tests/alert_builders.py (commune 59001 « Aa », a 1 km square near Lille). Fails on any
console error, page error, failed request, HTTP error or request leaving 127.0.0.1.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.alert_builders import FAR, load_2021, ok
from tests.hostile import by_name
from tests.test_browser import CHROMIUM_ARGS
from webmap import create_app

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["spatialite"])]
HOSTILE = by_name("img_onerror").text + by_name("jinja_expression").text


@pytest.fixture
def server(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_ALERTS_AFTER_IMPORT", "0")
    load_2021(db_url, tmp_path, [FAR])
    ok(db_url, "users", "add", "plan", "--role", "planner", "--password-stdin",
       stdin="motdepasse-plan\n")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test", "UPLOAD_FOLDER": str(tmp_path / "up"),
                      "WTF_CSRF_SSL_STRICT": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)
    app.extensions["rollout_engine"].dispose()


def test_challenge_from_the_map_then_one_workflow_step(server, artifacts_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    requested: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: requested.append(r.url))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(
            f"HTTP {r.status}: {r.url}"))

        page.goto(server + "/")
        page.wait_for_selector("path[data-insee='59001']")
        page.wait_for_load_state("networkidle")  # the open counts have arrived
        page.locator("path[data-insee='59001']").click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "Signalements en cours : 0" in popup.inner_text()
        with page.expect_navigation():
            popup.get_by_role("link", name="Signaler une erreur").click()
        assert page.locator("#commune_insee").input_value() == "59001"
        page.select_option("#category", "connectable_count")
        page.fill("#text", HOSTILE)
        with page.expect_navigation():
            page.click("#challenge-submit")
        assert "/challenges/status/" in page.url
        status_url = page.url
        assert page.locator("#challenge-status").inner_text() == "reçu"
        assert page.locator("#challenge-text").inner_text() == HOSTILE
        assert page.evaluate("window.__pwned") is None
        page.screenshot(path=str(artifacts_dir / "challenge-status.png"))

        page.goto(server + "/")
        page.wait_for_selector("path[data-insee='59001']")
        page.wait_for_load_state("networkidle")
        page.locator("path[data-insee='59001']").click()
        assert "Signalements en cours : 1" in page.locator(".leaflet-popup-content").inner_text()

        page.goto(server + "/login?next=/challenges")
        page.fill("#username", "plan")
        page.fill("#password", "motdepasse-plan")
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        row = page.locator("#challenge-queue tbody tr").first
        assert row.locator(".challenge-text").inner_text() == HOSTILE
        row.locator("input[name=note]").fill("Vérification auprès de l'opérateur")
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        assert page.locator(".challenge-status").first.inner_text() == "en instruction"
        page.screenshot(path=str(artifacts_dir / "challenge-queue.png"), full_page=True)
        page.goto(status_url)
        assert page.locator("#challenge-status").inner_text() == "en instruction"
        assert "Vérification auprès de l'opérateur" in page.locator("#challenge-steps").inner_text()
        browser.close()
    assert problems == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested
               if not u.startswith("data:"))
