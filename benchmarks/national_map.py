"""Benchmark: the national map's first view in Debian's Chromium, vector tiles against GeoJSON.

    python benchmarks/national_map.py --database sqlite:///DIR/national.sqlite [--as-of DATE]

Serves the app (public mode) on 127.0.0.1 from a thread, on a database national_e2e.py loaded
(35,000 communes: above ``MAP_TILES_ABOVE``, the page embeds no commune and map.js draws
``/tiles/communes/…``). One untimed visit warms the server's caches (figures, simplified
shapes, prepared tiles of the first view: their cold cost is printed too); the timed visit, in
a fresh browser context, runs until the network is idle and the tiles are drawn. Bytes are
the bodies of every response of that visit (page, scripts, styles, tiles). Baseline in the
same run: the GeoJSON the page would otherwise embed, ``/api/communes?zoom=6``. Ends with
``national_map_bytes=<n> national_map_seconds=<s> largest_tile_bytes=<n>
geojson_zoom6_bytes=<n>``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server  # noqa: E402

from tests.test_browser import CHROMIUM_ARGS  # noqa: E402
from webmap import create_app  # noqa: E402

DRAWN = "document.querySelectorAll('.leaflet-tile path').length > 100"


def visit(browser, url: str) -> tuple[float, int, int, int]:
    """(seconds, bytes, tile requests, largest tile) of one first view in a fresh context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    responses = []
    errors: list[str] = []
    page.on("response", lambda r: responses.append(r))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    start = time.perf_counter()
    page.goto(url, timeout=600_000)
    page.wait_for_load_state("networkidle", timeout=600_000)
    page.wait_for_function(DRAWN, timeout=600_000)
    seconds = time.perf_counter() - start
    sizes = [(r.url, len(r.body())) for r in responses if r.status == 200]
    tiles = [size for u, size in sizes if "/tiles/" in u]
    failed = [(r.url, r.status) for r in responses if r.status >= 400]
    context.close()
    # A database migrated before a later feature's table answers that feature's request with
    # an error: reported, but only the map's own requests (page, assets, tiles) must succeed.
    if failed or errors:
        print(f"requests that failed: {failed}; console errors: {len(errors)}")
    if [u for u, _ in failed if "/tiles/" in u or "/static/" in u or u == url]:
        raise SystemExit(f"the map's own requests failed: {failed}")
    return seconds, sum(size for _, size in sizes), len(tiles), max(tiles, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--as-of", default="2026-06-30")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    app = create_app({"DATABASE_URL": args.database, "PUBLIC_MODE": True, "WARM_CACHE": False,
                      "SECRET_KEY": "benchmark"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    url = f"{base}/?as_of={args.as_of}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=1800) as r:  # the page's figures, cold
                r.read()
            print(f"page computed (server caches empty): {time.perf_counter() - start:.1f} s")
            cold = visit(browser, url)
            print(f"first view with cold tiles: {cold[0]:.1f} s, {cold[1]:,} bytes")
            seconds, size, count, largest = visit(browser, url)
            browser.close()
        print(f"first view: {seconds:.2f} s, {size:,} bytes, {count} tiles "
              f"(largest {largest:,} bytes)")
        start = time.perf_counter()
        with urllib.request.urlopen(f"{base}/api/communes?zoom=6&as_of={args.as_of}") as r:
            geojson = len(r.read())
        print(f"GeoJSON of the communes at zoom 6: {geojson:,} bytes "
              f"({time.perf_counter() - start:.1f} s)")
    finally:
        server.shutdown()
    print(f"national_map_bytes={size} national_map_seconds={seconds:.2f} "
          f"largest_tile_bytes={largest} geojson_zoom6_bytes={geojson}")


if __name__ == "__main__":
    main()
