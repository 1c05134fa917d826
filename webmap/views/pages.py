"""HTML pages: the map, the commune table and sheets, operators, import history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from flask import Blueprint, Response, abort, current_app, g, render_template, request

from rollout import compliance, journal
from rollout.formatting import to_csv
from rollout.operators import KNOWN_OPERATORS
from webmap import charts, data, db_session, mapview, params
from webmap.auth import permission_key, requires
from webmap.disposition import content_disposition
from webmap.errors import not_found
from webmap.i18n import translate
from webmap.layers import LAYERS
from webmap.page_cache import cached_view
from webmap.views.api import visible_layers

bp = Blueprint("pages", __name__)

# /communes columns: key -> French header; the table sorts on any of them.
TABLE_COLUMNS = {
    "insee": "INSEE", "name": "Commune", "population": "Population", "premises": "Locaux",
    "connectable": "Raccordables", "connectable_share": "Taux", "gap_premises": "Écart (locaux)",
    "observed_on": "Observé le", "synthetic": "Donnée", "status": "Statut",
    "delay_days": "Retard (jours)", "sites_5g": "Sites 5G",
}
CSV_COLUMNS = ["insee", "name", "population", "area_km2", "premises", "premises_as_of",
               "premises_method", "connectable", "connectable_share", "gap_premises",
               "observed_on", "over_100", "synthetic", "source_file"]
SHARE_METRICS = ("ftth_connectable_share", "ftth_connectable_or_rad_share")


def page_cached(session, key: tuple, compute: Callable[[], Any]) -> Any:
    """``data.cached`` for what a page shows: keyed by the visitor's permission set too, since
    a page carries only what those permissions allow (issue 12, item 2)."""
    return data.cached(session, (*key, permission_key()), compute)


def _page_as_of():
    g.as_of = params.as_of(request.args)
    return g.as_of


@bp.route("/")
@requires("map")
@cached_view("as_of", "indicator")
def index() -> str:
    """The map."""
    as_of = _page_as_of()
    indicator = request.args.get("indicator", "share")
    if indicator not in mapview.INDICATORS:
        abort(400, description=f"indicator was {indicator!r}; expected one of "
                               f"{sorted(mapview.INDICATORS)}")
    tiles = current_app.config.get("TILES")
    attribution = current_app.config.get("TILES_ATTRIBUTION")
    with db_session() as session:
        parts = page_cached(
            session, ("map", as_of, g.lang, indicator, tiles, attribution,
                      current_app.config.get("MAP_TILES_ABOVE"), data.compliance() is not None),
            lambda: mapview.build_map(session, as_of, g.lang, tiles, attribution, indicator,
                                      visible_layers()),
        )
    return render_template("map.html", map=parts, as_of=as_of)


def _table_order() -> tuple[str, bool]:
    """The sort column asked for (``insee`` when unknown) and whether it is descending."""
    key = request.args.get("sort", "insee")
    return (key if key in TABLE_COLUMNS else "insee"), request.args.get("order") == "desc"


def _figures_table(session, as_of) -> pd.DataFrame:
    figures = data.figures(session, as_of)
    key = request.args.get("sort", "insee")
    if key not in TABLE_COLUMNS or key not in figures.columns:
        key = "insee"
    descending = request.args.get("order") == "desc"
    return figures.sort_values(key, ascending=not descending, na_position="last",
                               kind="stable").reset_index(drop=True)


@bp.route("/communes")
@requires("commune_pages")
@cached_view("as_of", _table_order)
def communes() -> str:
    """All communes with their latest figures and status, sortable."""
    as_of = _page_as_of()
    with db_session() as session:
        table = _figures_table(session, as_of)
    columns = {k: v for k, v in TABLE_COLUMNS.items() if k in table.columns}
    return render_template("communes.html", table=table, columns=columns, as_of=as_of,
                           sort=_table_order()[0],
                           order="desc" if _table_order()[1] else "asc")


@bp.route("/communes.csv")
@requires("commune_pages")
@cached_view("as_of", _table_order, personal=False)
def communes_csv() -> Response:
    """The same table as CSV (machine-readable: ISO dates, decimal shares)."""
    as_of = _page_as_of()
    with db_session() as session:
        table = _figures_table(session, as_of)
    columns = CSV_COLUMNS + [c for c in ("status", "delay_days", "sites_5g") if c in table]
    return Response(to_csv(table, columns), mimetype="text/csv", headers={
        "Content-Disposition": content_disposition(f"communes-{as_of.isoformat()}.csv")})


@bp.route("/communes/<insee>")
@requires("commune_pages")
@cached_view("as_of")
def commune(insee: str) -> str:
    """One commune: figures, trend chart, milestones, operators, sites and works."""
    as_of = _page_as_of()
    with db_session() as session:
        figures = data.figures(session, as_of)
        row = figures[figures["insee"] == insee]
        if row.empty:
            raise not_found(f"{translate('Commune inconnue')} : {insee}")
        history = data.share_history(session, as_of)
        history = history[history["insee"] == insee]
        milestones = data.commune_milestones(session, as_of, insee)
        operators = data.committed_communes_of(session, insee)
        every = page_cached(session, ("overlay_counts", as_of),
                            lambda: overlay_counts(session, as_of))
    committed = []
    if len(milestones):
        shares = milestones[milestones["metric"].isin(SHARE_METRICS)].sort_values("due_on")
        committed = sorted(set(zip(shares["due_on"], shares["target"].astype(float),
                                   strict=True)))
    actual = [
        (d, float(v), bool(s)) for d, v, s in zip(
            history["observed_on"], history["connectable_share"], history["synthetic"],
            strict=True) if pd.notna(v)
    ]
    chart = charts.trend_svg(
        actual, committed, labels=(translate("Réalisé"), translate("Trajectoire engagée")),
        title=translate("Évolution du taux de raccordables"),
    )
    counts = {name: per_commune.get(insee, 0) for name, per_commune in every.items()}
    return render_template("commune.html", row=row.iloc[0], chart=chart, as_of=as_of,
                           milestones=milestones, operators=operators, counts=counts,
                           history=history)


def overlay_counts(session, as_of) -> dict[str, dict[str, int]]:
    """Layer -> INSEE code -> features touching that commune, for every commune at once
    (cached per data version: the layers take ~75 ms to read, a commune page ~100 ms)."""
    out = {}
    for name, item in data_layers().items():
        frame = item.read(session, as_of)
        # Works list every commune they touch ("59350, 59009"); sites name one.
        codes = (frame["insee"].fillna("").astype(str).str.split(", ")
                 .map(lambda listed: list(dict.fromkeys(listed))).explode()
                 if "insee" in frame else pd.Series([], dtype=object))
        out[name] = {str(code): int(n) for code, n in codes[codes != ""].value_counts().items()}
    return out


def data_layers() -> dict:
    """Overlays a commune sheet counts: sites and works (the gap is on the sheet already),
    those the visitor may see.

    Named, not "all but gaps": the 5G gap and hexagon layers cost ~0.5 s per read and were
    computed on every commune page for nothing (measured by benchmarks/load.py).
    """
    visible = visible_layers()
    return {name: item for name, item in LAYERS.items()
            if name in ("sites", "works") and name in visible}


def _operator_names(session) -> dict[str, str]:
    """Every operator the data mentions (operator table, ARCEP lists, agreements): code -> name."""
    table = data.operators(session)
    names = {code: name for code, (name, _) in KNOWN_OPERATORS.items()}
    names.update(zip(table["code"], table["name"], strict=True))
    codes = set(table["code"]) | data.mentioned_operators(session)
    return {code: names.get(code, code) for code in sorted(codes)}


@bp.route("/operators")
@requires("commune_pages")
@cached_view("as_of")
def operators() -> str:
    """Operators the loaded data mentions."""
    _page_as_of()
    with db_session() as session:
        names = _operator_names(session)
    return render_template("operators.html", names=names)


@bp.route("/operators/<code>")
@requires("commune_pages")
@cached_view("as_of")
def operator(code: str) -> str:
    """An operator's commitments and their assessment across communes."""
    as_of = _page_as_of()
    with db_session() as session:
        names = _operator_names(session)
        if code not in names:
            raise not_found(f"{translate('Opérateur inconnu')} : {code}")
        communes_ = data.committed_communes(session, code)
        listing = data.figures(session, as_of)[["insee", "name", "connectable_share",
                                                "observed_on"]]
        assessed = data.assessments(session, as_of)
        # The delay report needs a commitment of this operator (else it answers 404).
        committed = code in set(compliance.agreements(session)["operator_code"])
    communes_ = communes_.merge(listing, on="insee", how="left").sort_values("name")
    milestones = (assessed[assessed["operator_code"] == code]
                  if assessed is not None else pd.DataFrame())
    return render_template("operator.html", code=code, name=names[code], communes=communes_,
                           milestones=milestones, as_of=as_of, committed=committed)


@bp.route("/imports")
@requires("evidence")
def imports() -> str:
    """Every batch, newest first, with the rejected rows of refused files."""
    _page_as_of()
    with db_session() as session:
        history = journal.batch_history(session)
        errors = {int(b): journal.batch_errors(session, int(b))
                  for b in history.loc[history["errors"] > 0, "batch_id"]}
    return render_template("imports.html", history=history, errors=errors)


@bp.app_context_processor
def _banner() -> dict:
    """``banner()`` in templates: which figures are real and which synthetic, from the batches."""

    def banner() -> dict:
        if "banner" not in g:
            with db_session() as session:
                day = g.get("as_of") or params.today()
                g.banner = page_cached(session, ("provenance", day),
                                       lambda: data.provenance(session, day))
        return g.banner

    return {"banner": banner, "endpoints": current_app.view_functions,
            "quarter": lambda d: data.quarter_label(d, g.get("lang", "fr"))}
