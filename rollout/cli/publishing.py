"""`rollout feeds write DIR`: the works feeds for a static host (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from rollout.cli.common import Context, fail_on_bad_input


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
    with session_scope(obj.engine) as session:
        paths = feeds.write_feeds(session, folder, now)
    for path in paths:
        click.echo(f"flux écrit : {path} ({path.stat().st_size} octets)")
