"""Map page payload and server time: the MEL map against a naive Folium baseline, same run.

Builds the demo database in a temporary folder, then measures through Flask's test client:

- ours: ``/`` as served (simplified coverage, rounded coordinates, indicators as compact
  per-commune values, quarterly series for the slider, popups, overlays);
- ours-communes: the same page without the overlays (gaps, hexagons, sites, works), like for
  like with the naive page;
- naive: raw commune geometries with every figure column as GeoJSON properties, Folium's
  default ``style_function`` choropleth, ``GeoJsonPopup`` and tooltip (what one writes first).

Bytes are raw and gzip (level 6, what a reverse proxy would send). Server time is the median
of ``--runs`` requests: for ours both warm (per-process caches filled) and uncached (caches
cleared before each request, so it includes the milestone assessments the naive page skips).

Usage: ``.venv/bin/python benchmarks/map_payload.py [--runs N]``. Target: ours < 500 KB gzip.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path

import folium

from rollout import indicators, queries
from rollout.db import make_engine, session_scope
from rollout.demo import build_demo
from webmap import cache, create_app, layers
from webmap.auth import requires
from webmap.params import today

TARGET_GZIP_BYTES = 500_000


def naive_page(engine) -> str:
    """The baseline: raw geometries, all figures as properties, Folium defaults."""
    with session_scope(engine) as session:
        shapes = queries.communes(session, geometry=True)
        figures = indicators.latest_figures(session, today())
    frame = shapes[["insee", "geometry"]].merge(figures, on="insee")
    for column in frame.columns.drop("geometry"):
        frame[column] = frame[column].astype(str)
    fmap = folium.Map(location=[50.63, 3.06], zoom_start=11)

    def style(feature: dict) -> dict:
        share = float(feature["properties"]["connectable_share"] or "nan")
        return {"fillColor": "#253494" if share >= 0.95 else "#41b6c4" if share >= 0.8
                else "#ffffcc", "weight": 1}

    fields = [c for c in frame.columns if c != "geometry"]
    folium.GeoJson(frame, style_function=style, popup=folium.GeoJsonPopup(fields=fields),
                   tooltip=folium.GeoJsonTooltip(fields=["name"])).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return fmap.get_root().render()


def measure(client, path: str, runs: int, before=None) -> tuple[bytes, list[float]]:
    """The page body and the server time of each of ``runs`` requests."""
    times = []
    body = b""
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
        body = response.data
    return body, times


def clear_caches(app) -> None:
    """Empty the app's shared snapshot and response cache (webmap.cache)."""
    with app.app_context():
        cache.store().clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite'}"
        engine = make_engine(url)
        for _ in build_demo(engine, inputs_folder=Path(folder) / "inputs"):
            pass
        app = create_app({"DATABASE_URL": url, "TESTING": True, "PUBLIC_MODE": True})
        # Every view declares its permission (default deny): the baseline is a public page too.
        app.add_url_rule("/naive", "naive", requires("map")(lambda: naive_page(engine)))
        client = app.test_client()
        clear_caches(app)
        cold_body, cold = measure(client, "/", 1)
        ours, warm = measure(client, "/", args.runs)
        _, uncached = measure(client, "/", max(1, args.runs // 2),
                              before=lambda: clear_caches(app))
        naive, naive_times = measure(client, "/naive", args.runs)
        # Like for like with the naive page: the same map without the overlays.
        saved = dict(layers.LAYERS)
        layers.LAYERS.clear()
        communes_only, _ = measure(client, "/", 1, before=lambda: clear_caches(app))
        layers.LAYERS.update(saved)
        engine.dispose()
        app.extensions["rollout_engine"].dispose()

    rows = [("ours", ours), ("ours-communes", communes_only), ("naive", naive)]
    print(f"{'page':14} {'raw bytes':>12} {'gzip bytes':>12}")
    sizes = {}
    for name, body in rows:
        sizes[name] = (len(body), len(gzip.compress(body, 6)))
        print(f"{name:14} {sizes[name][0]:12,} {sizes[name][1]:12,}")
    for name in ("ours", "ours-communes"):
        print(f"ratio {name}/naive: raw {sizes[name][0] / sizes['naive'][0]:.2f}, "
              f"gzip {sizes[name][1] / sizes['naive'][1]:.2f}")
    print(f"server time (median of {args.runs}): ours warm {statistics.median(warm):.3f} s, "
          f"ours uncached {statistics.median(uncached):.3f} s (cold first request "
          f"{cold[0]:.3f} s), naive {statistics.median(naive_times):.3f} s")
    print(f"ratio ours warm/naive: {statistics.median(warm) / statistics.median(naive_times):.2f}; "
          f"ours uncached/naive: "
          f"{statistics.median(uncached) / statistics.median(naive_times):.2f}")
    verdict = "meets" if sizes["ours"][1] < TARGET_GZIP_BYTES else "MISSES"
    print(f"target: ours {verdict} the {TARGET_GZIP_BYTES:,} bytes gzip budget "
          f"({len(cold_body):,} raw bytes on the cold request)")


if __name__ == "__main__":
    main()
