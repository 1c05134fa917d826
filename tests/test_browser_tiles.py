"""The map in vector-tile mode (the national extent) in Debian's headless Chromium: the page
embeds no commune, the communes come as /tiles/communes/… and are drawn, with no console
error, no failed request and no request leaving 127.0.0.1 (the MEL map keeps its GeoJSON:
tests/test_browser.py). ``MAP_TILES_ABOVE`` is lowered so the 95 demo communes count as many.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.test_browser import CHROMIUM_ARGS
from webmap import create_app

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("demo_url", ["spatialite"], indirect=True)]


@pytest.fixture
def tiled_server(demo_url: str) -> Iterator[str]:
    app = create_app({"DATABASE_URL": demo_url, "TESTING": True, "PUBLIC_MODE": True,
                      "MAP_TILES_ABOVE": 10})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_tiled_map_requests_and_draws_commune_tiles(tiled_server, artifacts_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    tiles: list[tuple[str, int, int]] = []
    requested: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: requested.append(r.url))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))

        def seen(response) -> None:
            if response.status >= 400:
                problems.append(f"HTTP {response.status}: {response.url}")
            if "/tiles/" in response.url:  # the body's length (no blocking call in a handler)
                size = int(response.headers.get("content-length", "-1"))
                tiles.append((response.url, response.status, size))

        page.on("response", seen)
        page.goto(tiled_server + "/")
        config = json.loads(page.locator("#map-config").text_content())
        assert config["communes"]["features"] == [] and config["vectorTiles"]["communes"]
        page.wait_for_load_state("networkidle")
        page.wait_for_function("document.querySelectorAll('.leaflet-tile-container path,"
                               " .leaflet-tile path').length > 50", timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "map-tiles.png"))
        drawn = page.eval_on_selector_all(".leaflet-tile path", "els => els.length")
        browser.close()
    commune_tiles = [t for t in tiles if "/tiles/communes/" in t[0]]
    assert commune_tiles and all(status == 200 for _, status, _ in commune_tiles)
    assert any(size > 0 for _, _, size in commune_tiles)
    assert all(0 <= size < 500_000 for _, _, size in commune_tiles)
    assert drawn >= 95  # every MEL commune at least once (a commune cut by a tile edge twice)
    assert [u for u in requested if urlsplit(u).hostname not in ("127.0.0.1",)] == []
    assert problems == []
