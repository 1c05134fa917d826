"""Shared pieces of the command line: database context, date option, error mapping."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys

import click

FORMATS = click.Choice(["table", "csv", "json"])
KNOWN_AT = click.option(
    "--known-at", "known_at",
    help="Count only batches imported on or before this date YYYY-MM-DD (what was known then).")


class Context:
    """What every command gets: the database URL and engines made on first use.

    ``engine``: read-write on an existing database (a mistyped SpatiaLite path is an error,
    never a new file); ``reader``: read-only (SQLite ``mode=ro``), for commands that only
    read; ``creator``: read-write, creating a new SpatiaLite file (mode 0600) if needed, for
    ``init``, ``demo`` and ``restore``.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engines: dict[str, object] = {}

    def _make(self, kind: str, **options):
        if kind not in self._engines:
            from rollout.db import make_engine

            self._engines[kind] = make_engine(self.database_url, **options)
        return self._engines[kind]

    @property
    def engine(self):
        return self._make("engine", create=False)

    @property
    def reader(self):
        return self._make("reader", read_only=True)

    @property
    def creator(self):
        return self._make("creator", create=True)


def fail_on_bad_input(func):
    """Map domain and database errors to one stderr line each and the contract's exit
    codes (:mod:`rollout.db_errors`): never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import DBAPIError

        from geodata.errors import InputError
        from rollout.db_errors import DatabaseUnavailable, explain, is_disk_full
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
        except DatabaseUnavailable as exc:
            click.echo(str(exc), err=True)
            sys.exit(exc.exit_code)
        except DBAPIError as exc:
            problem = explain(exc, _where(args))
            click.echo(str(problem), err=True)
            sys.exit(problem.exit_code)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            click.echo(str(explain(exc, _where(args))), err=True)
            sys.exit(1)

    return wrapper


def _where(args: tuple) -> str | None:
    """The database a command's error is about (its Context is the first argument)."""
    if not args or not isinstance(args[0], Context):
        return None
    from rollout.db import describe, parse_url
    from rollout.db_errors import DatabaseUnavailable

    try:
        return describe(parse_url(args[0].database_url))
    except DatabaseUnavailable:  # a garbage URL: the message is said without a name
        return None


def parse_date_option(value: str | None, name: str) -> dt.date | None:
    """Parse a date option's value, or say which option was wrong (exit 2)."""
    if value is None:
        return None
    from rollout.dates import reference_date

    try:
        return reference_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None


def echo_outcome(outcome, database_url: str | None = None) -> None:
    """Print an import's summary line and its warnings; after a loaded batch, compute the
    new data version's snapshot for the web pages (see :func:`warm_snapshot`)."""
    click.echo(outcome.describe())
    for warning in outcome.warnings:
        click.echo(f"  attention : {warning}")
    if database_url is not None and outcome.status == "loaded":
        warm_snapshot(database_url)


def warm_snapshot(database_url: str) -> None:
    """Compute what the pages need for the data just imported, so the first visitor after
    an import never waits (issue 13). ``ROLLOUT_WARM_CACHE=0`` skips it (tests, scripts
    chaining many imports); a failure is one warning line: the import itself is committed."""
    if os.environ.get("ROLLOUT_WARM_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    from webmap import create_app, warm

    try:
        status = warm(create_app({"DATABASE_URL": database_url, "WARM_CACHE": False}))
    except Exception as exc:  # noqa: BLE001 - the import is done; the pages compute later
        status = type(exc).__name__
    if status != 200:
        click.echo(f"attention : pages non précalculées ({status}) ; elles le seront à la "
                   "première visite", err=True)


def refusals(func):
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
