"""`rollout feeds write DIR`, `rollout publish DIR`, `rollout verify FILE.zip` (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from rollout.cli.common import Context, fail_on_bad_input, parse_date_option


@click.group("feeds")
def feeds_group() -> None:
    """Works feeds for navigation services: WZDx 4.2 and Waze CIFS (XML, JSON)."""


@feeds_group.command("write")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
@fail_on_bad_input
def feeds_write(obj: Context, folder: Path) -> None:
    """Write works.wzdx.geojson, works.cifs.xml and works.cifs.json into FOLDER."""
    from rollout import feeds
    from rollout.db import session_scope

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with session_scope(obj.reader) as session:
        paths = feeds.write_feeds(session, folder, now)
    for path in paths:
        click.echo(f"flux écrit : {path} ({path.stat().st_size} octets)")


@click.command("publish")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", help="Publication date YYYY-MM-DD (default: today).")
@click.option("--include-restricted", is_flag=True,
              help="Also publish the planners' layers (5G gaps, FTTH gap hexagons).")
@click.option("--base-url", help="Where the files will be downloaded from, for the catalogue "
                                 "(default: ROLLOUT_PUBLIC_URL + /open-data/, else file://FOLDER/).")
@click.pass_obj
@fail_on_bad_input
def publish_cmd(obj: Context, folder: Path, as_of, include_restricted: bool,
                base_url: str | None) -> None:
    """Open-data package: CSV, GeoJSON, one GeoPackage, datapackage.json and catalog.jsonld."""
    import os

    from rollout.db import session_scope
    from rollout.publish import build_package, write_package

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    public = os.environ.get("ROLLOUT_PUBLIC_URL")
    url = base_url or (public.rstrip("/") + "/open-data/" if public
                       else folder.resolve().as_uri() + "/")
    with session_scope(obj.engine) as session:
        package = build_package(session, day, include_restricted=include_restricted)
    paths = write_package(package, folder, url if url.endswith("/") else url + "/")
    total = sum(p.stat().st_size for p in paths)
    click.echo(f"données ouvertes au {day.isoformat()} écrites dans {folder} : "
               f"{len(paths)} fichiers, {total} octets")


@click.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def verify_cmd(bundle: Path) -> None:
    """Re-check an evidence bundle: hashes, sources re-imported, every figure (exit 1 if not)."""
    import sys

    from reports.verify import VerificationFailed, verify_bundle

    try:
        result = verify_bundle(bundle)
    except VerificationFailed as exc:
        click.echo(f"ÉCHEC : {exc}", err=True)
        sys.exit(1)
    for line in result.lines:
        click.echo(line)
    click.echo(f"dossier conforme : {bundle}")
