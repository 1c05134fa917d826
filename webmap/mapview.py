"""The Folium map of the home page: commune choropleth, time slider data, overlays, search.

Folium draws the layers; ``static/js/map.js`` (local, no CDN) adds what Folium cannot do
over one GeoJson layer: switching the indicator, the quarter slider, the legend and popups.
Both read the same indicator definitions (:data:`INDICATORS`), shipped in the page as JSON.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from typing import Any

import folium
import pandas as pd
import shapely
from flask import url_for
from folium import plugins
from markupsafe import Markup

from rollout.formatting import fr_date, fr_int, fr_share
from webmap import data
from webmap.assets import tile_layer_kwargs, use_local_assets
from webmap.i18n import status_label, translate
from webmap.layers import LAYERS, Layer

NO_DATA_COLOR = "#d9d9d9"
BORDER_COLOR = "#4d4d4d"
# Sequential palette (ColorBrewer YlGnBu, 6 classes) for shares and counts; red-to-green
# statuses, worst first as in data.STATUS_ORDER.
SEQUENTIAL = ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]
DELAYS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
STATUS_COLORS = {"missed": "#b2182b", "at_risk": "#ef8a62", "met_late": "#fddbc7",
                 "no_data": "#bababa", "on_track": "#67a9cf", "met": "#2166ac"}
TIMING_COLORS = {"ended": "#969696", "ongoing": "#e6550d", "planned": "#3182bd"}
WORK_STATUS_FR = {"ended": "terminés", "ongoing": "en cours", "planned": "prévus"}
HEX_BREAKS = [5, 20, 50, 100]
HEX_COLORS = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
SITE_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]

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
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
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
            return fr_share(v, 0) if kind == "share" else fr_int(v)
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


def _popup(row: pd.Series) -> str:
    """The popup of one commune: key figures, their date and source, a link to its page."""
    def line(label: str, value: str) -> str:
        return f"<tr><th>{html.escape(translate(label))}</th><td>{html.escape(value)}</td></tr>"

    kind = translate("synthétique") if row["synthetic"] else translate("réel")
    rows = [
        line("Taux", fr_share(row["connectable_share"])),
        line("Raccordables", fr_int(row["connectable"])),
        line("Locaux", fr_int(row["premises"])),
        line("Écart (locaux)", fr_int(row.get("gap_premises"))),
        line("Observé le", fr_date(row["observed_on"])),
        line("Source", f"{row['source_file'] or '–'} ({kind})"),
    ]
    if "status" in row.index and isinstance(row["status"], str):
        rows.append(line("Statut", status_label(row["status"])))
        rows.append(line("Retard (jours)", fr_int(row["delay_days"])))
    if "sites_5g" in row.index:
        rows.append(line("Sites 5G en service", fr_int(row["sites_5g"])))
    link = url_for("pages.commune", insee=row["insee"])
    return (f"<div class=\"commune-popup\"><strong>{html.escape(row['name'])}</strong> "
            f"({html.escape(row['insee'])})<table>{''.join(rows)}</table>"
            f"<a href=\"{html.escape(link)}\">{html.escape(translate('Fiche de la commune'))}"
            f"</a></div>")


def _value(value: Any) -> Any:
    """A JSON-safe scalar (None for missing, plain int/float)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _commune_layer(shapes, figures: pd.DataFrame, indicators: list[str],
                   initial: str) -> folium.GeoJson:
    columns = [INDICATORS[k][0] for k in indicators]
    merged = shapes.merge(figures[["insee", *columns]], on="insee", how="left")
    features = [
        {"type": "Feature", "id": row.insee, "geometry": geom.__geo_interface__,
         "properties": {"insee": row.insee, "name": row.name,
                        **{k: _value(getattr(row, INDICATORS[k][0])) for k in indicators}}}
        for row, geom in zip(merged.itertuples(), merged.geometry, strict=True)
    ]

    def style(feature: dict) -> dict:
        return {"fillColor": color_for(initial, feature["properties"][initial]),
                "color": BORDER_COLOR, "weight": 0.8, "fillOpacity": 0.75}

    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=translate("Communes"), style_function=style, control=True,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False) if features else None,
    )


def _popup_fields(item: Layer) -> folium.GeoJsonPopup | None:
    if not item.popup:
        return None
    return folium.GeoJsonPopup(fields=[c for c, _ in item.popup],
                               aliases=[translate(label) for _, label in item.popup],
                               localize=False)


def _popup_text(value: Any) -> str:
    """A popup value as escaped text: French dates, Paris local times, '–' when missing."""
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_convert("Europe/Paris") if value.tzinfo else value
        return html.escape(stamp.strftime("%d/%m/%Y %H:%M"))
    if isinstance(value, dt.date):
        return html.escape(fr_date(value))
    return "–" if _value(value) is None else html.escape(str(value))


def _overlay_json(frame, item: Layer) -> dict:
    """GeoJSON of an overlay with popup values as escaped strings (folium inserts them as HTML)."""
    columns = list(dict.fromkeys([c for c, _ in item.popup]
                                 + ([item.group_by] if item.group_by else [])))
    shown = frame[[*columns, "geometry"]].copy()
    for column, _ in item.popup:
        shown[column] = shown[column].map(_popup_text)
    # 1e-5 degree (about 1 m) is finer than any source of these layers, and shared vertices
    # (adjacent hexagons) stay shared.
    shown["geometry"] = shapely.set_precision(shown.geometry.values, data.DISPLAY_GRID_DEG)
    return json.loads(shown.to_json(drop_id=True))


def _add_overlay(fmap: folium.Map, item: Layer, frame) -> None:
    """Draw one registered layer according to its ``draw`` kind."""
    title = translate(item.title)
    if item.draw == "circles":
        largest = max(float(frame["gap_premises"].max()), 1.0)
        radius = {i: 4 + 20 * math.sqrt(float(v) / largest)
                  for i, v in enumerate(frame["gap_premises"])}
        collection = _overlay_json(frame, item)
        for i, feature in enumerate(collection["features"]):
            feature["id"] = str(i)
        folium.GeoJson(
            collection, name=title, show=False, marker=folium.CircleMarker(),
            style_function=lambda f: {"radius": radius[int(f["id"])], "color": "#7a0177",
                                      "fillColor": "#c51b8a", "fillOpacity": 0.5, "weight": 1},
            popup=_popup_fields(item),
        ).add_to(fmap)
        return
    if item.draw == "hexagons":
        folium.GeoJson(
            _overlay_json(frame, item), name=title, show=False, popup=_popup_fields(item),
            style_function=lambda f: {
                "fillColor": HEX_COLORS[sum(1 for b in HEX_BREAKS
                                            if int(f["properties"]["premises"]) >= b)],
                "color": "#54278f", "weight": 0.3, "fillOpacity": 0.7},
        ).add_to(fmap)
        return
    groups = sorted(frame[item.group_by].dropna().unique()) if item.group_by else [None]
    for index, group in enumerate(groups):
        part = frame if group is None else frame[frame[item.group_by] == group]
        label = WORK_STATUS_FR.get(str(group), str(group))
        name = title if group is None else f"{title} — {translate(label)}"
        color = (TIMING_COLORS.get(str(group)) if item.draw == "shapes"
                 else SITE_COLORS[index % len(SITE_COLORS)]) or "#636363"
        # Overlays start hidden: the commune choropleth is the first reading of the map.
        shapes = folium.GeoJson(
            _overlay_json(part, item), name=name, popup=_popup_fields(item), show=False,
            marker=folium.CircleMarker(radius=5),
            style_function=lambda f, c=color: {"color": c, "fillColor": c, "weight": 3,
                                               "fillOpacity": 0.7},
        )
        if item.draw == "points":
            holder = folium.FeatureGroup(name=name, show=False).add_to(fmap)
            shapes.control = False
            shapes.add_to(plugins.MarkerCluster(control=False).add_to(holder))
        else:
            shapes.add_to(fmap)


def build_map(session, as_of: dt.date, lang: str, tiles: str | None,
              attribution: str | None, indicator: str = "share") -> dict[str, Any]:
    """Folium parts (``header``, ``html``, ``script``) and the JSON config for map.js."""
    use_local_assets(url_for("static", filename="vendor").rstrip("/"))
    figures = data.figures(session, as_of)
    shapes = data.display_communes(session)
    indicators = available_indicators(figures)
    initial = indicator if indicator in indicators else "share"
    # Metropolitan France until the communes' bounds are known.
    fmap = folium.Map(location=[46.6, 2.4], zoom_start=6, control_scale=True,
                      **tile_layer_kwargs(tiles, attribution))
    communes = _commune_layer(shapes, figures, indicators, initial).add_to(fmap)
    if len(shapes):
        plugins.Search(layer=communes, search_label="name", geom_type="Polygon",
                       placeholder=translate("Rechercher une commune"), collapsed=False,
                       position="topleft").add_to(fmap)
    for item in (layer for layer in LAYERS.values() if layer.on_map):
        frame = item.read(session, as_of)
        if len(frame):
            _add_overlay(fmap, item, frame)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if len(shapes):
        minx, miny, maxx, maxy = shapes.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    dates, synthetic, shares = data.quarterly_shares(session, as_of)
    config = {
        "map": fmap.get_name(), "layer": communes.get_name(), "initial": initial,
        "noData": NO_DATA_COLOR,
        "indicators": {
            key: {"property": key, "label": translate(INDICATORS[key][1]),
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
        "popups": {row["insee"]: _popup(row) for _, row in figures.iterrows()},
    }
    root = fmap.get_root()
    root.render()
    return {
        "header": Markup(root.header.render()), "html": Markup(root.html.render()),
        "script": Markup(root.script.render()),
        # "</" cannot appear inside the inline JSON: it would close the <script> element.
        "config": Markup(json.dumps(config, ensure_ascii=False).replace("</", "<\\/")),
        "indicators": indicators, "initial": initial,
        "labels": {key: translate(INDICATORS[key][1]) for key in indicators},
        "quarters": config["quarterLabels"], "figures": figures,
    }
