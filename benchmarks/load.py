"""Load test of the production server: 50 concurrent keep-alive clients for a bounded time.

Builds the demo database in a temporary folder, starts ``rollout serve`` (waitress) on
127.0.0.1 as a subprocess in public mode, and drives it from client threads (``http.client``,
one persistent connection each, ``Accept-Encoding: gzip`` like a browser):

1. baseline: only a static file (``leaflet.css``) for ``--baseline-seconds``: what the same
   server, process and machine do for a request that runs no application code;
2. mix: the map page, the JSON API (communes, assessments, sites, one commune's progress)
   and the HTML pages (commune table, one commune page) for ``--seconds``.

Prints per route group and overall: requests, throughput, p50/p95 latency and errors (any
status other than 200, or a connection failure), and latencies as a ratio of the baseline's.
Exits 1 if any request failed. The clients share the machine (and a GIL) with nothing but
themselves; the server is another process.

Usage: ``.venv/bin/python benchmarks/load.py [--clients 50] [--seconds 30] [--threads 8]``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rollout.db import make_engine
from rollout.demo import build_demo

STATIC = "/static/vendor/leaflet-1.9.3/leaflet.css"
HEADERS = {"Accept-Encoding": "gzip", "Connection": "keep-alive"}


@dataclass
class Tally:
    """Latencies (seconds) and failures of one route group."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path, port: int, threads: int) -> subprocess.Popen:
    """``rollout serve`` on the demo database, public mode, output to a log file."""
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    engine = make_engine(url)
    for _ in build_demo(engine, inputs_folder=folder / "inputs"):
        pass
    engine.dispose()
    rollout = Path(sys.executable).with_name("rollout")
    env = {**os.environ, "ROLLOUT_PUBLIC_MODE": "1"}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [str(rollout), "--database", url, "serve", "--host", "127.0.0.1", "--port", str(port),
         "--threads", str(threads)], stdout=log, stderr=subprocess.STDOUT, env=env)


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers=HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


def wait_until_ready(port: int, paths: list[str], timeout: float = 120) -> None:
    """Every path answers 200 once (the first map request fills the per-process caches)."""
    deadline = time.monotonic() + timeout
    for path in paths:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, _ = get(conn, path)
                conn.close()
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} did not answer 200 within {timeout} s")
            time.sleep(0.2)


def drive(port: int, mix: list[tuple[str, str]], clients: int, seconds: float
          ) -> tuple[dict[str, Tally], float]:
    """``clients`` threads cycling through ``mix`` (group, path) until time is up."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(seed: int) -> None:
        order = mix[:]
        random.Random(seed).shuffle(order)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local: dict[str, Tally] = defaultdict(Tally)
        start.wait()
        for group, path in itertools.cycle(order):
            if time.perf_counter() >= stop_at[0]:
                break
            began = time.perf_counter()
            try:
                status, _ = get(conn, path)
                failure = "" if status == 200 else f"HTTP {status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                failure = f"{type(exc).__name__} {path}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            local[group].latencies.append(time.perf_counter() - began)
            if failure:
                local[group].errors += 1
                local[group].first_error = local[group].first_error or failure
        conn.close()
        with lock:
            for group, tally in local.items():
                tallies[group].latencies += tally.latencies
                tallies[group].errors += tally.errors
                tallies[group].first_error = tallies[group].first_error or tally.first_error

    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    return dict(tallies), time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1] \
        if len(values) > 1 else values[0]


def report(tallies: dict[str, Tally], elapsed: float, baseline_p50: float | None) -> int:
    """Print one line per group and overall; return the number of errors."""
    everything = Tally([x for t in tallies.values() for x in t.latencies],
                       sum(t.errors for t in tallies.values()))
    print(f"{'group':10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'errors':>7} {'p50/baseline':>13}")
    for group, tally in [*sorted(tallies.items()), ("overall", everything)]:
        p50, p95 = percentile(tally.latencies, 0.5), percentile(tally.latencies, 0.95)
        ratio = f"{p50 / baseline_p50:13.1f}" if baseline_p50 else f"{'1.0':>13}"
        print(f"{group:10} {len(tally.latencies):9d} {len(tally.latencies) / elapsed:8.1f} "
              f"{p50 * 1000:8.1f} {p95 * 1000:8.1f} {tally.errors:7d} {ratio}")
        if tally.first_error and group != "overall":
            print(f"  first error: {tally.first_error}")
    return everything.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollout-load-") as name:
        folder = Path(name)
        port = free_port()
        server = start_server(folder, port, args.threads)
        try:
            wait_until_ready(port, [STATIC, "/api/communes"])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/api/communes")
            features = json.loads(conn.getresponse().read())["features"]
            conn.close()
            codes = sorted(f["properties"]["insee"] for f in features)
            picked = random.Random(7).sample(codes, 10)
            mix = [("map", "/"), ("map", "/?indicator=status"),
                   ("api", "/api/communes"), ("api", "/api/assessments"), ("api", "/api/sites"),
                   *[("api", f"/api/communes/{c}/progress") for c in picked[:5]],
                   ("pages", "/communes"), *[("pages", f"/communes/{c}") for c in picked]]
            wait_until_ready(port, sorted({path for _, path in mix}))
            print(f"rollout serve (waitress, {args.threads} threads, public mode), demo "
                  f"database, {args.clients} keep-alive clients, {os.cpu_count()} CPUs")
            print(f"\nbaseline: {STATIC} for {args.baseline_seconds:g} s")
            base, elapsed = drive(port, [("static", STATIC)], args.clients,
                                  args.baseline_seconds)
            errors = report(base, elapsed, None)
            baseline_p50 = percentile(base["static"].latencies, 0.5)
            print(f"\nmix: map, API and commune pages for {args.seconds:g} s")
            tallies, elapsed = drive(port, mix, args.clients, args.seconds)
            errors += report(tallies, elapsed, baseline_p50)
        finally:
            server.terminate()
            server.wait(timeout=30)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
