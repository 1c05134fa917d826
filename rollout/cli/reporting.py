"""Files for other tools and readers: the GeoPackage export and the compliance reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from rollout.cli.common import KNOWN_AT, Context, fail_on_bad_input, parse_date_option
from rollout.figures import fmt_int


@click.group("export")
def export_group() -> None:
    """Export the data for GIS tools."""


@export_group.command("gpkg")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Figures as of this date (default: today).")
@click.pass_obj
@fail_on_bad_input
def export_gpkg(obj: Context, file: Path, as_of) -> None:
    """Every layer (communes with figures, gaps, sites, works…) in one GeoPackage for QGIS."""
    from rollout.db import session_scope
    from webmap import create_app
    from webmap.views.export import write_geopackage

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    if file.exists():
        file.unlink()
    # The layer registry reads through the web app's data helpers: build it once, unserved.
    app = create_app({"DATABASE_URL": obj.database_url, "WARM_CACHE": False})
    with app.app_context(), session_scope(obj.engine) as session:
        names = write_geopackage(session, day, file)
    click.echo(f"GeoPackage écrit : {file} — couches : {', '.join(names)}")


# The languages of reports.i18n.LANGUAGES, spelt here so the CLI loads without the reports.
LANG_OPTION = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr",
                           show_default=True, help="Language of the report.")


@click.group("report")
def report_group() -> None:
    """Compliance reports (French, or English with --lang en): delays, commune, council."""


def _make_report(obj: Context, kind: str, params: dict, as_of, output: Path, build,
                 known_at: str | None = None) -> None:
    """Render with ``build(session, day)``, write ``output``, record who made which report.

    ``known_at``: read as known at that date (:mod:`rollout.known_at`; the cover says so).
    """
    import hashlib
    import os

    from rollout import known_at as known
    from rollout.audit import record_report
    from rollout.db import session_scope

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    known_day = parse_date_option(known_at, "--known-at")
    if known_day is not None:
        params = {**params, "known_at": known_day}
    with known.scope(known_day), session_scope(obj.engine) as session:
        rendered = build(session, day)
    # The audit row in its own short write transaction, after the long read (issue 13).
    with session_scope(obj.engine, write=True) as session:
        record_report(session, kind, {**params, "as_of": day, "via": "cli"},
                      rendered.report_id, hashlib.sha256(rendered.payload).hexdigest(),
                      os.environ.get("USER"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(rendered.payload)
    size = fmt_int(len(rendered.payload))
    click.echo(f"rapport {rendered.report_id} écrit : {output} ({size} octets)")


@report_group.command("operator-delay")
@click.option("--operator", required=True, help="Operator code (FRTE, COAG…).")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "csv", "html"]))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--bundle", type=click.Path(dir_okay=False, path_type=Path),
              help="Also (or only) write an evidence bundle: the report in PDF, XLSX and CSV, "
                   "every source file, manifest.json (check it with `rollout verify`).")
@KNOWN_AT
@LANG_OPTION
@click.pass_obj
@fail_on_bad_input
def report_operator_delay(obj: Context, operator: str, as_of, fmt: str | None,
                          output: Path | None, bundle: Path | None, known_at: str | None,
                          lang: str) -> None:
    """For legal staff: each missed milestone, since when, by how many premises, evidence."""
    from reports import operator_delay_report
    from reports.i18n import recorded_language

    if (fmt is None) != (output is None) or (fmt is None and bundle is None):
        raise click.UsageError("give --format and --output, or --bundle FILE.zip, or both")
    if bundle is not None:
        from reports.evidence_bundle import build_bundle

        _make_report(obj, "operator-delay",
                     {"operator": operator, "format": "bundle", **recorded_language(lang)},
                     as_of, bundle,
                     lambda session, day: build_bundle(session, obj.database_url, operator,
                                                       day, lang), known_at)
    if fmt is None:
        return

    _make_report(obj, "operator-delay",
                 {"operator": operator, "format": fmt, **recorded_language(lang)},
                 as_of, output,
                 lambda session, day: operator_delay_report(session, operator, day, fmt, lang),
                 known_at)


@report_group.command("commune")
@click.argument("insee")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@KNOWN_AT
@LANG_OPTION
@click.pass_obj
@fail_on_bad_input
def report_commune(obj: Context, insee: str, as_of, fmt: str, output: Path,
                   known_at: str | None, lang: str) -> None:
    """For elected officials: one page on a commune."""
    from reports import commune_sheet_report
    from reports.i18n import recorded_language

    _make_report(obj, "commune", {"commune": insee, "format": fmt, **recorded_language(lang)},
                 as_of, output,
                 lambda session, day: commune_sheet_report(session, insee, day, fmt, lang),
                 known_at)


@report_group.command("council")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@KNOWN_AT
@LANG_OPTION
@click.pass_obj
@fail_on_bad_input
def report_council(obj: Context, as_of, fmt: str, output: Path, known_at: str | None,
                   lang: str) -> None:
    """For the council: all communes ranked, counts by status, attention first."""
    from reports import council_report
    from reports.i18n import recorded_language

    _make_report(obj, "council", {"format": fmt, **recorded_language(lang)}, as_of, output,
                 lambda session, day: council_report(session, day, fmt, lang), known_at)
