"""Load test of ``rollout serve`` with a real load generator: Debian's ``wrk`` (issue 13.5).

Copies the demo database (built once with ``rollout demo`` if missing) into a temporary
folder, starts ``rollout serve`` on it in public mode (gunicorn, ``--workers`` processes of
``--server-threads`` threads, a fresh cache folder), then, each for ``--duration`` seconds at
``--connections`` keep-alive connections (``wrk -t2``, ``Accept-Encoding: gzip`` like a
browser):

1. the static baseline: a vendored CSS file (no application code);
2. every page and API route alone, after one request that fills its cache entry;
3. a mixed run over all of them while, from this process, 20 sign-ins, 10 report downloads
   by a legal user (every report in every format) and 2 uploads of works files (each a new
   data version, so the pages are recomputed during the load) take place;
4. the first page after a CLI import (a new data version), timed.

Prints req/s, the ratio to the static baseline, p50/p95/p99 and errors (non-2xx/3xx answers
and socket errors) per route, and ends with
``worst_page_vs_static=<r> p99_ms=<n> errors=<n>`` (worst ratio and worst p99 of the page
and API routes alone; errors of every run). Targets (issue 13): every route >= 0.5x static,
p99 < 250 ms, 0 errors, first page after an import < 2 s. Exits 1 on any error.

Usage: ``.venv/bin/python benchmarks/load.py [--database sqlite:////tmp/load-demo/demo.sqlite]
[--duration 10] [--connections 50] [--workers N] [--server-threads 8]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

STATIC = "/static/vendor/leaflet-1.9.3/leaflet.css"
ROUTES = ["/", "/?indicator=status", "/communes", "/communes/59350", "/operators",
          "/operators/FRTE", "/communes.csv", "/api/communes", "/api/assessments",
          "/api/sites", "/api/communes/59350/progress", "/api/openapi.json"]
# Anonymous documents: served from the cache too, but each download writes its audit row
# (one short write transaction): measured, not part of the pages' worst ratio.
DOCUMENTS = ["/communes/59350/sheet.pdf", "/council.xlsx"]
REPORTS = ["/operators/FRTE/delay-report.pdf", "/operators/FRTE/delay-report.xlsx",
           "/operators/FRTE/delay-report.csv", "/operators/FRTE/delay-report.html",
           "/communes/59350/sheet.pdf", "/communes/59350/sheet.html", "/council.pdf",
           "/council.xlsx", "/operators/COAG/delay-report.pdf",
           "/operators/COAG/delay-report.xlsx"]
PASSWORD = "benchmark-password"
# wrk: one Lua state per thread; done() sees the merged latency histogram (microseconds).
SUMMARY_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%f p50=%d p95=%d p99=%d errors=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""
MIX_LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rollout_cli() -> str:
    return str(Path(sys.executable).with_name("rollout"))


def prepare(source: str, folder: Path) -> str:
    """A copy of the demo database (built first if missing) with the benchmark's users."""
    path = Path(source.removeprefix("sqlite:///"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([rollout_cli(), "--database", source, "demo"], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "ROLLOUT_WARM_CACHE": "0"})
    shutil.copy(path, folder / "demo.sqlite")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    from rollout import accounts
    from rollout.db import make_engine, session_scope
    from rollout.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)  # a demo built by an older version gets the current schema
    with session_scope(engine, write=True) as session:
        for name, role in [("legal", "legal"), ("admin", "admin"),
                           *((f"visitor{i}", "viewer") for i in range(20))]:
            accounts.add_user(session, name, PASSWORD, role)
    engine.dispose()
    return url


def start_server(url: str, folder: Path, port: int, workers: int, threads: int):
    env = {**os.environ, "ROLLOUT_PUBLIC_MODE": "1", "ROLLOUT_CACHE_DIR": str(folder / "cache"),
           "ROLLOUT_SECRET_KEY": "benchmark"}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [rollout_cli(), "--database", url, "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads), "--server", "gunicorn"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + STATIC, timeout=5).read()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start; see {folder / 'server.log'}")


def fetch(base: str, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def wrk(base: str, path: str | list[str], args, folder: Path) -> dict:
    """One wrk run; ``path`` a list: a round robin over those paths."""
    script = folder / "wrk.lua"
    text = SUMMARY_LUA
    if isinstance(path, list):
        text += MIX_LUA % ", ".join(json.dumps(p) for p in path)
        path = "/"
    script.write_text(text, encoding="utf-8")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s",
         "-H", "Accept-Encoding: gzip", "-s", str(script), base + path],
        capture_output=True, text=True, check=True).stdout
    found = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) p50=(\d+) p95=(\d+) p99=(\d+) "
                      r"errors=(\d+)", out)
    if found is None:
        raise SystemExit(f"unexpected wrk output:\n{out}")
    requests, seconds, p50, p95, p99, errors = found.groups()
    return {"rps": int(requests) / float(seconds), "p50": int(p50) / 1000,
            "p95": int(p95) / 1000, "p99": int(p99) / 1000, "errors": int(errors)}


class Browser:
    """A signed-in visitor (cookies, CSRF token from the form) through urllib."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect())

    def token(self, path: str) -> str:
        html = self.opener.open(self.base + path, timeout=120).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def sign_in(self, username: str) -> int:
        body = urllib.parse.urlencode({"csrf_token": self.token("/login"),
                                       "username": username, "password": PASSWORD}).encode()
        return self._status(urllib.request.Request(self.base + "/login", data=body))

    def get(self, path: str) -> int:
        return self._status(urllib.request.Request(self.base + path))

    def upload(self, kind: str, name: str, payload: bytes) -> int:
        boundary = "rolloutbenchmark"
        fields = [("csrf_token", self.token("/admin/upload").encode()), ("kind", kind.encode())]
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
                 + v + b"\r\n" for k, v in fields]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                     + payload + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self._status(urllib.request.Request(
            self.base + "/admin/upload", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))

    def _status(self, request: urllib.request.Request) -> int:
        try:
            with self.opener.open(request, timeout=120) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def works_csv(i: int) -> bytes:
    return ("id,title,kind,owner,start,end,wkt\n"
            f"bench-{i},Tranchée fibre {i},roadworks,MEL,2026-01-0{i + 1},2026-12-31,"
            f'"LINESTRING (3.06 50.63, 3.07 50.64)"\n').encode()


def writers(base: str, problems: list[str]) -> None:
    """20 sign-ins, 10 legal report downloads and 2 uploads, concurrently."""
    expected: list[tuple[str, int, object]] = []
    lock = threading.Lock()

    def run(label: str, want: int, action) -> None:
        try:
            status = action()
        except Exception as exc:  # noqa: BLE001 - counted as an error below
            status = repr(exc)
        with lock:
            expected.append((label, want, status))

    legal, admin = Browser(base), Browser(base)
    assert legal.sign_in("legal") == 302 and admin.sign_in("admin") == 302
    jobs = [threading.Thread(target=run, args=(f"sign-in {i}", 302,
                                               lambda i=i: Browser(base).sign_in(f"visitor{i}")))
            for i in range(20)]
    jobs += [threading.Thread(target=run, args=(path, 200, lambda p=path: legal.get(p)))
             for path in REPORTS]
    jobs += [threading.Thread(target=run, args=(f"upload {i}", 200, lambda i=i: admin.upload(
        "works", f"travaux-bench-{i}.csv", works_csv(i)))) for i in range(2)]
    for job in jobs:
        job.start()
        time.sleep(0.05)
    for job in jobs:
        job.join()
    problems.extend(f"{label}: {status} (expected {want})" for label, want, status in expected
                    if status != want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite:////tmp/load-demo/demo.sqlite")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--server-threads", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk (the Makefile's system step)")
    with tempfile.TemporaryDirectory(prefix="rollout-load-") as name:
        folder = Path(name)
        url = prepare(args.database, folder)
        server, base = start_server(url, folder, free_port(), args.workers, args.server_threads)
        try:
            report(base, url, folder, args)
        finally:
            server.terminate()
            server.wait(timeout=60)


def report(base: str, url: str, folder: Path, args) -> None:
    print(f"rollout serve --workers {args.workers} --threads {args.server_threads} (gunicorn); "
          f"wrk -t2 -c{args.connections} -d{args.duration}s; {os.cpu_count()} cores")
    print(f"{'route':34} {'req/s':>8} {'×static':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}")

    def line(route: str, result: dict, static: float) -> None:
        print(f"{route:34} {result['rps']:8.0f} {result['rps'] / static:8.2f} "
              f"{result['p50']:7.1f} {result['p95']:7.1f} {result['p99']:7.1f} "
              f"{result['errors']:6d}", flush=True)

    static = wrk(base, STATIC, args, folder)
    line("static " + STATIC.rsplit("/", 1)[1], static, static["rps"])
    alone, errors = [], static["errors"]
    for route in ROUTES + DOCUMENTS:
        status, _ = fetch(base, route)  # fills the cache entry
        result = wrk(base, route, args, folder)
        errors += result["errors"] + (status != 200)
        if route in ROUTES:
            alone.append(result)
        line(route + (" (audited)" if route in DOCUMENTS else ""), result, static["rps"])
    problems: list[str] = []
    background = threading.Thread(target=writers, args=(base, problems))
    background.start()
    mixed = wrk(base, ROUTES + DOCUMENTS, args, folder)
    background.join()
    line("mixed (+20 sign-ins, 10 reports, 2 uploads)", mixed, static["rps"])
    for problem in problems:
        print(f"  error: {problem}")
    errors += mixed["errors"] + len(problems)
    works = folder / "travaux-cli.csv"
    works.write_bytes(works_csv(5))
    started = time.perf_counter()
    subprocess.run([rollout_cli(), "--database", url, "import", "works", str(works)],
                   check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "ROLLOUT_PUBLIC_MODE": "1",
                        "ROLLOUT_CACHE_DIR": str(folder / "cache")})
    imported = time.perf_counter() - started
    status, first = fetch(base, "/")
    errors += status != 200
    print(f"first page after a CLI import: {first * 1000:.0f} ms (the import, snapshot "
          f"included: {imported:.1f} s)")
    worst = min(r["rps"] for r in alone) / static["rps"]
    p99 = max(r["p99"] for r in alone)
    print(f"worst_page_vs_static={worst:.2f} p99_ms={p99:.0f} errors={errors}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
