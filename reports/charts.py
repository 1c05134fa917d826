"""Static charts for the reports (matplotlib, Agg backend): trajectories and status maps.

PNG output is deterministic: no timestamp in the metadata, fixed size and DPI.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.dates import DateFormatter, YearLocator  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from reports.i18n import Words  # noqa: E402
from rollout.figures import fmt_share  # noqa: E402

DPI = 150
LAMBERT_93 = 2154
NATIONAL_COMMUNES = 3_000  # above this, maps drop the commune borders
# Colour-blind safe (Okabe-Ito) colours, worst statuses in warm tones.
STATUS_COLOURS = {
    "missed": "#D55E00",
    "at_risk": "#E69F00",
    "met_late": "#CC79A7",
    "no_data": "#999999",
    "on_track": "#56B4E9",
    "met": "#009E73",
    None: "#F2F2F2",
}
# text.parse_math off: a "$" in a commune or agreement name is a dollar sign, never mathtext
# (an unbalanced "$" would otherwise stop the chart, a balanced pair be typeset; issue 12).
plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "rollout",
                     "text.parse_math": False})


@dataclass
class Panel:
    """One trajectory panel: the actual series and the committed targets."""

    title: str
    dates: list[dt.date]
    values: list[float]
    targets: list[tuple[dt.date, float]]
    as_of: dt.date


def _png(figure: MplFigure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _percent(tr: Words) -> FuncFormatter:
    """Axis ticks: ``40 %`` in French, ``40%`` in English."""
    return FuncFormatter(lambda value, _pos: fmt_share(value, tr.lang, 0))


def trajectories(panels: list[Panel], tr: Words, columns: int = 2) -> bytes:
    """Actual share (solid line) against committed targets (diamonds and dashed steps)."""
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(8, 2.6 * rows), squeeze=False)
    for ax, panel in zip(axes.ravel(), panels, strict=False):
        ax.plot(panel.dates, panel.values, color="#0072B2", marker=".", lw=1.5,
                label=tr("valeur observée"))
        for due, target in panel.targets:
            ax.hlines(target, min(panel.dates or [due]), due, colors="#D55E00",
                      linestyles="dashed", lw=0.8)
            ax.plot([due], [target], marker="D", color="#D55E00", ms=5, ls="none")
        ax.plot([], [], marker="D", color="#D55E00", ls="dashed", label=tr("cible engagée"))
        ax.axvline(panel.as_of, color="#555555", lw=0.6, ls=":")
        ax.set_title(panel.title, fontsize=8, loc="left")
        ax.yaxis.set_major_formatter(_percent(tr))
        ax.xaxis.set_major_locator(YearLocator())
        ax.xaxis.set_major_formatter(DateFormatter("%Y"))
        ax.set_xlim(min([*panel.dates, *(d for d, _ in panel.targets)]) - dt.timedelta(days=60),
                    max([panel.as_of, *(d for d, _ in panel.targets)]) + dt.timedelta(days=60))
        ax.set_ylim(0, max([1.05, *panel.values]))
        ax.grid(True, lw=0.3, color="#DDDDDD")
        ax.legend(loc="lower right", fontsize=6, frameon=False)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    figure.subplots_adjust(left=0.07, right=0.98, top=1 - 0.45 / (2.6 * rows),
                           bottom=0.35 / (2.6 * rows), hspace=0.55, wspace=0.18)
    return _png(figure)


def status_map(communes: gpd.GeoDataFrame, status: dict[str, str], tr: Words,
               highlight: str | None = None, size: tuple[float, float] = (7, 6.5)) -> bytes:
    """Communes coloured by status (no tiles); ``highlight`` outlines one commune."""
    frame = communes.to_crs(epsg=LAMBERT_93)
    colours = [STATUS_COLOURS.get(status.get(i), STATUS_COLOURS[None]) for i in frame["insee"]]
    figure, ax = plt.subplots(figsize=size)
    edge = 0.4
    if len(frame) > NATIONAL_COMMUNES:  # borders would hide the colours; 300 m is below a dot
        frame = frame.set_geometry(frame.geometry.simplify(300))
        edge = 0
    frame.plot(ax=ax, color=colours, edgecolor="white", linewidth=edge)
    if highlight is not None:
        frame[frame["insee"] == highlight].boundary.plot(ax=ax, color="black", linewidth=1.6)
    ax.set_axis_off()
    present = [s for s in STATUS_COLOURS if s is not None and s in set(status.values())]
    handles = [Patch(color=STATUS_COLOURS[s], label=tr.status(s)) for s in present]
    if len(status) < len(frame):
        handles.append(Patch(color=STATUS_COLOURS[None], label=tr.status(None)))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
    figure.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    return _png(figure)


def commune_panel(dates: list[dt.date], shares: list[float], communes: gpd.GeoDataFrame,
                  status: dict[str, str], insee: str, tr: Words) -> bytes:
    """A commune sheet's picture: its connectable share over time and its place on the map."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 2.4),
                                         gridspec_kw={"width_ratios": [1.3, 1]})
    left.plot(dates, shares, color="#0072B2", marker=".", lw=1.5)
    left.yaxis.set_major_formatter(_percent(tr))
    left.xaxis.set_major_locator(YearLocator(2))
    left.xaxis.set_major_formatter(DateFormatter("%Y"))
    left.set_ylim(0, max([1.05, *shares]))
    left.grid(True, lw=0.3, color="#DDDDDD")
    left.set_title(tr("Part de locaux raccordables à la fibre"), fontsize=8, loc="left")
    frame = communes.to_crs(epsg=LAMBERT_93)
    colours = [STATUS_COLOURS.get(status.get(i), STATUS_COLOURS[None]) for i in frame["insee"]]
    frame.plot(ax=right, color=colours, edgecolor="white", linewidth=0.3)
    frame[frame["insee"] == insee].boundary.plot(ax=right, color="black", linewidth=1.4)
    right.set_axis_off()
    present = [k for k in STATUS_COLOURS if k is not None and k in set(status.values())]
    right.legend(handles=[Patch(color=STATUS_COLOURS[k], label=tr.status(k))
                          for k in present], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                 fontsize=6, frameon=False)
    right.set_title(tr("La commune (contour noir) dans la métropole"), fontsize=8, loc="left")
    figure.subplots_adjust(left=0.07, right=0.82, top=0.85, bottom=0.1, wspace=0.08)
    return _png(figure)
