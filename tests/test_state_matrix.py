"""Issue 14's state matrix: in every state a database passes through, every CLI command of
the README and every web route (found in ``app.url_map``, every role, public and private)
answer without a traceback, with exit codes 0 or 2 only, no 5xx, and a refusal in one line.

Each state is built once per module; PostGIS runs the states where storage differs most
(empty, communes only, everything). Expected outcomes are not fixed per command here: each
item has its own test; this module proves that no combination of state x command x role
breaks.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollout.cli import main
from tests.conftest import BACKENDS, _fresh_url
from tests.partial_states import STATES, input_files, load
from tests.web_login import sign_in
from webmap import create_app

POSTGIS_STATES = ("empty", "communes", "premises")
PARAMS = [(b, s) for b in BACKENDS for s in STATES if b == "spatialite" or s in POSTGIS_STATES]
ROLES = ("viewer", "planner", "legal", "admin")
VALUES = {"insee": ["59001", "99999"], "code": ["FRTE", "20801", "ZZZZ"],
          "fmt": ["html", "csv", "xlsx", "pdf"]}
SLOW_FORMATS = {"pdf", "xlsx"}
# PDF and XLSX renderings cost seconds each: every state renders HTML and CSV, these states
# render every format too (empty, the first data, the first commitments, everything).
FULL_STATES = ("empty", "communes", "commitments", "premises")
SKIPPED_ENDPOINTS = {"static"}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return input_files(tmp_path_factory.mktemp("inputs"))


def _state_url(backend: str, state: str, request, files, folder: Path) -> str:
    """A fresh database holding the state's imports (SQLite files are never copied while the
    process holds them open: two SQLite libraries, two lock tables, a corrupt copy)."""
    url = _fresh_url(backend, request, folder)
    load(url, STATES[state], files)
    return url


@pytest.fixture(scope="module", params=PARAMS, ids=[f"{b}-{s}" for b, s in PARAMS])
def state(request, files, tmp_path_factory):
    backend, name = request.param
    folder = tmp_path_factory.mktemp(f"state-{backend}-{name.replace('+', '-')}")
    return name, _state_url(backend, name, request, files, folder), folder


def _commands(folder: Path, full: bool) -> list[list[str]]:
    commands = [args for args in _all_commands(folder)
                if full or not any(a.endswith((".pdf", ".xlsx")) for a in args)]
    return commands


def _all_commands(folder: Path) -> list[list[str]]:
    out = str(folder / "out")
    reports = [["report", "operator-delay", "--operator", code, "--format", fmt, "--output",
                f"{out}.{fmt}"] for code in ("FRTE", "ZZZZ") for fmt in ("csv", "html", "xlsx")]
    return [
        ["init"], ["imports"], ["imports", "--format", "json"],
        *[["communes", "--format", f] for f in ("table", "csv", "json")],
        ["communes", "--as-of", "2020-06-30"],
        *[["sites", "--format", f] for f in ("table", "csv", "json")],
        *[["works", "--format", f] for f in ("table", "csv", "json", "geojson")],
        ["works", "--dig-once"], ["works", "--conflicts"], ["works", "--dig-once", "--as-of",
                                                            "2025-06-30", "--distance", "200"],
        *[["status", "--format", f] for f in ("table", "csv", "json")],
        ["status", "--operator", "FRTE"], ["status", "--commune", "59001"],
        ["status", "--operator", "ZZZZ"], ["status", "--as-of", "31/12/2020"],
        *reports,
        ["report", "operator-delay", "--operator", "FRTE", "--format", "pdf", "--output",
         f"{out}.pdf"],
        ["report", "commune", "59001", "--format", "html", "--output", f"{out}-c.html"],
        ["report", "commune", "59001", "--format", "pdf", "--output", f"{out}-c.pdf"],
        ["report", "commune", "99999", "--format", "html", "--output", f"{out}-x.html"],
        ["report", "council", "--format", "xlsx", "--output", f"{out}-k.xlsx"],
        ["report", "council", "--format", "pdf", "--output", f"{out}-k.pdf"],
        ["report", "council", "--format", "pdf", "--output", f"{out}-k.pdf", "--lang", "en"],
        ["export", "gpkg", f"{out}.gpkg"],
        ["import", "commitments", "--template", f"{out}-t.csv"],
        ["users", "list"], ["audit"], ["audit", "--format", "json"],
        ["backup", f"{out}.backup"],
        ["report", "council", "--as-of", "9999-12-31", "--format", "pdf", "--output", "x.pdf"],
    ]


def _run(url: str, args: list[str]) -> str | None:
    """A failure message, or None when the command kept the contract."""
    result = CliRunner().invoke(main, ["--database", url, *args])
    shown = " ".join(args)
    if result.exit_code not in (0, 2):
        return f"{shown}: exit {result.exit_code}: {result.output[-300:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"{shown}: {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in result.output:
        return f"{shown}: traceback printed"
    if result.exit_code == 2 and len(result.stderr.strip().splitlines()) != 1:
        return f"{shown}: refusal in {len(result.stderr.splitlines())} lines: {result.stderr}"
    return None


def test_every_cli_command_keeps_the_contract(state):
    name, url, folder = state
    commands = _commands(folder, full=name in FULL_STATES)
    failures = [f for args in commands if (f := _run(url, args))]
    assert failures == [], f"state {name}:\n" + "\n".join(failures)


def _urls(app, cheap: bool) -> list[str]:
    """Every GET route of the app with its placeholders filled by known and unknown values."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        choices = [[v for v in VALUES.get(n, ["x"]) if not (cheap and v in SLOW_FORMATS)]
                   for n in names]
        for values in itertools.product(*choices):
            path = rule.rule
            for key, value in zip(names, values, strict=True):
                path = re.sub(rf"<(?:[a-z]+:)?{key}>", value, path)
            urls.append(path)
    return urls


QUERIES = ["", "?as_of=2150-01-01"]
FULL_QUERIES = [*QUERIES, "?lang=en&as_of=31/12/2020"]


def _check(client, urls: list[str], queries: list[str], who: str) -> list[str]:
    failures = []
    for path, query in itertools.product(urls, queries):
        response = client.get(path + query)
        if response.status_code >= 500:
            failures.append(f"{who} {path}{query}: {response.status_code}")
    return failures


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
def test_every_web_route_answers_without_a_server_error(state, public, monkeypatch):
    name, url, folder = state
    monkeypatch.setenv("ROLLOUT_SECRET_KEY", "test")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test",
                      "PUBLIC_MODE": public, "PROPAGATE_EXCEPTIONS": False,
                      "UPLOAD_FOLDER": str(folder / "uploads")})
    full = name in FULL_STATES
    try:
        failures = _check(app.test_client(), _urls(app, cheap=True), [""], "anonymous")
        for role in ROLES if not public else ():
            client = app.test_client()
            sign_in(client, role)
            everything = role == "admin" and full
            failures += _check(client, _urls(app, cheap=not everything),
                               FULL_QUERIES if everything else QUERIES, role)
    finally:
        app.extensions["rollout_engine"].dispose()
    assert failures == [], f"state {name}:\n" + "\n".join(failures)


def test_the_matrix_covers_every_state_of_the_issue():
    assert set(STATES) >= {"empty", "communes", "arcep", "commitments", "sites", "works",
                           "premises"}
    alone = {k for k, v in STATES.items() if len(v) == 2 and v[0] == "communes"}
    assert {STATES[k][1] for k in alone} | {"arcep"} == {"arcep", "commitments", "sites",
                                                          "works", "premises"}
