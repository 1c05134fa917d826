"""`rollout import …` (one source file per batch) and `rollout imports` (the history)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rollout.cli.common import Context, echo_outcome, fail_on_bad_input, parse_date_option
from rollout.rows import each_row


@click.group("import")
def import_group() -> None:
    """Load a source file (one file = one batch = one transaction)."""


@import_group.command("communes")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id-field", help="Field holding the INSEE code (auto-detected otherwise).")
@click.option("--name-field", help="Field holding the commune name (auto-detected otherwise).")
@click.option("--layer", help="Layer to read in a multi-layer file (GeoPackage).")
@click.pass_obj
@fail_on_bad_input
def import_communes(obj: Context, file: Path, id_field, name_field, layer) -> None:
    """Communes from GeoJSON, GeoPackage, Shapefile or zipped Shapefile, any CRS."""
    from rollout.importers import communes

    echo_outcome(communes.load(obj.engine, file, id_field=id_field, name_field=name_field,
                               layer=layer), obj.database_url)


@import_group.command("arcep")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@fail_on_bad_input
def import_arcep(obj: Context, file: Path) -> None:
    """ARCEP per-commune FTTH observatory (XLSX or CSV, 2018 and 2020+ layouts)."""
    from rollout.importers import arcep

    echo_outcome(arcep.load(obj.engine, file), obj.database_url)


@import_group.command("commitments")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--template", "template", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a documented template (.csv or .xlsx) to this path instead.")
@click.option("--force", is_flag=True, help="With --template: overwrite an existing file.")
@click.pass_obj
@fail_on_bad_input
def import_commitments(obj: Context, file: Path | None, template: Path | None,
                       force: bool) -> None:
    """Agreements, perimeters and milestones (CSV or XLSX template, FORMATS.md §4)."""
    if template is not None:
        if file is not None:
            raise click.UsageError("give a FILE to import or --template PATH, not both")
        _write_template(template, force)
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --template PATH")
    if force:
        raise click.UsageError("--force only applies to --template")
    from rollout.importers import commitments

    echo_outcome(commitments.load(obj.engine, file), obj.database_url)


def _write_template(path: Path, force: bool) -> None:
    from geodata.commitments import write_template

    hint = "--template"
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter(f"{str(path)!r}: expected a file name ending in .csv or .xlsx",
                                 param_hint=hint)
    if not path.parent.is_dir():
        raise click.BadParameter(f"{str(path)!r}: folder {str(path.parent)!r} does not exist",
                                 param_hint=hint)
    if path.exists() and not force:
        raise click.BadParameter(f"{str(path)!r} already exists (add --force to overwrite it)",
                                 param_hint=hint)
    try:
        written = write_template(path)
    except OSError as exc:
        raise click.BadParameter(f"{str(path)!r}: {exc.strerror}", param_hint=hint) from None
    click.echo(f"modèle écrit : {written}")


@import_group.command("premises")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Date of the data (else read from the file name).")
@click.option("--chunksize", default=100_000, show_default=True, type=click.IntRange(1000))
@click.option("--no-points", is_flag=True, help="Store only the per-commune counts.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler (tcp://host:8786) computing the counts; needs --no-points.")
@click.pass_obj
@fail_on_bad_input
def import_premises(obj: Context, file: Path, as_of, chunksize: int, no_points: bool,
                    scheduler: str | None) -> None:
    """Per-building IPE or ARCEP building file, streamed in chunks."""
    from rollout.importers import premises

    if scheduler and not no_points:
        raise click.UsageError("--scheduler computes the counts only: add --no-points")
    echo_outcome(premises.load(obj.engine, file, as_of=parse_date_option(as_of, "--as-of"),
                               chunksize=chunksize, keep_points=not no_points,
                               scheduler=scheduler), obj.database_url)


@import_group.command("sites")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@fail_on_bad_input
def import_sites(obj: Context, file: Path) -> None:
    """Radio sites: ANFR export (zip or folder of SUP_*.txt tables) or ARCEP sites CSV."""
    from rollout.importers import sites

    echo_outcome(sites.load(obj.engine, file), obj.database_url)


@import_group.command("works")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["geojson", "csv", "wzdx", "cifs"]),
              help="Input format (guessed from the content otherwise).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help='Read FIELD from the column HEADER, e.g. --column start="Date début du '
                   'chantier" (fields: id, title, kind, owner, start, end, commune, '
                   'types_of_work, wkt, geo_shape, geo_point_2d, lon, lat).')
@click.option("--skip-invalid", is_flag=True,
              help="Load the good rows of a third-party feed and journal the bad ones as "
                   "rejected rows (evidence files - ARCEP, IPE, commitments - stay all or "
                   "nothing).")
@click.option("--publishable/--not-publishable", default=None,
              help="Whether these works may go out in the open data and the WZDx/CIFS feeds "
                   "(default: the works whose owner is MEL, ROLLOUT_OWN_ORGANISATION).")
@click.pass_obj
@fail_on_bad_input
def import_works(obj: Context, file: Path, fmt: str | None, columns: tuple[str, ...],
                 skip_invalid: bool, publishable: bool | None) -> None:
    """Planned public works: GeoJSON/GeoPackage/CSV, WZDx 4.0-4.2 feed or Waze CIFS (XML/JSON)."""
    from geodata.works import check_columns
    from rollout.importers import works

    mapping = {}
    for item in columns:
        field, sep, header = item.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise click.BadParameter(f"{item!r}: expected FIELD=HEADER", param_hint="--column")
        mapping[field.strip()] = header.strip()
    try:
        check_columns(mapping)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--column") from None
    outcome = works.load(obj.engine, file, fmt=fmt, columns=mapping, skip_invalid=skip_invalid,
                         publishable=publishable)
    echo_outcome(outcome, obj.database_url)
    for problem in outcome.problems:
        click.echo(f"rejetée : {problem}", err=True)


@click.command("imports")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@fail_on_bad_input
def imports_cmd(obj: Context, fmt: str) -> None:
    """Import history: every batch with its counts and status."""
    from rollout.db import session_scope
    from rollout.figures import fmt_datetime, fmt_int
    from rollout.formatting import records, to_table
    from rollout.journal import batch_history

    with session_scope(obj.reader) as session:
        history = batch_history(session)
    columns = ["batch_id", "kind", "file_name", "sha256", "status", "started_at", "finished_at",
               "rows_read", "rows_loaded", "rows_skipped", "rows_rejected", "synthetic",
               "imported_by", "errors"]
    if fmt == "json":
        click.echo(json.dumps(records(history, columns), ensure_ascii=False, indent=2))
        return
    rows = [
        [str(r.batch_id), r.kind, r.file_name, r.sha256[:12], _status_fr(r.status),
         fmt_datetime(r.started_at), fmt_int(r.rows_read), fmt_int(r.rows_loaded),
         fmt_int(r.rows_skipped), fmt_int(r.rows_rejected), "oui" if r.synthetic else "non"]
        for r in each_row(history)
    ]
    click.echo(to_table(
        rows,
        ["Lot", "Type", "Fichier", "sha256", "Statut", "Début (UTC)", "Lues", "Chargées",
         "Ignorées", "Rejetées", "Synthétique"],
        right={0, 6, 7, 8, 9},
    ))


def _status_fr(status: str) -> str:
    return {"loaded": "importé", "rejected": "refusé"}.get(status, status)
