"""Administration: schema, sign-in accounts, audit log, backup and restore."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rollout.cli.common import Context, fail_on_bad_input, refusals
from rollout.figures import fmt_datetime
from rollout.rows import each_row


@click.command()
@click.pass_obj
@fail_on_bad_input
def init(obj: Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from rollout.migrate import upgrade

    before, after = upgrade(obj.creator)
    if before == after:
        click.echo(f"schéma déjà à jour (révision {after})")
    else:
        click.echo(f"schéma créé ou mis à jour : {before or 'vide'} -> {after}")


@click.group("users")
def users_group() -> None:
    """Sign-in accounts; roles: viewer, planner, legal, admin (each has the one before's rights)."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, help="viewer, planner, legal or admin.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (scripts).")
@click.pass_obj
@fail_on_bad_input
@refusals
def users_add(obj: Context, username: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is asked twice unless --password-stdin."""
    from rollout.accounts import add_user
    from rollout.db import session_scope

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    with session_scope(obj.engine, write=True) as session:
        user = add_user(session, username, password, role)
    click.echo(f"utilisateur ajouté : {user.username} (rôle {user.role})")


@users_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@fail_on_bad_input
def users_list(obj: Context, fmt: str) -> None:
    """Accounts with role, state, creation and last sign-in (UTC); never the passwords."""
    from rollout.accounts import USER_COLUMNS, list_users
    from rollout.db import session_scope
    from rollout.formatting import to_json, to_table

    with session_scope(obj.reader) as session:
        users = list_users(session)
    if fmt == "json":
        click.echo(to_json(users, USER_COLUMNS))
        return
    rows = [[r.username, r.role, "oui" if r.active else "non", _utc(r.created_at),
             _utc(r.last_login_at)] for r in each_row(users)]
    click.echo(to_table(rows, ["Utilisateur", "Rôle", "Actif", "Créé (UTC)",
                               "Dernière connexion (UTC)"]))


def _utc(moment) -> str:
    return fmt_datetime(moment)


@users_group.command("remove")
@click.argument("username")
@click.pass_obj
@fail_on_bad_input
@refusals
def users_remove(obj: Context, username: str) -> None:
    """Delete an account (its audit events stay); the last admin cannot be removed."""
    from rollout.accounts import remove_user
    from rollout.db import session_scope

    with session_scope(obj.engine, write=True) as session:
        remove_user(session, username)
    click.echo(f"utilisateur supprimé : {username.strip().lower()}")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role")
@click.pass_obj
@fail_on_bad_input
@refusals
def users_set_role(obj: Context, username: str, role: str) -> None:
    """Change an account's ROLE (viewer, planner, legal or admin)."""
    from rollout.accounts import set_role
    from rollout.db import session_scope

    with session_scope(obj.engine, write=True) as session:
        user = set_role(session, username, role)
    click.echo(f"rôle de {user.username} : {user.role}")


@users_group.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (scripts).")
@click.pass_obj
@fail_on_bad_input
@refusals
def users_set_password(obj: Context, username: str, password_stdin: bool) -> None:
    """Give an account a new password, asked twice unless --password-stdin.

    The account's web sessions end; the change is recorded in the audit log.
    """
    from rollout.accounts import get_user, set_password
    from rollout.db import session_scope

    with session_scope(obj.engine) as session:
        get_user(session, username)  # an unknown name is refused before asking anything
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Nouveau mot de passe", hide_input=True,
                                confirmation_prompt=True)
    with session_scope(obj.engine, write=True) as session:
        user = set_password(session, username, password)
    click.echo(f"mot de passe changé : {user.username} (ses sessions web sont fermées)")


@users_group.command("signout")
@click.argument("username")
@click.pass_obj
@fail_on_bad_input
@refusals
def users_signout(obj: Context, username: str) -> None:
    """End every web session of USERNAME at once (a lost laptop, a leaked cookie)."""
    from rollout.accounts import sign_out_everywhere
    from rollout.db import session_scope

    with session_scope(obj.engine, write=True) as session:
        count = sign_out_everywhere(session, username)
    click.echo(f"sessions web fermées : {username.strip().lower()} ({count})")


@click.command("audit")
@click.option("--action", help="Only this action (import, report, login, login_failed…).")
@click.option("--limit", type=click.IntRange(1), help="Only the N most recent events.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@fail_on_bad_input
def audit_cmd(obj: Context, action: str | None, limit: int | None, fmt: str) -> None:
    """The audit log, newest first: imports, reports, sign-ins, user changes, backups.

    Control and invisible characters in logged text are shown escaped (``\\x1b``), never
    sent to the terminal; "anonyme (web)" is a web visitor who was not signed in.
    """
    from rollout.audit import EVENT_COLUMNS, actor, list_events, visible
    from rollout.db import session_scope
    from rollout.formatting import records, to_table

    with session_scope(obj.reader) as session:
        events = list_events(session, action=action, limit=limit)
    if fmt == "json":
        rows = [visible(row) for row in records(events, EVENT_COLUMNS)]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    rows = [[str(r.id), r.at.strftime("%d/%m/%Y %H:%M:%S"), actor(r.username, r.client_address),
             r.client_address or "", r.action, visible(r.target or ""),
             _shorten(json.dumps(visible(r.details), ensure_ascii=False)) if r.details else ""]
            for r in each_row(events)]
    click.echo(to_table(rows, ["N°", "Quand (UTC)", "Qui", "Adresse", "Action", "Objet",
                               "Détails"], right={0}))


def _shorten(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_obj
@fail_on_bad_input
@refusals
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


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds data (its content is lost).")
@click.pass_obj
@fail_on_bad_input
@refusals
def restore_cmd(obj: Context, file: Path, force: bool) -> None:
    """Replace the database's content with the backup FILE made by `rollout backup`.

    Refuses unless the database is empty (new, or only `rollout init`) or --force is given.
    The backup must come from the same backend; the schema is then upgraded to this version.
    A failed restore leaves the database as it was.
    """
    from rollout.backup import restore

    info = restore(obj.creator, file, force=force)
    click.echo(f"base restaurée depuis {info.path} (sha256 {info.sha256[:12]}…)")
