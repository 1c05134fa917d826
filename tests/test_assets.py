"""Map pages load every asset from webmap/static/vendor and make no third-party request."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import branca.colormap
import folium
import pytest
from folium import plugins
from folium.elements import JSCSSMixin

from webmap import assets
from webmap.assets import external_urls, tile_layer_kwargs, use_local_assets

VENDOR = Path(__file__).parent.parent / "webmap" / "static" / "vendor"
PREFIX = "/static/vendor"
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# Two squares near Lille, ids as INSEE codes (the time slider styles features by id).
COMMUNES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": insee,
            "properties": {"name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, y], [x + 0.05, y], [x + 0.05, y + 0.04], [x, y + 0.04],
                                 [x, y]]],
            },
        }
        for insee, name, x, y in [
            ("59350", "Lille", 3.02, 50.60),
            ("59512", "Roubaix", 3.15, 50.68),
        ]
    ],
}
# 2020-01-01 and 2021-01-01 as Unix seconds, as TimeSliderChoropleth expects.
STYLES = {
    "59350": {"1577836800": {"color": "#ff0000", "opacity": 0.7},
              "1609459200": {"color": "#0000ff", "opacity": 0.7}},
    "59512": {"1577836800": {"color": "#00ff00", "opacity": 0.7},
              "1609459200": {"color": "#0000ff", "opacity": 0.7}},
}


@pytest.fixture(autouse=True)
def local_assets() -> Iterator[None]:
    """Each test starts and ends with the default redirection (it is process-wide state)."""
    use_local_assets()
    yield
    use_local_assets()


def build_map(legend_first: bool = True, tiles: str | None = "none", attribution: str = "") -> str:
    """Render a page using every plugin the maps use; the legend first is the order that broke."""
    m = folium.Map(location=[50.64, 3.1], zoom_start=11, **tile_layer_kwargs(tiles, attribution))
    layer = folium.GeoJson(COMMUNES, name="communes").add_to(m)
    plugins.Search(layer, search_label="name").add_to(m)
    legend = branca.colormap.LinearColormap(["red", "green"], vmin=0, vmax=1, caption="Part")
    if legend_first:
        legend.add_to(m)
    plugins.TimeSliderChoropleth(COMMUNES, styledict=STYLES).add_to(m)
    if not legend_first:
        legend.add_to(m)
    cluster = plugins.MarkerCluster().add_to(m)
    for lat in (50.70, 50.7001):
        icon = folium.Icon(color="red", icon="tower-cell", prefix="fa")
        folium.Marker([lat, 3.0], icon=icon).add_to(cluster)
    folium.Marker([50.62, 3.05], icon=folium.Icon(icon="signal", prefix="fa", angle=45)).add_to(m)
    folium.Marker([50.66, 3.2], icon=folium.Icon()).add_to(m)  # folium's default: a glyphicon
    folium.Marker([50.61, 3.2]).add_to(m)  # Leaflet's own icon, found through leaflet.css
    plugins.Fullscreen().add_to(m)
    plugins.HeatMap([[50.63, 3.06, 1.0]]).add_to(m)
    return m.get_root().render()


class _AssetLinks(HTMLParser):
    """Collects <script src> and <link href>, independently of external_urls' regexes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.links += [value for name, value in attrs if name == wanted and value]


def asset_links(html: str) -> list[str]:
    parser = _AssetLinks()
    parser.feed(html)
    return parser.links


def test_rendered_map_references_no_external_url() -> None:
    assert external_urls(build_map()) == []


def test_every_referenced_asset_is_a_vendored_file() -> None:
    links = asset_links(build_map())
    # Map 4 + 6, Search 2, MarkerCluster 3, d3, moment, Fullscreen 2, HeatMap 1.
    assert len(links) == 20
    assert all(link.startswith(PREFIX + "/") for link in links), links
    missing = [link for link in links if not (VENDOR / link.removeprefix(PREFIX + "/")).is_file()]
    assert missing == []


@pytest.mark.parametrize("legend_first", [True, False])
def test_legend_and_time_slider_share_one_d3(legend_first: bool) -> None:
    d3 = [link for link in asset_links(build_map(legend_first)) if "/d3" in link]
    assert d3 == [f"{PREFIX}/d3-3.5.5/d3.min.js"]


def test_use_local_assets_is_idempotent_and_takes_a_new_prefix() -> None:
    first = asset_links(build_map())
    use_local_assets()
    assert asset_links(build_map()) == first
    use_local_assets("/rollout/static/vendor/")
    moved = asset_links(build_map())
    assert moved == [link.replace(PREFIX, "/rollout/static/vendor") for link in first]
    assert external_urls(build_map()) == []


@pytest.mark.parametrize("prefix", ["https://cdn.example/vendor", "//cdn.example/vendor", "static"])
def test_prefix_must_be_a_path_on_this_server(prefix: str) -> None:
    with pytest.raises(ValueError, match="static_url_prefix was"):
        use_local_assets(prefix)


def test_unvendored_url_fails_loudly_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    class NewPlugin(JSCSSMixin):
        default_js = [("x", "https://cdn.example/x.js")]

    before = list(folium.Map.default_js)
    monkeypatch.setattr(assets, "PATCHED_CLASSES", (folium.Map, NewPlugin))
    with pytest.raises(RuntimeError, match=r"NewPlugin asks for https://cdn\.example/x\.js"):
        use_local_assets("/elsewhere")
    assert folium.Map.default_js == before


def test_awesome_marker_rotation_class_is_styled() -> None:
    assert "fa-rotate-45" in build_map()
    css = (VENDOR / "rollout" / "awesome-rotate.css").read_text()
    for angle in (0, 45, 359):
        assert f".fa-rotate-{angle}{{transform:rotate({angle}deg)}}" in css


# --- vendored files ---------------------------------------------------------------------------

def css_urls(css: str) -> list[str]:
    return [u.strip("'\" ") for u in re.findall(r"url\(([^)]*)\)", css)]


def test_every_url_in_vendored_css_resolves_to_a_vendored_file() -> None:
    sheets = sorted(VENDOR.rglob("*.css"))
    assert len(sheets) == 10
    unresolved = []
    for sheet in sheets:
        for url in css_urls(sheet.read_text(encoding="utf-8")):
            # data: URIs are inline; "#default#VML" is an old-IE behaviour, not a file.
            if url.startswith(("data:", "#")):
                continue
            target = (sheet.parent / url.split("?")[0].split("#")[0]).resolve()
            if not (target.is_file() and VENDOR.resolve() in target.parents):
                unresolved.append(f"{sheet.relative_to(VENDOR)}: {url}")
    assert unresolved == []


def test_vendored_files_are_small_documented_and_licensed() -> None:
    files = [p for p in VENDOR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 3_000_000
    assert [p for p in files if p.suffix == ".map"] == []
    sources = (VENDOR / "SOURCES.md").read_text(encoding="utf-8")
    for folder in sorted(p for p in VENDOR.iterdir() if p.is_dir()):
        assert f"| `{folder.name}/` |" in sources, folder.name
        if folder.name != "rollout":
            assert any(re.match(r"(?i).*licen[cs]e", p.name) for p in folder.iterdir()), folder.name


# --- external_urls ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('<script src="https://cdn.example/x.js"></script>', ["https://cdn.example/x.js"]),
        ("<script src=//cdn.example/y.js></script>", ["//cdn.example/y.js"]),
        ('<link rel="stylesheet" href="http://cdn.example/a.css"/>', ["http://cdn.example/a.css"]),
        ('<div style="background: url(\'https://img.example/b.png\')"></div>',
         ["https://img.example/b.png"]),
        ('<style>@import "https://fonts.example/f.css";</style>', ["https://fonts.example/f.css"]),
        ('<script type="module">import L from "https://esm.example/l.js";</script>',
         ["https://esm.example/l.js"]),
        ('<script>var p = $(`<img src=\\"https://img.example/p.png\\">`);</script>',
         ["https://img.example/p.png"]),
        ('<img src="https://img.example/i.png"><img src="https://img.example/i.png">',
         ["https://img.example/i.png"]),
        ('<a href="https://www.openstreetmap.org/copyright">OSM</a>', []),
        ('<img src="data:image/png;base64,AAAA"><script src="/static/vendor/x.js"></script>', []),
    ],
)
def test_external_urls_finds_what_a_browser_would_fetch(snippet: str, expected: list[str]) -> None:
    assert external_urls(f"<html><head></head><body>{snippet}</body></html>") == expected


def test_external_urls_catches_a_script_injected_into_a_rendered_map() -> None:
    html = build_map().replace("</head>", '<script src="https://cdn.example/x.js"></script></head>')
    assert external_urls(html) == ["https://cdn.example/x.js"]


def test_tile_template_is_reported_unless_tiles_are_allowed() -> None:
    html = build_map(tiles=OSM, attribution="© OpenStreetMap contributors")
    assert external_urls(html) == [OSM]
    assert external_urls(html, allow_tiles=True) == []


# --- tile_layer_kwargs ------------------------------------------------------------------------

@pytest.mark.parametrize("tiles", [None, "none", " NONE ", ""])
def test_no_basemap(tiles: str | None) -> None:
    kwargs = tile_layer_kwargs(tiles)
    assert kwargs["tiles"] is None
    assert "L.tileLayer" not in folium.Map(**kwargs).get_root().render()


def test_url_template_with_attribution() -> None:
    kwargs = tile_layer_kwargs(OSM, " © OpenStreetMap contributors ")
    assert kwargs == {"tiles": OSM, "attr": "© OpenStreetMap contributors"}


@pytest.mark.parametrize(
    ("tiles", "attribution", "message"),
    [
        (OSM, None, "needs an attribution"),
        (OSM, "  ", "needs an attribution"),
        ("OpenStreetMap", "x", "expected 'none' or an http"),
        ("https://tile.example/{z}/{x}.png", "x", "expected 'none' or an http"),
        ("ftp://tile.example/{z}/{x}/{y}.png", "x", "expected 'none' or an http"),
    ],
)
def test_bad_tile_configuration(tiles: str, attribution: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tile_layer_kwargs(tiles, attribution)


# --- real browser -----------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, quiet, and no favicon 404 (the map page declares none)."""

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served_map(tmp_path: Path) -> Iterator[str]:
    """URL of the rendered map on a local server that also serves the vendor folder."""
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "vendor").symlink_to(VENDOR, target_is_directory=True)
    (tmp_path / "map.html").write_text(build_map(), encoding="utf-8")
    handler = functools.partial(_Handler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/map.html"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_map_page_works_offline_in_chromium(served_map: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    problems: list[str] = []
    fetched: list[str] = []

    def guard(route) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            problems.append(f"third-party request {route.request.url}")
            route.abort()

    def on_response(response) -> None:
        fetched.append(response.url)
        if response.status >= 400:
            problems.append(f"HTTP {response.status} {response.url}")

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(timezone_id="Europe/Paris")
            page.route("**/*", guard)
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(f"page error {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
            page.on("response", on_response)
            page.goto(served_map, wait_until="networkidle")
            page.evaluate("document.fonts.ready.then(() => true)")
            state = page.evaluate(
                """() => {
                    const slider = document.querySelector("input[type=range]");
                    slider.value = 1;
                    slider.dispatchEvent(new Event("input"));
                    return {
                        d3: d3.version,
                        legend: document.querySelectorAll(".legend svg rect").length,
                        date: document.querySelector("output").textContent,
                        fills: [...document.querySelectorAll("path[id*='-feature-']")]
                            .map(p => p.getAttribute("fill")),
                        clusters: document.querySelectorAll(".marker-cluster").length,
                        search: document.querySelectorAll(".leaflet-control-search").length,
                        fa: document.fonts.check('900 16px "Font Awesome 6 Free"'),
                        glyph: document.fonts.check('16px "Glyphicons Halflings"'),
                    };
                }"""
            )
            page.wait_for_load_state("networkidle")
        finally:
            browser.close()
    assert problems == []
    assert state["d3"] == "3.5.5"
    assert state["legend"] > 0
    assert state["date"] == "Fri Jan 01 2021"
    assert state["fills"] == ["#0000ff", "#0000ff"]
    assert (state["clusters"], state["search"], state["fa"], state["glyph"]) == (1, 1, True, True)
    wanted = ["fa-solid-900.woff2", "glyphicons-halflings-regular.woff2", "markers-soft.png",
              "marker-icon.png", "marker-shadow.png", "search-icon.png", "icon-fullscreen.svg"]
    assert [w for w in wanted if not any(url.endswith(w) for url in fetched)] == []
