"""Serving the web map: `rollout serve` and `rollout demo --serve`."""

from __future__ import annotations

import click

from rollout.cli.common import Context, fail_on_bad_input

_PUBLIC_HELP = ("Public mode: anonymous visitors see the map, commune pages and sheets (never "
                "exports, operator-delay reports, imports or the audit log); other pages need "
                "an account (`rollout users add`). Default for serve: ROLLOUT_PUBLIC_MODE, "
                "else off.")


@click.command()
@click.option("--serve", is_flag=True, help="Serve the map once the demo database is built.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--public/--private", default=True, show_default=True, help=_PUBLIC_HELP)
@click.pass_obj
@fail_on_bad_input
def demo(obj: Context, serve: bool, host: str, port: int, public: bool) -> None:
    """Build the demo database: real MEL communes and ARCEP 2017-2018, synthetic after."""
    from rollout.demo import build_demo

    for line in build_demo(obj.creator):
        click.echo(line)
    if serve:
        _serve(obj, host, port, public=public)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--public/--private", default=None, help=_PUBLIC_HELP)
@click.pass_obj
@fail_on_bad_input
def serve(obj: Context, host: str, port: int, threads: int, public: bool | None) -> None:
    """Serve the web map with a production WSGI server (waitress).

    Refuses to start, in one line, on a missing, corrupt or non-SpatiaLite file or a database
    without the schema. Sessions: ROLLOUT_SECRET_KEY, else a key file (mode 0600) next to the
    SpatiaLite database; set ROLLOUT_SESSION_COOKIE_SECURE=1 when served over https.
    """
    _serve(obj, host, port, threads, public)


def _serve(obj: Context, host: str, port: int, threads: int = 8,
           public: bool | None = None) -> None:
    import waitress

    from rollout.db import check_database
    from webmap import create_app

    check_database(obj.engine)
    config = {"DATABASE_URL": obj.database_url}
    if public is not None:
        config["PUBLIC_MODE"] = public
    app = create_app(config)
    click.echo(f"carte servie sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    # Waitress drops X-Forwarded-* by default; behind trusted proxies ProxyFix needs them.
    waitress.serve(app, host=host, port=port, threads=threads, ident="rollout",
                   clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])
