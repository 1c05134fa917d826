"""`rollout challenges import FILE | purge`: bulk signalements and their GDPR retention."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from rollout.cli.common import Context, fail_on_bad_input


def evidence_folder(database_url: str) -> Path:
    """Where evidence files are kept: ``challenges`` in the web app's upload folder."""
    from webmap.security import upload_folder

    return Path(os.environ.get("ROLLOUT_UPLOAD_FOLDER") or upload_folder(database_url)) / \
        "challenges"


def _refusals(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from rollout.challenges import ChallengeError

        try:
            return func(*args, **kwargs)
        except ChallengeError as exc:
            click.echo(f"refusé : {exc}", err=True)
            sys.exit(2)

    return wrapper


@click.group("challenges")
def challenges_group() -> None:
    """Signalements: bulk import (CSV) and purge after the retention period."""


@challenges_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the documented CSV template to this path instead.")
@click.option("--user", "username", help="Account name recorded as the submitter.")
@click.pass_obj
@fail_on_bad_input
def challenges_import(obj: Context, file: Path | None, template: Path | None,
                      username: str | None) -> None:
    """One challenge per row, keyed by building id or INSEE code (all or nothing)."""
    from geodata.errors import InputError
    from rollout.challenges_io import import_csv, write_template
    from rollout.db import session_scope

    if template is not None:
        click.echo(f"modèle écrit : {write_template(template)}")
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --template PATH")
    if not file.exists():
        raise InputError.single(file.name, "file not found", code="not_found")
    with session_scope(obj.engine, write=True) as session:
        count = import_csv(session, file, username)
    click.echo(f"{file.name} : {count} signalement(s) enregistré(s)")


@challenges_group.command("purge")
@click.option("--retention-days", default=365, show_default=True, type=click.IntRange(0),
              help="Delete challenges resolved more than this many days ago.")
@click.pass_obj
@fail_on_bad_input
@_refusals
def challenges_purge(obj: Context, retention_days: int) -> None:
    """Delete resolved challenges past the retention (personal data: GDPR) and their files."""
    from rollout.challenges import purge
    from rollout.db import session_scope

    with session_scope(obj.engine, write=True) as session:
        deleted, orphans = purge(session, retention_days=retention_days)
    folder = evidence_folder(obj.database_url)
    for sha256 in orphans:
        (folder / sha256).unlink(missing_ok=True)
    click.echo(f"purge : {deleted} signalement(s) et {len(orphans)} fichier(s) de preuve "
               f"supprimé(s) (résolus depuis plus de {retention_days} jours)")
