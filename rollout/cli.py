"""The ``rollout`` command line: a thin adapter over the import service and read models.

Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad input. Bad input never prints a
traceback: one line per problem on stderr (file, row, column, value, reason).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from pathlib import Path

import click

from rollout.config import default_database_url

FORMATS = click.Choice(["table", "csv", "json"])


class Context:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from rollout.db import make_engine

            try:
                self._engine = make_engine(self.database_url)
            except ValueError as exc:
                raise click.UsageError(str(exc)) from None
        return self._engine


def _fail_on_bad_input(func):
    """Map domain errors to one stderr line each and the contract's exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from geodata.errors import InputError
        from rollout.importing import ImportRejected

        try:
            return func(*args, **kwargs)
        except ImportRejected as exc:
            click.echo(exc.outcome.describe(), err=True)
            for problem in exc.outcome.problems:
                click.echo(str(problem), err=True)
            sys.exit(2)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(2)
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            click.echo(
                f"database error: {reason} (is the schema created? run `rollout init`)", err=True
            )
            sys.exit(1)

    return wrapper


def _parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    from geodata.text import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint=name) from None


def _report(outcome) -> None:
    click.echo(outcome.describe())
    for warning in outcome.warnings:
        click.echo(f"  attention : {warning}")


@click.group()
@click.option(
    "--database", "database_url", envvar="ROLLOUT_DATABASE_URL", default=None,
    help="sqlite:///file.sqlite (SpatiaLite, default ./rollout.sqlite) or postgresql+psycopg://…",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """rollout — FTTH and 5G rollout versus operators' commitments, per commune."""
    ctx.obj = Context(database_url or default_database_url())


@main.command()
@click.pass_obj
@_fail_on_bad_input
def init(obj: Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from rollout.migrate import upgrade

    before, after = upgrade(obj.engine)
    if before == after:
        click.echo(f"schéma déjà à jour (révision {after})")
    else:
        click.echo(f"schéma créé ou mis à jour : {before or 'vide'} -> {after}")


@main.group("import")
def import_group() -> None:
    """Load a source file (one file = one batch = one transaction)."""


@import_group.command("communes")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id-field", help="Field holding the INSEE code (auto-detected otherwise).")
@click.option("--name-field", help="Field holding the commune name (auto-detected otherwise).")
@click.option("--layer", help="Layer to read in a multi-layer file (GeoPackage).")
@click.pass_obj
@_fail_on_bad_input
def import_communes(obj: Context, file: Path, id_field, name_field, layer) -> None:
    """Communes from GeoJSON, GeoPackage, Shapefile or zipped Shapefile, any CRS."""
    from rollout.importers import communes

    _report(communes.load(obj.engine, file, id_field=id_field, name_field=name_field,
                          layer=layer))


@import_group.command("arcep")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@_fail_on_bad_input
def import_arcep(obj: Context, file: Path) -> None:
    """ARCEP per-commune FTTH observatory (XLSX or CSV, 2018 and 2020+ layouts)."""
    from rollout.importers import arcep

    _report(arcep.load(obj.engine, file))


@import_group.command("commitments")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--template", "template", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a documented template (.csv or .xlsx) to this path instead.")
@click.pass_obj
@_fail_on_bad_input
def import_commitments(obj: Context, file: Path | None, template: Path | None) -> None:
    """Agreements, perimeters and milestones (CSV or XLSX template, FORMATS.md §4)."""
    if template is not None:
        from geodata.commitments import write_template

        click.echo(f"modèle écrit : {write_template(template)}")
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --template PATH")
    from rollout.importers import commitments

    _report(commitments.load(obj.engine, file))


@import_group.command("premises")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Date of the data (else read from the file name).")
@click.option("--chunksize", default=100_000, show_default=True, type=click.IntRange(1000))
@click.option("--no-points", is_flag=True, help="Store only the per-commune counts.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler (tcp://host:8786) computing the counts; needs --no-points.")
@click.pass_obj
@_fail_on_bad_input
def import_premises(obj: Context, file: Path, as_of, chunksize: int, no_points: bool,
                    scheduler: str | None) -> None:
    """Per-building IPE or ARCEP building file, streamed in chunks."""
    from rollout.importers import premises

    if scheduler and not no_points:
        raise click.UsageError("--scheduler computes the counts only: add --no-points")
    _report(premises.load(obj.engine, file, as_of=_parse_date(as_of, "--as-of"),
                          chunksize=chunksize, keep_points=not no_points, scheduler=scheduler))


@import_group.command("sites")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_fail_on_bad_input
def import_sites(obj: Context, file: Path) -> None:
    """Radio sites: ANFR export (zip or folder of SUP_*.txt tables) or ARCEP sites CSV."""
    from rollout.importers import sites

    _report(sites.load(obj.engine, file))


@import_group.command("works")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["geojson", "csv", "wzdx", "cifs"]),
              help="Input format (guessed from the content otherwise).")
@click.pass_obj
@_fail_on_bad_input
def import_works(obj: Context, file: Path, fmt: str | None) -> None:
    """Planned public works: GeoJSON/GeoPackage/CSV, WZDx 4.2 feed or Waze CIFS (XML/JSON)."""
    from rollout.importers import works

    _report(works.load(obj.engine, file, fmt=fmt))


@main.command("imports")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@_fail_on_bad_input
def imports_cmd(obj: Context, fmt: str) -> None:
    """Import history: every batch with its counts and status."""
    from rollout.db import session_scope
    from rollout.formatting import fr_int, records, to_table
    from rollout.journal import batch_history

    with session_scope(obj.engine) as session:
        history = batch_history(session)
    columns = ["batch_id", "kind", "file_name", "sha256", "status", "started_at", "finished_at",
               "rows_read", "rows_loaded", "rows_skipped", "rows_rejected", "synthetic",
               "imported_by", "errors"]
    if fmt == "json":
        click.echo(json.dumps(records(history, columns), ensure_ascii=False, indent=2))
        return
    rows = [
        [str(r.batch_id), r.kind, r.file_name, r.sha256[:12], _status_fr(r.status),
         r.started_at.strftime("%d/%m/%Y %H:%M"), fr_int(r.rows_read), fr_int(r.rows_loaded),
         fr_int(r.rows_skipped), fr_int(r.rows_rejected), "oui" if r.synthetic else "non"]
        for r in history.itertuples()
    ]
    click.echo(to_table(
        rows,
        ["Lot", "Type", "Fichier", "sha256", "Statut", "Début (UTC)", "Lues", "Chargées",
         "Ignorées", "Rejetées", "Synthétique"],
        right={0, 6, 7, 8, 9},
    ))


def _status_fr(status: str) -> str:
    return {"loaded": "importé", "rejected": "refusé"}.get(status, status)


@main.command("communes")
@click.option("--as-of", "as_of", help="Latest figures on or before this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@_fail_on_bad_input
def communes_cmd(obj: Context, as_of: str | None, fmt: str) -> None:
    """One row per commune with its latest FTTH figures."""
    from rollout.db import session_scope
    from rollout.formatting import fr_date, fr_int, fr_number, fr_share, to_csv, to_json, to_table
    from rollout.indicators import latest_figures

    with session_scope(obj.engine) as session:
        figures = latest_figures(session, _parse_date(as_of, "--as-of"))
    columns = ["insee", "name", "population", "area_km2", "premises", "premises_as_of",
               "premises_method", "connectable", "connectable_share", "observed_on",
               "over_100", "synthetic", "source_file"]
    if fmt == "json":
        click.echo(to_json(figures, columns))
    elif fmt == "csv":
        click.echo(to_csv(figures, columns), nl=False)
    else:
        rows = [
            [r.insee, r.name, fr_int(r.population), fr_number(r.area_km2), fr_int(r.premises),
             fr_int(r.connectable), fr_share(r.connectable_share), fr_date(r.observed_on),
             "synthétique" if r.synthetic else "réel"]
            for r in figures.itertuples()
        ]
        click.echo(to_table(
            rows,
            ["INSEE", "Commune", "Population", "Surface (km²)", "Locaux", "Raccordables",
             "Taux", "Au", "Donnée"],
            right={2, 3, 4, 5, 6},
        ))


SITE_COLUMNS = ["station_id", "operator", "operator_name", "insee", "lon", "lat", "systems",
                "bands", "has_5g", "in_service_on"]


@main.command("sites")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@_fail_on_bad_input
def sites_cmd(obj: Context, fmt: str) -> None:
    """Radio sites: one row per station and operator, with systems and 5G in-service date."""
    from rollout.db import session_scope
    from rollout.formatting import fr_date, to_csv, to_json, to_table
    from rollout.mobile import sites_frame

    with session_scope(obj.engine) as session:
        frame = sites_frame(session).rename(columns={"operator_code": "operator"})
    if fmt == "json":
        click.echo(to_json(frame, SITE_COLUMNS))
    elif fmt == "csv":
        joined = {c: frame[c].map(" | ".join) for c in ("systems", "bands")}
        click.echo(to_csv(frame.assign(**joined), SITE_COLUMNS), nl=False)
    else:
        rows = [[r.station_id, r.operator_name or r.operator, r.insee, ", ".join(r.systems),
                 "oui" if r.has_5g else "non", fr_date(r.in_service_on)]
                for r in frame.itertuples()]
        click.echo(to_table(rows, ["Station", "Opérateur", "INSEE", "Systèmes", "5G",
                                   "Mise en service"]))


WORK_COLUMNS = ["id", "source_format", "title", "kind", "owner", "status", "start_at", "end_at",
                "insee", "outside_communes", "types_of_work", "geometry_type", "first_lon",
                "first_lat"]
WORK_STATUS_FR = {"planned": "prévu", "ongoing": "en cours", "ended": "terminé"}


@main.command("works")
@click.option("--dig-once", "dig", is_flag=True,
              help="Works near premises not yet connectable or areas without 5G.")
@click.option("--conflicts", "clash", is_flag=True,
              help="Works not ended that overlap in space and time.")
@click.option("--as-of", "as_of", help="Reference date YYYY-MM-DD (default: today).")
@click.option("--distance", default=50.0, show_default=True, type=click.FloatRange(0),
              help="Dig-once distance in metres.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]),
              default="table")
@click.pass_obj
@_fail_on_bad_input
def works_cmd(obj: Context, dig: bool, clash: bool, as_of, distance: float, fmt: str) -> None:
    """Planned public works; dig-once opportunities or conflicts with the flags."""
    from rollout import mobile
    from rollout.db import session_scope
    from rollout.formatting import to_csv, to_json

    if dig and clash:
        raise click.UsageError("choose one of --dig-once and --conflicts")
    if fmt == "geojson" and (dig or clash):
        raise click.UsageError("--format geojson lists the works themselves, without flags")
    day = _parse_date(as_of, "--as-of") or dt.date.today()
    with session_scope(obj.engine) as session:
        if dig:
            frame = mobile.dig_once_frame(session, day, distance)
        elif clash:
            frame = mobile.conflicts_frame(session, day)
        else:
            frame = mobile.works_listing(mobile.works_frame(session), day)
    columns = WORK_COLUMNS if not (dig or clash) else list(frame.columns)
    if fmt == "json":
        click.echo(to_json(frame, columns))
    elif fmt == "geojson":
        click.echo(json.dumps(mobile.works_geojson(frame, columns), ensure_ascii=False))
    elif fmt == "csv":
        lists = {c: frame[c].map(" | ".join) for c in ("insee", "types_of_work") if c in columns}
        click.echo(to_csv(frame.assign(**lists), columns), nl=False)
    else:
        click.echo(_works_table(frame, day, dig, clash))


def _works_table(frame, day: dt.date, dig: bool, clash: bool) -> str:
    from rollout.formatting import fr_date, fr_int, fr_number, to_table

    if clash:
        rows = [[r.source_id_a, r.source_id_b, fr_date(r.overlap_start), fr_date(r.overlap_end),
                 fr_number(r.distance_m, 1)] for r in frame.itertuples()]
        table = to_table(rows, ["Chantier A", "Chantier B", "Du", "Au", "Distance (m)"],
                         right={4})
        return f"Conflits au {fr_date(day)} — {len(rows)} paire(s)\n{table}"
    if dig:
        rows = [["FttH" if r.target == "ftth" else "5G", str(r.rank), r.source_id, r.title[:50],
                 WORK_STATUS_FR.get(r.status, r.status), fr_date(r.start_at), fr_date(r.end_at),
                 fr_int(round(r.premises))] for r in frame.itertuples()]
        table = to_table(rows, ["Cible", "Rang", "Chantier", "Titre", "Statut", "Début", "Fin",
                                "Locaux (FttH) / habitants (5G)"], right={1, 7})
        return f"Opportunités « creuser une fois » au {fr_date(day)}\n{table}"
    rows = [[r.id, r.source_format, r.title[:50], r.kind, fr_date(r.start_at), fr_date(r.end_at),
             ", ".join(r.insee) or "hors communes", WORK_STATUS_FR.get(r.status, r.status)]
            for r in frame.itertuples()]
    table = to_table(rows, ["Chantier", "Format", "Titre", "Type", "Début", "Fin", "Communes",
                            "Statut"])
    return f"Travaux au {fr_date(day)} — {len(rows)} chantier(s)\n{table}"


STATUS_COLUMNS = [
    "agreement_id", "operator_code", "commune_insee", "scope", "metric", "due_on", "target",
    "rad_cap", "status", "value_at_due", "observed_on", "achieved_value", "achieved_on",
    "delay_days", "delay_is_upper_bound", "shortfall_premises", "projected_on", "series",
    "denominator_premises", "denominator_as_of", "denominator_method", "rad_share",
    "rad_cap_breached", "over_100", "communes_met", "communes_total", "reason",
]


@main.command("status")
@click.option("--operator", help="Operator code (FRTE, SFR0, COAG, 20801…).")
@click.option("--commune", help="INSEE code: the commune's milestones and its share of perimeters.")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@_fail_on_bad_input
def status_cmd(obj: Context, operator, commune, as_of, fmt: str) -> None:
    """Each milestone's status as of a date: met, met late, missed, at risk, on track, no data."""
    import pandas as pd

    from rollout.compliance import assessments_with_breakdown
    from rollout.db import session_scope
    from rollout.formatting import to_csv, to_json

    day = _parse_date(as_of, "--as-of") or dt.date.today()
    with session_scope(obj.engine) as session:
        result, breakdown = assessments_with_breakdown(session, day)
        result["scope"] = result["commune_insee"].map(
            lambda c: "perimeter" if c is None or pd.isna(c) else "commune"
        )
        if commune:
            breakdown["scope"] = "perimeter_commune"
            result = pd.concat([result[result["commune_insee"] == commune],
                                breakdown[breakdown["commune_insee"] == commune]],
                               ignore_index=True)
    if operator:
        result = result[result["operator_code"] == operator]
    columns = [c for c in STATUS_COLUMNS if c in result.columns]
    if fmt == "json":
        click.echo(to_json(result, columns))
    elif fmt == "csv":
        click.echo(to_csv(result, columns), nl=False)
    else:
        click.echo(_status_table(result, day))


def _status_table(result, day: dt.date) -> str:
    import pandas as pd

    from rollout.compliance import STATUS_LABELS_FR
    from rollout.formatting import fr_date, fr_int, fr_share, to_table

    def value(metric: str, number) -> str:
        return fr_share(number) if metric.endswith("_share") else fr_int(number)

    rows = [
        [r.agreement_id, r.operator_code,
         "périmètre" if pd.isna(r.commune_insee) else r.commune_insee, r.metric,
         fr_date(r.due_on), value(r.metric, r.target), value(r.metric, r.value_at_due),
         fr_date(r.observed_on), STATUS_LABELS_FR.get(r.status, r.status),
         fr_int(r.delay_days), fr_int(r.shortfall_premises), fr_date(r.projected_on)]
        for r in result.itertuples()
    ]
    table = to_table(
        rows,
        ["Engagement", "Opérateur", "Commune", "Indicateur", "Échéance", "Cible",
         "Valeur à l'échéance", "Observée le", "Statut", "Retard (j)", "Locaux manquants",
         "Date projetée"],
        right={5, 6, 9, 10},
    )
    return f"Situation au {fr_date(day)} — {len(rows)} jalon(s)\n{table}"


@main.group("export")
def export_group() -> None:
    """Export the data for GIS tools."""


@export_group.command("gpkg")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Figures as of this date (default: today).")
@click.pass_obj
@_fail_on_bad_input
def export_gpkg(obj: Context, file: Path, as_of) -> None:
    """Every layer (communes with figures, gaps, sites, works…) in one GeoPackage for QGIS."""
    from rollout.db import session_scope
    from webmap import create_app
    from webmap.views.export import write_geopackage

    day = _parse_date(as_of, "--as-of") or dt.date.today()
    if file.exists():
        file.unlink()
    # The layer registry reads through the web app's data helpers: build it once, unserved.
    app = create_app({"DATABASE_URL": obj.database_url, "WARM_CACHE": False})
    with app.app_context(), session_scope(obj.engine) as session:
        names = write_geopackage(session, day, file)
    click.echo(f"GeoPackage écrit : {file} — couches : {', '.join(names)}")


@main.group("report")
def report_group() -> None:
    """Compliance reports (French): operator delays, commune sheet, council summary."""


def _make_report(obj: Context, kind: str, params: dict, as_of, output: Path, build) -> None:
    """Render with ``build(session, day)``, write ``output``, record who made which report."""
    import hashlib
    import os

    from rollout.audit import record_report
    from rollout.db import session_scope

    day = _parse_date(as_of, "--as-of") or dt.date.today()
    with session_scope(obj.engine) as session:
        rendered = build(session, day)
        record_report(session, kind, {**params, "as_of": day, "via": "cli"},
                      rendered.report_id, hashlib.sha256(rendered.payload).hexdigest(),
                      os.environ.get("USER"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(rendered.payload)
    size = f"{len(rendered.payload):,}".replace(",", " ")
    click.echo(f"rapport {rendered.report_id} écrit : {output} ({size} octets)")


@report_group.command("operator-delay")
@click.option("--operator", required=True, help="Operator code (FRTE, COAG…).")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "csv", "html"]),
              required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@_fail_on_bad_input
def report_operator_delay(obj: Context, operator: str, as_of, fmt: str, output: Path) -> None:
    """For legal staff: each missed milestone, since when, by how many premises, evidence."""
    from reports import operator_delay_report

    _make_report(obj, "operator-delay", {"operator": operator, "format": fmt}, as_of, output,
            lambda session, day: operator_delay_report(session, operator, day, fmt))


@report_group.command("commune")
@click.argument("insee")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@_fail_on_bad_input
def report_commune(obj: Context, insee: str, as_of, fmt: str, output: Path) -> None:
    """For elected officials: one page on a commune."""
    from reports import commune_sheet_report

    _make_report(obj, "commune", {"commune": insee, "format": fmt}, as_of, output,
            lambda session, day: commune_sheet_report(session, insee, day, fmt))


@report_group.command("council")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@_fail_on_bad_input
def report_council(obj: Context, as_of, fmt: str, output: Path) -> None:
    """For the council: all communes ranked, counts by status, attention first."""
    from reports import council_report

    _make_report(obj, "council", {"format": fmt}, as_of, output,
            lambda session, day: council_report(session, day, fmt))


_PUBLIC_HELP = ("Public mode: anonymous visitors see the map, commune pages and sheets (never "
                "exports, operator-delay reports, imports or the audit log); other pages need "
                "an account (`rollout users add`). Default for serve: ROLLOUT_PUBLIC_MODE, "
                "else off.")


@main.command()
@click.option("--serve", is_flag=True, help="Serve the map once the demo database is built.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--public/--private", default=True, show_default=True, help=_PUBLIC_HELP)
@click.pass_obj
@_fail_on_bad_input
def demo(obj: Context, serve: bool, host: str, port: int, public: bool) -> None:
    """Build the demo database: real MEL communes and ARCEP 2017-2018, synthetic after."""
    from rollout.demo import build_demo

    for line in build_demo(obj.engine):
        click.echo(line)
    if serve:
        _serve(obj, host, port, public=public)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--public/--private", default=None, help=_PUBLIC_HELP)
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, public: bool | None) -> None:
    """Serve the web map with a production WSGI server (waitress).

    Sessions: ROLLOUT_SECRET_KEY, else a key file (mode 0600) next to the SpatiaLite database;
    set ROLLOUT_SESSION_COOKIE_SECURE=1 when served over https.
    """
    _serve(obj, host, port, threads, public)


def _serve(obj: Context, host: str, port: int, threads: int = 8,
           public: bool | None = None) -> None:
    import waitress

    from webmap import create_app

    config = {"DATABASE_URL": obj.database_url}
    if public is not None:
        config["PUBLIC_MODE"] = public
    app = create_app(config)
    click.echo(f"carte servie sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="rollout")


def _refusals(func):
    """Map refused account, backup and restore operations to one stderr line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from rollout.accounts import AccountError
        from rollout.backup import BackupError

        try:
            return func(*args, **kwargs)
        except (AccountError, BackupError) as exc:
            click.echo(f"refusé : {exc}", err=True)
            sys.exit(2)

    return wrapper


@main.group("users")
def users_group() -> None:
    """Sign-in accounts; roles: viewer, planner, legal, admin (each has the one before's rights)."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, help="viewer, planner, legal or admin.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (scripts).")
@click.pass_obj
@_fail_on_bad_input
@_refusals
def users_add(obj: Context, username: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is asked twice unless --password-stdin."""
    from rollout.accounts import add_user
    from rollout.db import session_scope

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    with session_scope(obj.engine) as session:
        user = add_user(session, username, password, role)
    click.echo(f"utilisateur ajouté : {user.username} (rôle {user.role})")


@users_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@_fail_on_bad_input
def users_list(obj: Context, fmt: str) -> None:
    """Accounts with role, state, creation and last sign-in (UTC); never the passwords."""
    from rollout.accounts import USER_COLUMNS, list_users
    from rollout.db import session_scope
    from rollout.formatting import to_json, to_table

    with session_scope(obj.engine) as session:
        users = list_users(session)
    if fmt == "json":
        click.echo(to_json(users, USER_COLUMNS))
        return
    rows = [[r.username, r.role, "oui" if r.active else "non", _utc(r.created_at),
             _utc(r.last_login_at)] for r in users.itertuples()]
    click.echo(to_table(rows, ["Utilisateur", "Rôle", "Actif", "Créé (UTC)",
                               "Dernière connexion (UTC)"]))


def _utc(moment) -> str:
    return "–" if moment is None else moment.strftime("%d/%m/%Y %H:%M")


@users_group.command("remove")
@click.argument("username")
@click.pass_obj
@_fail_on_bad_input
@_refusals
def users_remove(obj: Context, username: str) -> None:
    """Delete an account (its audit events stay); the last admin cannot be removed."""
    from rollout.accounts import remove_user
    from rollout.db import session_scope

    with session_scope(obj.engine) as session:
        remove_user(session, username)
    click.echo(f"utilisateur supprimé : {username.strip().lower()}")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role")
@click.pass_obj
@_fail_on_bad_input
@_refusals
def users_set_role(obj: Context, username: str, role: str) -> None:
    """Change an account's ROLE (viewer, planner, legal or admin)."""
    from rollout.accounts import set_role
    from rollout.db import session_scope

    with session_scope(obj.engine) as session:
        user = set_role(session, username, role)
    click.echo(f"rôle de {user.username} : {user.role}")


@main.command("audit")
@click.option("--action", help="Only this action (import, report, login, login_failed…).")
@click.option("--limit", type=click.IntRange(1), help="Only the N most recent events.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@_fail_on_bad_input
def audit_cmd(obj: Context, action: str | None, limit: int | None, fmt: str) -> None:
    """The audit log, newest first: imports, reports, sign-ins, user changes, backups."""
    from rollout.audit import EVENT_COLUMNS, list_events
    from rollout.db import session_scope
    from rollout.formatting import to_json, to_table

    with session_scope(obj.engine) as session:
        events = list_events(session, action=action, limit=limit)
    if fmt == "json":
        click.echo(to_json(events, EVENT_COLUMNS))
        return
    rows = [[str(r.id), r.at.strftime("%d/%m/%Y %H:%M:%S"), r.username or "(CLI)", r.action,
             r.target or "", _shorten(json.dumps(r.details, ensure_ascii=False))
             if r.details else ""]
            for r in events.itertuples()]
    click.echo(to_table(rows, ["N°", "Quand (UTC)", "Qui", "Action", "Objet", "Détails"],
                        right={0}))


def _shorten(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_obj
@_fail_on_bad_input
@_refusals
def backup_cmd(obj: Context, file: Path, force: bool) -> None:
    """Copy the whole database to FILE, consistent even while others read or import.

    SpatiaLite: a SQLite file (online backup API). PostGIS: a pg_dump custom-format file.
    """
    from rollout.backup import BackupError, backup

    if file.exists() and not force:
        raise BackupError(f"{file} exists: add --force to replace it", "exists")
    info = backup(obj.engine, file)
    click.echo(f"sauvegarde écrite : {info.path} ({info.size_bytes} octets, sha256 "
               f"{info.sha256[:12]}…)")
    if not info.audited:
        click.echo("  attention : un import en cours empêche d'inscrire la sauvegarde au "
                   "journal d'audit ; la copie, elle, est complète", err=True)


@main.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds data (its content is lost).")
@click.pass_obj
@_fail_on_bad_input
@_refusals
def restore_cmd(obj: Context, file: Path, force: bool) -> None:
    """Replace the database's content with the backup FILE made by `rollout backup`.

    Refuses unless the database is empty (new, or only `rollout init`) or --force is given.
    The backup must come from the same backend; the schema is then upgraded to this version.
    A failed restore leaves the database as it was.
    """
    from rollout.backup import restore

    info = restore(obj.engine, file, force=force)
    click.echo(f"base restaurée depuis {info.path} (sha256 {info.sha256[:12]}…)")


if __name__ == "__main__":  # pragma: no cover
    main()
