"""Shared pieces of the command line: database context, date option, error mapping."""

from __future__ import annotations

import datetime as dt
import functools
import sys

import click

FORMATS = click.Choice(["table", "csv", "json"])


class Context:
    """What every command gets: the database URL and an engine made on first use."""

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


def fail_on_bad_input(func):
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


def parse_date_option(value: str | None, name: str) -> dt.date | None:
    """Parse a date option's value, or say which option was wrong (exit 2)."""
    if value is None:
        return None
    from geodata.text import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint=name) from None


def echo_outcome(outcome) -> None:
    """Print an import's summary line and its warnings."""
    click.echo(outcome.describe())
    for warning in outcome.warnings:
        click.echo(f"  attention : {warning}")


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
