"""The ``rollout`` command line: a thin adapter over the import service and read models.

Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad input. Bad input never prints a
traceback: one line per problem on stderr (file, row, column, value, reason).
"""

from __future__ import annotations

import sys

import click

from rollout.cli import admin, alerts, challenges, imports, listings, publishing, reporting, web
from rollout.cli.common import Context
from rollout.config import default_database_url


class OneLineErrors(click.Group):
    """A group whose usage errors are one stderr line (command, option, value, reason)."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("interrompu", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            where = exc.ctx.command_path if getattr(exc, "ctx", None) else "rollout"
            message = " ".join(exc.format_message().split())
            click.echo(f"{where}: {message}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors)
@click.option(
    "--database", "database_url", envvar="ROLLOUT_DATABASE_URL", default=None,
    help="sqlite:///file.sqlite (SpatiaLite, default ./rollout.sqlite) or postgresql+psycopg://…",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """rollout — FTTH and 5G rollout versus operators' commitments, per commune."""
    from rollout import progress

    progress.enable_for_terminal()  # bars on stderr for people at a terminal only
    ctx.obj = Context(database_url or default_database_url())


for _command in (
    admin.init, imports.import_group, imports.imports_cmd, listings.communes_cmd,
    listings.sites_cmd, listings.works_cmd, listings.status_cmd, reporting.export_group,
    reporting.report_group, web.demo, web.serve, admin.users_group, admin.audit_cmd,
    admin.backup_cmd, admin.restore_cmd, publishing.feeds_group, publishing.publish_cmd,
    publishing.verify_cmd,
    alerts.alerts_group,
    challenges.challenges_group,
):
    main.add_command(_command)
