"""What the pages and the API read: thin wrappers over ``rollout`` read models.

Nothing here computes a domain figure of its own; it selects, joins and reshapes what
``rollout.queries``, ``rollout.indicators``, ``rollout.journal`` and (when it is installed)
``rollout.compliance`` return.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout import indicators, mobile, queries
from rollout.models import Agreement, Operator
from webmap.cache import snapshot

# Display geometries: Visvalingam-Whyatt tolerance in metres (Lambert-93), then coordinates
# snapped to 1e-5 degree (about 1 m), which keeps shared borders shared (same input, same snap).
SIMPLIFY_TOLERANCE_M = 40.0
DISPLAY_GRID_DEG = 1e-5
FULL_ZOOM = 13  # from this zoom on the original geometries are served (SimplifiedCommunes')

# Worst first, as DESIGN.md orders a commune's map status (its worst milestone).
STATUS_ORDER = ("missed", "at_risk", "met_late", "no_data", "on_track", "met")


def quarter_label(day: dt.date, lang: str = "fr") -> str:
    """``2018-03-31`` -> ``T1 2018`` (``Q1 2018`` in English)."""
    letter = "Q" if lang == "en" else "T"
    return f"{letter}{(day.month - 1) // 3 + 1} {day.year}"


def display_communes(session: Session, metric_crs: int = 2154) -> gpd.GeoDataFrame:
    """Commune boundaries simplified as one coverage, once per data version."""

    def simplify() -> gpd.GeoDataFrame:
        raw = queries.communes(session, geometry=True)
        assert raw.crs is not None  # stored boundaries always carry their SRID
        metric = raw.geometry.to_crs(epsg=metric_crs)
        simplified = shapely.coverage_simplify(metric.values, SIMPLIFY_TOLERANCE_M)
        back = gpd.GeoSeries(simplified, crs=metric.crs).to_crs(raw.crs)
        snapped = shapely.set_precision(back.values, DISPLAY_GRID_DEG)
        return gpd.GeoDataFrame({"insee": raw["insee"], "name": raw["name"]}, geometry=snapped,
                                crs=raw.crs)

    return snapshot(session, ("display", metric_crs), simplify).copy()


def zoomed_communes(session: Session, zoom: int) -> gpd.GeoDataFrame:
    """Commune boundaries simplified for a web-map ``zoom`` (national layers, served by bbox);
    each zoom is simplified once per data version (seconds for 35,000 communes)."""
    from rollout.simplified_layers import simplified_communes

    zoom = min(max(int(zoom), 0), FULL_ZOOM)
    return snapshot(session, ("zoomed", zoom), lambda: simplified_communes(
        queries.communes(session, geometry=True)[["insee", "name", "geometry"]], zoom,
        full_zoom=FULL_ZOOM)).copy()


def cached(session: Session, key: tuple, compute: Callable[[], Any]) -> Any:
    """Public face of the per-data-version snapshot, for views that assemble costly pages."""
    return snapshot(session, key, compute)


def compliance() -> ModuleType | None:
    """``rollout.compliance`` when it is installed (checked at call time), else None."""
    try:
        return importlib.import_module("rollout.compliance")
    except ModuleNotFoundError as exc:
        if exc.name == "rollout.compliance":
            return None
        raise


def _assessed(session: Session, as_of: dt.date):
    """(milestones, breakdown, statuses) from one engine run, cached per data version."""
    module = compliance()
    if module is None:
        return None

    def evaluate():
        own, breakdown = module.assessments_with_breakdown(session, as_of)
        return own, breakdown, module.status_of(own, breakdown)

    return snapshot(session, ("assessed", as_of), evaluate)


def assessments(session: Session, as_of: dt.date, *, breakdown: bool = False
                ) -> pd.DataFrame | None:
    """Every milestone assessed as of ``as_of``; None when there is no compliance data.

    ``breakdown=True`` gives perimeter milestones per commune (indicators, not the legal test).
    """
    assessed = _assessed(session, as_of)
    if assessed is None:
        return None
    frame = assessed[1 if breakdown else 0]
    return frame.copy() if len(frame) else None


def commune_status(session: Session, as_of: dt.date) -> pd.DataFrame | None:
    """Worst status and longest delay per commune (``rollout.compliance.status_of``)."""
    assessed = _assessed(session, as_of)
    if assessed is None:
        return None
    status = assessed[2]
    return status.copy() if len(status) else None


def commune_milestones(session: Session, as_of: dt.date, insee: str) -> pd.DataFrame:
    """A commune's own milestones, then the perimeter milestones as measured in it."""
    own = assessments(session, as_of)
    if own is None:
        return pd.DataFrame()
    own = own[own["commune_insee"] == insee].assign(scope="commune")
    shared = assessments(session, as_of, breakdown=True)
    parts = [own]
    if shared is not None:
        parts.append(shared[shared["commune_insee"] == insee].assign(scope="perimeter"))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).sort_values(["due_on", "agreement_id"],
                                                           ignore_index=True)


def sites_5g(session: Session, as_of: dt.date) -> pd.Series | None:
    """Number of 5G stations in service on ``as_of`` per commune; None when no site is loaded."""
    sites = mobile.sites_frame(session)
    if sites.empty:
        return None
    live = sites[sites["has_5g"] & (pd.to_datetime(sites["in_service_on"])
                                    <= pd.Timestamp(as_of))]
    return live.groupby("insee")["station_id"].nunique().astype("Int64")


def figures(session: Session, as_of: dt.date, metric_crs: int = 2154) -> pd.DataFrame:
    """Latest figures per commune plus the FTTH gap, status, delay and 5G sites when known."""
    return snapshot(session, ("figures", as_of, metric_crs, compliance() is not None),
                   lambda: _figures(session, as_of, metric_crs)).copy()


def _figures(session: Session, as_of: dt.date, metric_crs: int) -> pd.DataFrame:
    out = indicators.latest_figures(session, as_of, metric_crs=metric_crs)
    # FTTH gap at commune level (DESIGN.md, Gaps): premises - connectable when only ARCEP counts.
    out["gap_premises"] = (out["premises"] - out["connectable"]).clip(lower=0)
    status = commune_status(session, as_of)
    if status is not None:
        out = out.merge(status[["insee", "status", "delay_days"]], on="insee", how="left")
    sites = sites_5g(session, as_of)
    if sites is not None:
        out["sites_5g"] = out["insee"].map(sites).fillna(0).astype("Int64")
    return out


def share_history(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every all-operator observation up to ``as_of`` with its denominator, share and flag."""
    return snapshot(session, ("share_history", as_of),
                   lambda: _share_history(session, as_of)).copy()


def _share_history(session: Session, as_of: dt.date) -> pd.DataFrame:
    series = indicators.commune_series(queries.progress(session, as_of=as_of))
    if series.empty:
        return pd.DataFrame(columns=["insee", "observed_on", "connectable", "rad", "premises",
                                     "premises_as_of", "connectable_share", "synthetic",
                                     "source_file"])
    series = indicators.attach_denominator(series, queries.premises_counts(session))
    batches = queries.batches(session).set_index("batch_id")
    premises = pd.to_numeric(series["premises"]).astype("Float64")
    series["connectable_share"] = (series["connectable"].astype("Float64") / premises).round(4)
    series["synthetic"] = series["batch_id"].map(batches["synthetic"]).fillna(False).astype(bool)
    series["source_file"] = series["batch_id"].map(batches["file_name"])
    return series.sort_values(["insee", "observed_on"], ignore_index=True)


def quarterly_shares(
    session: Session, as_of: dt.date
) -> tuple[list[dt.date], list[bool], dict[str, list[float | None]]]:
    """Observation dates, whether each is synthetic, and each commune's share at each date.

    A commune's share at a date is its latest observation on or before that date (so a
    commune missing from one publication keeps its previous value); None before its first.
    """
    history = share_history(session, as_of)
    if history.empty:
        return [], [], {}
    dates = sorted(history["observed_on"].unique())
    synthetic = history.groupby("observed_on")["synthetic"].any()
    table = (
        history.pivot_table(index="insee", columns="observed_on", values="connectable_share",
                            aggfunc="last")
        .reindex(columns=dates)
        .astype("float64")
        .ffill(axis=1)
        .round(3)
    )
    shares = {
        insee: [None if pd.isna(v) else float(v) for v in row]
        for insee, row in zip(table.index, table.to_numpy(), strict=True)
    }
    return list(dates), [bool(synthetic[d]) for d in dates], shares


def provenance(session: Session, as_of: dt.date) -> dict:
    """Which observation dates come from real files and which from synthetic demo batches."""
    history = share_history(session, as_of)
    out: dict = {"real": None, "synthetic": None, "real_sources": [], "synthetic_kinds": []}
    for flag, key in ((False, "real"), (True, "synthetic")):
        part = history[history["synthetic"] == flag]
        if len(part):
            out[key] = (part["observed_on"].min(), part["observed_on"].max())
    out["real_sources"] = sorted(set(history.loc[~history["synthetic"], "source_file"]))
    batches = queries.batches(session)
    fake = batches[batches["synthetic"].astype(bool) & (batches["kind"] != "arcep")]
    out["synthetic_kinds"] = sorted(set(fake["kind"]))
    return out


def operators(session: Session) -> pd.DataFrame:
    """Every operator row: code, name, kind (fixed | mobile)."""
    rows = session.execute(select(Operator.code, Operator.name, Operator.kind)).all()
    return pd.DataFrame(rows, columns=["code", "name", "kind"])


def committed_communes(session: Session, code: str) -> pd.DataFrame:
    """Communes whose latest ARCEP publication lists ``code`` as committed or infrastructure."""
    listing = queries.commune_operators(session)
    if listing.empty:
        return listing.assign(committed=pd.Series(dtype=bool))

    def has(column: str) -> pd.Series:
        return listing[column].map(lambda text: code in _codes(text)).astype(bool)

    chosen = listing[has("committed_operators") | has("infrastructure_operators")]
    return chosen.assign(committed=has("committed_operators")[chosen.index])


def _codes(text: object) -> list[str]:
    """ARCEP operator lists (``"FREE-FRTE-SFR0"``, ``"FRTE, SFR0"``) -> codes."""
    return [c for c in re.split(r"[\s,;/+-]+", text) if c] if isinstance(text, str) else []


def mentioned_operators(session: Session) -> set[str]:
    """Operator codes named by ARCEP operator lists or by agreements."""
    listing = queries.commune_operators(session)
    codes = {c for column in ("committed_operators", "infrastructure_operators")
             for text in listing.get(column, []) for c in _codes(text)}
    codes.update(session.execute(select(Agreement.operator_code).distinct()).scalars())
    return codes


def committed_communes_of(session: Session, insee: str) -> dict[str, list[str]]:
    """The committed and infrastructure operator codes of one commune (latest publication)."""
    listing = queries.commune_operators(session)
    row = listing[listing["insee"] == insee]
    if row.empty:
        return {"committed": [], "infrastructure": []}
    return {"committed": _codes(row["committed_operators"].iloc[0]),
            "infrastructure": _codes(row["infrastructure_operators"].iloc[0])}
