"""The real pages in Debian's headless Chromium (Playwright), against a live local server.

One backend is enough here (SpatiaLite); the API tests cover both. Every test fails on a
console error, a page error, a failed request, an HTTP error or a request leaving 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from shapely.geometry import shape
from werkzeug.serving import make_server

from webmap import create_app

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("demo_url", ["spatialite"], indirect=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` on 127.0.0.1 and a free port, served from a thread: its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@contextmanager
def recording_page():
    """A Chromium page that records every problem and request: (page, problems, requested)."""
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
        yield page, problems, requested
        browser.close()


@pytest.fixture
def live_server(demo_url: str) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, served from a thread."""
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True})
    with serving(app) as url:
        yield url


@pytest.fixture
def browser_page(live_server: str):
    """A Chromium page that records every problem; the test asserts there were none."""
    with recording_page() as recorded:
        yield recorded


def _commune_fills(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "path[data-insee]",
        "els => Object.fromEntries(els.map(e => [e.dataset.insee, e.getAttribute('fill')]))",
    )


def test_map_draws_communes_slider_popup_and_link(browser_page, live_server, artifacts_dir):
    page, problems, requested = browser_page
    page.goto(live_server + "/")
    page.wait_for_selector("path[data-insee]")
    fills = _commune_fills(page)
    assert len(fills) == 95
    # The legend and the banner are on screen.
    assert page.locator(".map-legend").is_visible()
    banner = page.locator("#data-banner").inner_text()
    assert "Chiffres réels" in banner and "synthétiques" in banner
    page.screenshot(path=str(artifacts_dir / "map.png"))

    # Back to the first quarter (T3 2017, before most of the rollout): colours change.
    page.focus("#quarter")
    page.keyboard.press("Home")
    assert page.locator("#quarter-label").inner_text().startswith("T3 2017")
    earlier = _commune_fills(page)
    assert sum(earlier[i] != fills[i] for i in fills) >= 1
    page.keyboard.press("End")
    assert _commune_fills(page) == fills

    # Click inside Lille (a point computed here from the API geometry), then its page link.
    with urllib.request.urlopen(live_server + "/api/communes") as response:
        features = json.load(response)["features"]
    lille = next(f for f in features if f["properties"]["insee"] == "59350")
    point = shape(lille["geometry"]).representative_point()
    x, y = page.evaluate(
        """([lat, lon]) => {
            const cfg = JSON.parse(document.getElementById('map-config').textContent);
            const map = window[cfg.map];
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [point.y, point.x],
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Lille" in popup.inner_text()
    assert "Observé le" in popup.inner_text()
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    page.screenshot(path=str(artifacts_dir / "map-popup.png"))
    with page.expect_navigation() as navigation:
        popup.get_by_role("link", name="Fiche de la commune").click()
    assert navigation.value.status == 200
    assert page.url.endswith("/communes/59350")
    assert "Lille" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts_dir / "commune-59350.png"), full_page=True)

    assert problems == []
    outside = [u for u in requested if urlsplit(u).hostname != "127.0.0.1"
               and not u.startswith("data:")]
    assert outside == []


def test_indicator_switch_recolours_and_search_finds_a_commune(browser_page, live_server,
                                                               artifacts_dir):
    page, problems, requested = browser_page
    page.goto(live_server + "/?lang=en")
    page.wait_for_selector("path[data-insee]")
    shares = _commune_fills(page)
    options = page.eval_on_selector_all("#indicator option", "els => els.map(e => e.value)")
    assert "status" in options  # the demo holds commitments
    page.select_option("#indicator", "status")
    statuses = _commune_fills(page)
    assert sum(statuses[i] != shares[i] for i in shares) >= 1
    assert "Worst milestone status" in page.locator(".map-legend").inner_text()
    assert page.locator("#quarter").is_disabled()
    # The demo's radio sites are offered in the layer control; its public works only to the
    # roles that may see them (an anonymous visitor of the public map may not).
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "Radio sites" in control and "Public works" not in control
    page.locator(".leaflet-control-search input").press_sequentially("Roubaix", delay=50)
    page.locator(".search-tooltip .search-tip").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Roubaix" in popup.inner_text()
    page.screenshot(path=str(artifacts_dir / "map-status-en.png"))
    assert problems == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested
               if not u.startswith("data:"))
