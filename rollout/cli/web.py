"""Serving the web map: `rollout serve` and `rollout demo --serve`."""

from __future__ import annotations

import os

import click

from rollout.cli.common import Context, fail_on_bad_input, warm_snapshot

_PUBLIC_HELP = ("Public mode: anonymous visitors see the map, commune pages and sheets (never "
                "exports, operator-delay reports, imports or the audit log); other pages need "
                "an account (`rollout users add`). Default for serve: ROLLOUT_PUBLIC_MODE, "
                "else off.")


@click.command()
@click.option("--serve", is_flag=True, help="Serve the map once the demo database is built.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--public/--private", default=True, show_default=True, help=_PUBLIC_HELP)
@click.option("--into-existing", is_flag=True,
              help="Add the demo's synthetic batches to a database that already holds data.")
@click.pass_obj
@fail_on_bad_input
def demo(obj: Context, serve: bool, host: str, port: int, public: bool,
         into_existing: bool) -> None:
    """Build the demo database: real MEL communes and ARCEP 2017-2018, synthetic after."""
    from rollout.demo import build_demo, imported_batches

    held = imported_batches(obj.creator)
    if held and not into_existing:
        raise click.UsageError(
            f"the database already holds {held} import batch(es) of its own: the demo would "
            "mix its synthetic data with them; use an empty database, or add --into-existing")
    for line in build_demo(obj.creator):
        click.echo(line)
    if serve:
        _serve(obj, host, port, public=public)  # the server computes the snapshot at start
    else:
        warm_snapshot(obj.database_url)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (gunicorn). Default: the number of CPU cores.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1),
              help="Threads per worker process.")
@click.option("--server", type=click.Choice(["gunicorn", "waitress"]), default=None,
              help="WSGI server. Default: gunicorn where it runs (Linux, macOS), else "
                   "waitress (one process).")
@click.option("--public/--private", default=None, help=_PUBLIC_HELP)
@click.pass_obj
@fail_on_bad_input
def serve(obj: Context, host: str, port: int, workers: int | None, threads: int,
          server: str | None, public: bool | None) -> None:
    """Serve the web map with a production WSGI server (gunicorn, or waitress).

    Refuses to start, in one line, on a missing, corrupt or non-SpatiaLite file or a database
    without the schema. Every worker process shares the data snapshot and the response cache
    (a folder next to the database, or Redis with ROLLOUT_CACHE_URL). Sessions:
    ROLLOUT_SECRET_KEY, else a key file (mode 0600) next to the SpatiaLite database; set
    ROLLOUT_SESSION_COOKIE_SECURE=1 when served over https.
    """
    _serve(obj, host, port, threads, public, workers=workers, server=server)


def _serve(obj: Context, host: str, port: int, threads: int = 8,
           public: bool | None = None, *, workers: int | None = None,
           server: str | None = None) -> None:
    from rollout.cli.servers import run_gunicorn, run_waitress
    from rollout.db import check_database

    check_database(obj.engine)
    obj.engine.dispose()  # no connection of this process goes into the forked workers
    config: dict[str, object] = {"DATABASE_URL": obj.database_url}
    if public is not None:
        config["PUBLIC_MODE"] = public
    if server is None:
        server = "gunicorn" if _gunicorn_runs() else "waitress"
    if server == "waitress" and workers not in (None, 1):
        raise click.UsageError("waitress serves from one process: drop --workers or use "
                               "--server gunicorn")
    click.echo(f"carte servie sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    if server == "gunicorn":
        run_gunicorn(config, host, port, workers or os.cpu_count() or 1, threads)
    else:
        run_waitress(config, host, port, threads)


def _gunicorn_runs() -> bool:
    """gunicorn needs fork() and fcntl (POSIX); Windows keeps waitress."""
    try:
        import fcntl  # noqa: F401

        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True
