"""Trend charts drawn on the server as inline SVG (no JavaScript library, no CDN)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32
ACTUAL_COLOR = "#2c7fb8"
TRAJECTORY_COLOR = "#d95f02"


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def trend_svg(
    actual: Sequence[tuple[dt.date, float, bool]],
    committed: Sequence[tuple[dt.date, float]] = (),
    labels: tuple[str, str] = ("Réalisé", "Trajectoire engagée"),
    title: str = "",
) -> Markup:
    """A share-over-time chart: ``actual`` (date, share, synthetic), ``committed`` (date, target).

    Real observations are filled dots, synthetic ones hollow; the committed trajectory (when
    milestones exist) is a dashed line through the targets.
    """
    points = [(d, v) for d, v, _ in actual] + list(committed)
    if not points:
        return Markup("")
    days = [d.toordinal() for d, _ in points]
    first, last = min(days), max(days)
    top_value = max(1.0, max(v for _, v in points))

    def x(day: dt.date) -> float:
        return _scale(day.toordinal(), first, last, LEFT, WIDTH - RIGHT)

    def y(value: float) -> float:
        return _scale(value, 0.0, top_value, HEIGHT - BOTTOM, TOP)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
                     f'stroke="#ddd"/><text x="{LEFT - 6}" y="{ty + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{int(tick * 100)} %</text>')
    for year in range(dt.date.fromordinal(first).year + 1, dt.date.fromordinal(last).year + 1):
        tx = x(dt.date(year, 1, 1))
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
                     f'stroke="#eee"/><text x="{tx:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                     f'font-size="11" text-anchor="middle">{year}</text>')
    if committed:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in committed)
        parts.append(f'<polyline class="committed" points="{path}" fill="none" '
                     f'stroke="{TRAJECTORY_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.extend(f'<rect x="{x(d) - 4:.1f}" y="{y(v) - 4:.1f}" width="8" height="8" '
                     f'fill="{TRAJECTORY_COLOR}"/>' for d, v in committed)
    if actual:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _ in actual)
        parts.append(f'<polyline class="actual" points="{path}" fill="none" '
                     f'stroke="{ACTUAL_COLOR}" stroke-width="2"/>')
        parts.extend(
            f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" stroke="{ACTUAL_COLOR}" '
            f'fill="{"#fff" if synthetic else ACTUAL_COLOR}"/>' for d, v, synthetic in actual)
    legend_y = TOP + 4
    parts.append(f'<line x1="{LEFT + 10}" x2="{LEFT + 34}" y1="{legend_y}" y2="{legend_y}" '
                 f'stroke="{ACTUAL_COLOR}" stroke-width="2"/><text x="{LEFT + 40}" '
                 f'y="{legend_y + 4}" font-size="12">{escape(labels[0])}</text>')
    if committed:
        parts.append(f'<line x1="{LEFT + 150}" x2="{LEFT + 174}" y1="{legend_y}" '
                     f'y2="{legend_y}" stroke="{TRAJECTORY_COLOR}" stroke-width="2" '
                     f'stroke-dasharray="6 4"/><text x="{LEFT + 180}" y="{legend_y + 4}" '
                     f'font-size="12">{escape(labels[1])}</text>')
    parts.append("</svg>")
    # Markup: the SVG holds numbers computed here and the escaped title and labels only.
    return Markup("".join(parts))
