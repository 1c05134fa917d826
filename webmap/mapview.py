"""The home page map: a Folium frame built from constants, and the page's data as JSON.

Imported text is data (issue 12): Folium's elements compile their rendered script as a Jinja
template, so no value from the database ever reaches Folium. Folium builds only the map frame
(a ``<div>``, ``L.map`` with fixed options, the scale control) and the plugins' vendored
assets; everything else travels in one JSON object (:func:`build_map`'s ``config``) that
``static/js/map.js`` (local, no CDN) turns into Leaflet layers, tooltips, popups, the layer
control, the search, the indicator switch, the quarter slider and the legend, showing every
value as text. Both read the same indicator definitions (:data:`INDICATORS`).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any, cast

import folium
import pandas as pd
from branca.element import CssLink, Figure, JavascriptLink
from flask import current_app, url_for
from folium import plugins
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from rollout.figures import fmt_date, fmt_int, fmt_share
from webmap import data
from webmap.assets import NO_TILES_MAX_ZOOM, tile_layer_kwargs, use_local_assets
from webmap.i18n import language, status_label, translate
from webmap.layers import LAYERS
from webmap.overlays import missing, overlays

NO_DATA_COLOR = "#d9d9d9"
BORDER_COLOR = "#4d4d4d"
# Sequential palette (ColorBrewer YlGnBu, 6 classes) for shares and counts; red-to-green
# statuses, worst first as in data.STATUS_ORDER.
SEQUENTIAL = ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]
DELAYS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
STATUS_COLORS = {"missed": "#b2182b", "at_risk": "#ef8a62", "met_late": "#fddbc7",
                 "no_data": "#bababa", "on_track": "#67a9cf", "met": "#2166ac"}
# The Leaflet plugins map.js uses; their vendored copies come from webmap.assets.
PLUGINS = (plugins.MarkerCluster, plugins.Search, plugins.VectorGridProtobuf)
# Above this many communes the page embeds no commune or overlay data: map.js draws the
# vector tiles of /tiles/… (a national page would carry 35,000 polygons, 8.8 MB at zoom 6).
TILES_ABOVE_COMMUNES = 3_000
COMMUNE_URL_PLACEHOLDER = "__INSEE__"

# key -> (property in figures, French label, kind, breaks or categories, colours)
INDICATORS: dict[str, tuple[str, str, str, list, list[str]]] = {
    "share": ("connectable_share", "Taux de locaux raccordables FTTH", "share",
              [0.2, 0.4, 0.6, 0.8, 0.95], SEQUENTIAL),
    "status": ("status", "Pire statut d'échéance", "category", list(data.STATUS_ORDER),
               [STATUS_COLORS[s] for s in data.STATUS_ORDER]),
    "delay": ("delay_days", "Retard le plus long (jours)", "count",
              [1, 90, 180, 365], DELAYS),
    "sites_5g": ("sites_5g", "Sites 5G en service", "count", [1, 2, 5, 10, 20], SEQUENTIAL),
}


def color_for(indicator: str, value: Any) -> str:
    """The fill colour of ``value`` under ``indicator`` (map.js implements the same rule)."""
    _, _, kind, steps, colors = INDICATORS[indicator]
    if missing(value):
        return NO_DATA_COLOR
    if kind == "category":
        return colors[steps.index(value)] if value in steps else NO_DATA_COLOR
    return colors[sum(1 for b in steps if value >= b)]


def _legend(indicator: str, lang: str) -> list[dict[str, str]]:
    """Legend entries (colour, label) for one indicator."""
    _, _, kind, steps, colors = INDICATORS[indicator]
    if kind == "category":
        entries = [{"color": c, "label": status_label(s)} for s, c in zip(steps, colors,
                                                                         strict=True)]
    else:
        def fmt(v: float) -> str:
            return fmt_share(v, lang, 0) if kind == "share" else fmt_int(v, lang)
        edges = [None, *steps, None]
        entries = []
        for color, low, high in zip(colors, edges[:-1], edges[1:], strict=True):
            label = (f"< {fmt(high)}" if low is None else
                     f"≥ {fmt(low)}" if high is None else f"{fmt(low)} – {fmt(high)}")
            entries.append({"color": color, "label": label})
    entries.append({"color": NO_DATA_COLOR, "label": translate("Aucune donnée")})
    return entries


def available_indicators(figures: pd.DataFrame) -> list[str]:
    """The indicators the loaded data supports (status and delay need compliance data)."""
    return [key for key, spec in INDICATORS.items() if spec[0] in figures.columns]


def _popup_rows(row: pd.Series) -> list[list[str]]:
    """The popup of one commune as (label, value) text pairs: key figures, date, source."""
    lang = language()
    kind = translate("synthétique") if row["synthetic"] else translate("réel")
    rows = [
        ("Taux", fmt_share(row["connectable_share"], lang)),
        ("Raccordables", fmt_int(row["connectable"], lang)),
        ("Locaux", fmt_int(row["premises"], lang)),
        ("Écart (locaux)", fmt_int(row.get("gap_premises"), lang)),
        ("Observé le", fmt_date(row["observed_on"], lang)),
        ("Source", f"{row['source_file'] or '–'} ({kind})"),
    ]
    if "status" in row.index and isinstance(row["status"], str):
        rows.append(("Statut", status_label(row["status"])))
        rows.append(("Retard (jours)", fmt_int(row["delay_days"], lang)))
    if "sites_5g" in row.index:
        rows.append(("Sites 5G en service", fmt_int(row["sites_5g"], lang)))
    return [[translate(label), value] for label, value in rows]


def _value(value: Any) -> Any:
    """A JSON-safe scalar (None for missing, plain int/float)."""
    if missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _communes(shapes, figures: pd.DataFrame, indicators: list[str]) -> dict:
    """The commune choropleth's GeoJSON: INSEE code, name and each indicator's value."""
    columns = [INDICATORS[k][0] for k in indicators]
    merged = shapes.merge(figures[["insee", *columns]], on="insee", how="left")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": row.insee, "geometry": geom.__geo_interface__,
         "properties": {"insee": row.insee, "name": row.name,
                        **{k: _value(getattr(row, INDICATORS[k][0])) for k in indicators}}}
        for row, geom in zip(merged.itertuples(), merged.geometry, strict=True)
    ]}


def _tiles(tiles: str | None, attribution: str | None) -> dict | None:
    """The basemap for map.js (validated by tile_layer_kwargs), or None.

    The attribution is shown as text: configured entities (``&copy;``) are decoded here.
    """
    kwargs = tile_layer_kwargs(tiles, attribution)
    if kwargs["tiles"] is None:
        return None
    return {"url": kwargs["tiles"], "attribution": html.unescape(kwargs["attr"]),
            "maxZoom": NO_TILES_MAX_ZOOM}


def _frame() -> folium.Map:
    """The Folium map frame: fixed options only, no layer, no data."""
    # Metropolitan France until map.js fits the communes' bounds. The map's maxZoom is set
    # because MarkerCluster needs one and the basemap (a layer of map.js) may be absent.
    return folium.Map(location=[46.6, 2.4], zoom_start=6, control_scale=True, tiles=None,
                      maxZoom=NO_TILES_MAX_ZOOM)


def _frame_parts(fmap: folium.Map) -> dict[str, Markup]:
    """Folium's ``header``, ``html`` and ``script``, with the plugins' assets after Leaflet's."""
    root = cast(Figure, fmap.get_root())  # a Map's root is the page Figure
    root.render()
    for cls in PLUGINS:  # after render: the map's own assets (Leaflet first) are in place
        for name, url in cls.default_js:
            root.header.add_child(JavascriptLink(url), name=name)
        for name, url in cls.default_css:
            root.header.add_child(CssLink(url), name=name)
    # Markup: Folium's output, built from the constants of _frame alone (no data reaches it).
    return {"header": Markup(root.header.render()), "html": Markup(root.html.render()),
            "script": Markup(root.script.render())}


def vector_tiles(as_of: dt.date, layers: frozenset[str]) -> dict[str, Any]:
    """Tile URL templates (``{z}/{x}/{y}`` left for Leaflet) of the communes and of each layer
    of ``layers`` (those the visitor may see), with the popup fields of each."""

    def template(name: str) -> str:
        url = url_for(f"tiles.{name}", z=0, x=0, y=0, as_of=as_of.isoformat())
        return url.replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")

    shown = [item for item in LAYERS.values() if item.name in layers and item.on_map]
    return {
        "communes": template("communes"),
        "overlays": [{"layer": item.name, "name": translate(item.title), "draw": item.draw,
                      "url": template(item.name),
                      "popup": [[c, translate(label)] for c, label in item.popup]}
                     for item in shown],
        "labels": {"name": translate("Commune"), "status": translate("Statut")},
    }


def build_map(session, as_of: dt.date, lang: str, tiles: str | None,
              attribution: str | None, indicator: str = "share",
              layers: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The Folium frame (``header``, ``html``, ``script``) and the page's data (``config``).

    ``layers`` names the overlays the visitor may see (the caller checks permissions); the
    page carries no other layer's data.
    """
    use_local_assets(url_for("static", filename="vendor").rstrip("/"))
    figures = data.figures(session, as_of)
    national = len(figures) > current_app.config.get("MAP_TILES_ABOVE", TILES_ABOVE_COMMUNES)
    # National: the zoom-5 shapes only give the bounds; the communes come as vector tiles.
    shapes = data.zoomed_communes(session, 5) if national else data.display_communes(session)
    indicators = available_indicators(figures)
    initial = indicator if indicator in indicators else "share"
    fmap = _frame()
    bounds = None
    if len(shapes):
        minx, miny, maxx, maxy = (float(v) for v in shapes.total_bounds)
        bounds = [[miny, minx], [maxy, maxx]]
    dates, synthetic, shares = ([], [], {}) if national else data.quarterly_shares(session, as_of)
    config = {
        "map": fmap.get_name(), "initial": initial, "noData": NO_DATA_COLOR,
        "border": BORDER_COLOR, "bounds": bounds, "tiles": _tiles(tiles, attribution),
        "labels": {"communes": translate("Communes"),
                   "search": translate("Rechercher une commune"),
                   "notFound": translate("Commune introuvable"),
                   "sheet": translate("Fiche de la commune")},
        # The commune page's URL with a placeholder map.js replaces by each INSEE code.
        "communeUrl": url_for("pages.commune", insee=COMMUNE_URL_PLACEHOLDER),
        "placeholder": COMMUNE_URL_PLACEHOLDER,
        "indicators": {
            key: {"property": key, "column": INDICATORS[key][0],
                  "label": translate(INDICATORS[key][1]),
                  "kind": INDICATORS[key][2], "steps": INDICATORS[key][3],
                  "colors": INDICATORS[key][4], "legend": _legend(key, lang)}
            for key in indicators
        },
        "quarters": [d.isoformat() for d in dates],
        "quarterLabels": [
            data.quarter_label(d, lang) + (f" ({translate('synthétique')})" if s else "")
            for d, s in zip(dates, synthetic, strict=True)
        ],
        "shares": shares,
        "communes": ({"type": "FeatureCollection", "features": []} if national
                     else _communes(shapes, figures, indicators)),
        "popups": {} if national else {row["insee"]: _popup_rows(row)
                                       for _, row in figures.iterrows()},
        "overlays": [] if national else overlays(session, as_of, layers),
        "vectorTiles": vector_tiles(as_of, layers) if national else None,
        # Signalements: a popup action and open counts fetched by map.js (never cached here).
        "challenges": {"url": url_for("challenges.new"),
                       "countsUrl": url_for("challenges.open_counts"),
                       "label": translate("Signaler une erreur"),
                       "openLabel": translate("Signalements en cours")},
    }
    return {
        **_frame_parts(fmap),
        # Serialised once per cache entry; "<", ">", "&" and "'" become \\u escapes, so no
        # value can close the <script type="application/json"> element or open a comment.
        "config": htmlsafe_json_dumps(config, ensure_ascii=False),
        "indicators": indicators, "initial": initial,
        "labels": {key: translate(INDICATORS[key][1]) for key in indicators},
        "quarters": config["quarterLabels"],
    }
