"""Shared fixtures: every storage test runs on SpatiaLite AND PostGIS.

A throwaway PostGIS cluster is started once per session (as the ``postgres`` user) unless
``ROLLOUT_TEST_POSTGIS_URL`` points to an existing server. Each test gets a fresh database
cloned from a migrated template (file copy for SpatiaLite, ``CREATE DATABASE … TEMPLATE`` for
PostGIS), so tests are isolated and fast. ``ROLLOUT_TEST_BACKENDS=spatialite`` restricts the
run to one backend on a machine without PostgreSQL (CI always runs both).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from rollout.db import make_engine
from rollout.migrate import upgrade

BACKENDS = [
    b for b in os.environ.get("ROLLOUT_TEST_BACKENDS", "spatialite,postgis").split(",") if b
]
_counter = itertools.count()
# PostGIS databases keep imported files in ./evidence by default (rollout.evidence): tests
# keep them in a throwaway folder instead of the working tree.
os.environ.setdefault("ROLLOUT_EVIDENCE_STORE", tempfile.mkdtemp(prefix="rollout-evidence-"))
# The shared response/snapshot cache (webmap.cache) of every test app and CLI run: a folder of
# this run (PostGIS apps would otherwise keep theirs in the working directory).
os.environ.setdefault("ROLLOUT_CACHE_DIR", tempfile.mkdtemp(prefix="rollout-test-cache-"))
# CLI imports compute the pages' snapshot once committed; tests chain many imports and ask
# for pages only where they test them (tests/test_cache.py turns it back on).
os.environ.setdefault("ROLLOUT_WARM_CACHE", "0")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser screenshots and rendered report pages are kept for a human to look at."""
    path = Path(os.environ.get("ROLLOUT_ARTIFACTS", Path(__file__).parent.parent / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def postgis_server():
    """Admin URL of a PostGIS server holding a migrated template database."""
    import psycopg

    from tests.postgis_cluster import start_cluster

    given = os.environ.get("ROLLOUT_TEST_POSTGIS_URL")
    cluster = None
    if given:
        admin = given
    else:
        cluster = start_cluster()
        admin = cluster.url
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    base, _, _ = plain.rpartition("/")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS rollout_template")
        conn.execute("CREATE DATABASE rollout_template")
    template_url = base.replace("postgresql://", "postgresql+psycopg://") + "/rollout_template"
    with psycopg.connect(base + "/rollout_template", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    engine = make_engine(template_url)
    upgrade(engine)
    engine.dispose()
    yield base
    if cluster is not None:
        cluster.stop()


@pytest.fixture(scope="session")
def spatialite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _fresh_url(backend: str, request, tmp_path: Path) -> str:
    if backend == "spatialite":
        template = request.getfixturevalue("spatialite_template")
        target = tmp_path / "rollout.sqlite"
        shutil.copy(template, target)
        return f"sqlite:///{target}"
    import psycopg

    base = request.getfixturevalue("postgis_server")
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE rollout_template')
    request.addfinalizer(lambda: _drop_database(base, name))
    return base.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def _drop_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, request, tmp_path) -> str:
    """URL of a fresh, migrated database on the parametrised backend."""
    return _fresh_url(backend, request, tmp_path)


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def empty_db_url(backend, request, tmp_path) -> str:
    """URL of an empty database (no schema) on the parametrised backend."""
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    import psycopg

    base = request.getfixturevalue("postgis_server")
    name = f"e{os.getpid()}_{next(_counter)}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(base + f"/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    request.addfinalizer(lambda: _drop_database(base, name))
    return base.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@pytest.fixture(scope="session", params=BACKENDS)
def demo_url(request, tmp_path_factory) -> str:
    """A demo database built once per backend. Read-only: never modify it in a test."""
    from rollout.demo import build_demo

    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "spatialite":
        url = f"sqlite:///{folder / 'demo.sqlite'}"
    else:
        import psycopg

        base = request.getfixturevalue("postgis_server")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "rollout_demo"')
            conn.execute('CREATE DATABASE "rollout_demo" TEMPLATE rollout_template')
        url = base.replace("postgresql://", "postgresql+psycopg://") + "/rollout_demo"
    engine = make_engine(url)
    for _ in build_demo(engine, inputs_folder=folder / "inputs"):
        pass
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def hostile_map_url(request, tmp_path_factory) -> str:
    """A database whose every text the map shows is a hostile payload (tests/hostile_map.py),
    built once per backend. Read-only: never modify it in a test."""
    from tests import hostile_map

    folder = tmp_path_factory.mktemp(f"hostile-map-{request.param}")
    url = _fresh_url(request.param, request, folder)
    hostile_map.build(url, folder)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def hostile_db(request, tmp_path_factory):
    """The hostile corpus (tests/hostile_corpus.py) loaded once per backend. Read-only."""
    from tests.hostile_corpus import build

    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    return build(_fresh_url(request.param, request, folder), folder)
