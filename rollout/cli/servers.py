"""The two WSGI servers of `rollout serve`: gunicorn (several processes) and waitress."""

from __future__ import annotations

from typing import Any


def run_gunicorn(config: dict[str, Any], host: str, port: int, workers: int,
                 threads: int) -> None:
    """Serve ``create_app(config)`` with gunicorn: ``workers`` processes of ``threads``
    threads (gthread workers). Each worker builds its own app after the fork, so no database
    connection is shared between processes; they share the cache (see webmap.cache)."""
    from gunicorn.app.base import BaseApplication

    from webmap import create_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                       "worker_class": "gthread", "timeout": 120, "graceful_timeout": 30,
                       "accesslog": None, "errorlog": "-", "loglevel": "warning",
                       "proc_name": "rollout"}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app(config)

    Server().run()


def run_waitress(config: dict[str, Any], host: str, port: int, threads: int) -> None:
    """Serve ``create_app(config)`` with waitress: one process of ``threads`` threads."""
    import waitress

    from webmap import create_app

    app = create_app(config)
    # Waitress drops X-Forwarded-* by default; behind trusted proxies ProxyFix needs them.
    waitress.serve(app, host=host, port=port, threads=threads, ident="rollout",
                   clear_untrusted_proxy_headers=not app.config["TRUSTED_PROXIES"])
