"""Point every JS/CSS asset of the Folium maps at the copies vendored in ``static/vendor``.

DESIGN.md (Web): no CDN, no third-party request — intranets block them and they leak
users' addresses. The basemap tile URL is configuration, not an asset, and ``none`` works
offline. ``webmap/static/vendor/SOURCES.md`` gives the package, version and licence of each file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import branca.colormap
import folium
from branca.element import JavascriptLink
from folium import plugins
from folium.elements import JSCSSMixin

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
DEFAULT_PREFIX = "/static/vendor"

# URL folium/branca ask for -> vendored file, relative to VENDOR_DIR. Keyed by the full URL so that
# a folium upgrade asking for another version fails loudly in use_local_assets instead of
# silently serving a different version than the one the plugin was written for.
LOCAL_COPIES: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet-1.9.3/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet-1.9.3/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js":
        "bootstrap-5.2.2/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css":
        "bootstrap-5.2.2/css/bootstrap.min.css",
    # folium.Icon's default prefix is "glyphicon" (Bootstrap 3 icons), so they stay available.
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css":
        "bootstrap-glyphicons-3.4.1/css/glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css":
        "fontawesome-free-6.2.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css":
        "rollout/awesome-rotate.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js":
        "leaflet.markercluster-1.1.0/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css":
        "leaflet.markercluster-1.1.0/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css":
        "leaflet.markercluster-1.1.0/MarkerCluster.Default.css",
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js":
        "leaflet-search-2.9.7/dist/leaflet-search.min.js",
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css":
        "leaflet-search-2.9.7/dist/leaflet-search.min.css",
    # See _SHARED_NAMES: the time slider gets the same d3 v3 as the legend.
    "https://d3js.org/d3.v4.min.js": "d3-3.5.5/d3.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js":
        "moment-2.18.1/moment.min.js",
    # The npm tarball of 3.0.0 lacks the icon its CSS references; 3.0.2 ships it.
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js":
        "leaflet.fullscreen-3.0.2/Control.FullScreen.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css":
        "leaflet.fullscreen-3.0.2/Control.FullScreen.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js":
        "folium-0.20.0/leaflet_heat.min.js",
    # folium.plugins.VectorGridProtobuf (the national map's vector tiles).
    "https://unpkg.com/leaflet.vectorgrid@latest/dist/Leaflet.VectorGrid.bundled.js":
        "leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js",
    # branca's colormap legend (also drawn by folium.Choropleth) needs d3 v3.
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js": "d3-3.5.5/d3.min.js",
}

# branca's colormap legend needs d3 v3 (d3.scale, d3.svg.axis) and TimeSliderChoropleth asks
# for d3 v4 as "d3v4"; both set the global `d3`, so whichever loads last broke the other
# (measured in Chromium: the legend fails when it is added before the slider). The slider
# only calls select/selectAll/insert/append/attr/style/text/on, which d3 v3 has: both get
# d3 v3 under the legend's header name, so the page loads one d3.
_SHARED_NAMES = {"d3v4": "d3"}

# The folium classes whose default_js / default_css are redirected.
PATCHED_CLASSES: tuple[type[JSCSSMixin], ...] = (
    folium.Map,
    plugins.MarkerCluster,
    plugins.Search,
    plugins.TimeSliderChoropleth,
    plugins.Fullscreen,
    plugins.HeatMap,
    plugins.VectorGridProtobuf,
)

# Each class's own lists, captured before the first redirection so that a second call maps
# from the originals again (idempotent, and a new prefix replaces the old one).
_ORIGINALS: dict[type[JSCSSMixin], tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
_BRANCA_JS_LINK = branca.colormap.JavascriptLink


def _check_prefix(prefix: str) -> str:
    """Return the prefix without its trailing slash, or refuse anything but a local path."""
    if not prefix.startswith("/") or prefix.startswith("//") or prefix.strip() != prefix:
        raise ValueError(
            f"static_url_prefix was {prefix!r}; expected a path on this server such as "
            f"{DEFAULT_PREFIX!r}"
        )
    return prefix.rstrip("/")


def _local(url: str, prefix: str, owner: str) -> str:
    """The local URL of one vendored asset; a URL with no vendored copy is an error."""
    try:
        return f"{prefix}/{LOCAL_COPIES[url]}"
    except KeyError:
        raise RuntimeError(
            f"{owner} asks for {url}, which has no vendored copy: add it to "
            f"webmap/static/vendor (with SOURCES.md) and to LOCAL_COPIES in webmap/assets.py"
        ) from None


def _redirected(
    links: list[tuple[str, str]], prefix: str, owner: str
) -> list[tuple[str, str]]:
    """Folium's (name, url) pairs with each URL replaced by its vendored copy."""
    return [(_SHARED_NAMES.get(name, name), _local(url, prefix, owner)) for name, url in links]


def _local_js_link_class(prefix: str) -> type[JavascriptLink]:
    """A branca JavascriptLink that swaps a vendored URL for its local copy."""

    class LocalJavascriptLink(_BRANCA_JS_LINK):
        """branca's JavascriptLink, redirected to ``static/vendor`` when a copy exists."""

        def __init__(self, url: str, download: bool = False) -> None:
            local = f"{prefix}/{LOCAL_COPIES[url]}" if url in LOCAL_COPIES else url
            super().__init__(local, download=download)

    return LocalJavascriptLink


def use_local_assets(static_url_prefix: str = DEFAULT_PREFIX) -> None:
    """Make every map page reference ``<static_url_prefix>/...`` instead of CDN URLs.

    Idempotent; a later call with another prefix replaces the earlier one. Raises RuntimeError
    when the installed folium asks for a file that is not vendored.
    """
    prefix = _check_prefix(static_url_prefix)
    redirected = {}
    for cls in PATCHED_CLASSES:
        js, css = _ORIGINALS.get(cls, (list(cls.default_js), list(cls.default_css)))
        # Map everything first so that a missing copy leaves folium untouched.
        redirected[cls] = (
            _redirected(js, prefix, cls.__name__),
            _redirected(css, prefix, cls.__name__),
        )
        _ORIGINALS.setdefault(cls, (js, css))
    for cls, (js, css) in redirected.items():
        cls.default_js = js
        cls.default_css = css
    # branca's ColorMap.render looks JavascriptLink up in its module at render time.
    # Deliberate patch of a class binding in a third-party module: the check forbids it.
    branca.colormap.JavascriptLink = _local_js_link_class(prefix)  # type: ignore[misc]


# What makes a browser fetch something: element attributes (also inside JS strings, where the
# quote may be escaped), CSS url()/@import, JS imports and loaders, Leaflet overlays and tiles.
_URL = r"((?:https?:)?//[^\s\"'()<>\\]+)"
_Q = r"\\?[\"']?"
_ASSET_PATTERNS = [
    re.compile(rf"\b(?:src|srcset|poster)\s*=\s*{_Q}{_URL}", re.IGNORECASE),
    re.compile(rf"<(?:link|base|image|use)\b[^>]*?\b(?:xlink:)?href\s*=\s*{_Q}{_URL}", re.I),
    re.compile(rf"<object\b[^>]*?\bdata\s*=\s*{_Q}{_URL}", re.IGNORECASE),
    re.compile(rf"url\(\s*{_Q}{_URL}", re.IGNORECASE),
    re.compile(rf"@import\s+{_Q}{_URL}", re.IGNORECASE),
    re.compile(rf"\bimport\s*(?:\(\s*|[\w$*{{}},\s]+?\bfrom\s*)?[\"'`]{_URL}"),
    re.compile(rf"\bfetch\(\s*[\"'`]{_URL}"),
    re.compile(rf"\bL\.(?:imageOverlay|videoOverlay)\(\s*[\"'`]{_URL}"),
]
_TILE_PATTERN = re.compile(rf"\bL\.tileLayer(?:\.wms)?\(\s*[\"'`]{_URL}")


def external_urls(html: str, allow_tiles: bool = False) -> list[str]:
    """Every absolute (``http(s)://`` or ``//``) URL the page would fetch, in document order.

    Links a user may follow (``<a href>``, attributions) are not fetched and not listed.
    ``allow_tiles=True`` leaves out Leaflet tile-layer URL templates, which are the configured
    basemap rather than an asset.
    """
    patterns = _ASSET_PATTERNS if allow_tiles else [*_ASSET_PATTERNS, _TILE_PATTERN]
    found = sorted(
        (match.start(1), match.group(1))
        for pattern in patterns
        for match in pattern.finditer(html)
    )
    urls: list[str] = []
    for _, url in found:
        if url not in urls:
            urls.append(url)
    return urls


_TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
NO_TILES_MAX_ZOOM = 18  # folium's default max_zoom for tile layers


def tile_layer_kwargs(tiles: str | None, attribution: str | None = None) -> dict[str, Any]:
    """``folium.Map`` keyword arguments for the configured basemap.

    Parameters
    ----------
    tiles
        ``None``, ``""`` or ``"none"`` (any case) for no basemap (works offline); otherwise an
        XYZ URL template such as ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``.
    attribution
        Required with a URL template: tile providers' licences require a credit.
    """
    if tiles is None or tiles.strip().lower() in ("", "none"):
        # Without a tile layer Leaflet has no maxZoom, and MarkerCluster then throws
        # "Map has no maxZoom specified": set it on the map itself (folium passes it through).
        return {"tiles": None, "maxZoom": NO_TILES_MAX_ZOOM}
    template = tiles.strip()
    if not re.match(r"https?://", template) or not all(p in template for p in _TILE_PLACEHOLDERS):
        raise ValueError(
            f"tiles was {tiles!r}; expected 'none' or an http(s) URL template containing "
            f"{{z}}, {{x}} and {{y}}"
        )
    if not attribution or not attribution.strip():
        raise ValueError(f"tiles {template!r} needs an attribution (the provider's credit line)")
    return {"tiles": template, "attr": attribution.strip()}
