"""Per-building import end to end: spatial join, per-operator progress, points, atomicity.

File (worked by hand), IPE, ``;``, decimal comma, WGS84 coordinates:
  B1 59001  3 premises DEPLOYE                -> connectable 3
  B2 (none) 2 premises RACCORDABLE DEMANDE    -> located in square A (59001): rad 2
  B3 59002  5 premises DEPLOYE                -> 59002 connectable 5
  B4 (none) 4 premises CIBLE, point in square B -> 59002, not connectable
  B5 (none) 7 premises DEPLOYE, point far away  -> outside every commune: skipped
Expected progress (FRTE, 2024-01-15): 59001 connectable 3 rad 2 total 5;
59002 connectable 5 rad 0 total 9.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import FtthProgress, PremisesPoint
from tests.builders import SQUARE_A, SQUARE_B, write_communes

HEADER = ("IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
          "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI")
ROWS = [
    "B1;59001;3;DEPLOYE;WGS84;3,005;50,605;FRTE",
    "B2;;2;RACCORDABLE DEMANDE;WGS84;3,010;50,602;FRTE",
    "B3;59002;5;DEPLOYE;WGS84;3,020;50,605;FRTE",
    "B4;;4;CIBLE;WGS84;3,020;50,603;FRTE",
    "B5;;7;DEPLOYE;WGS84;2,500;49,000;FRTE",
]


def cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *args])


@pytest.fixture
def communes_loaded(db_url, tmp_path):
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    assert cli(db_url, "import", "communes", str(path)).exit_code == 0
    return db_url


def test_ipe_import_locates_counts_and_keeps_points(communes_loaded, tmp_path):
    path = tmp_path / "ipe_FRTE_20240115.csv"
    path.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1252"))
    result = cli(communes_loaded, "import", "premises", str(path))
    assert result.exit_code == 0, result.output
    assert "5 lignes lues, 4 chargées, 1 ignorées" in result.output
    engine = make_engine(communes_loaded)
    with session_scope(engine) as session:
        progress = {
            r.insee: (r.operator_code, r.observed_on.isoformat(), r.connectable, r.rad,
                      r.premises_total)
            for r in session.execute(select(FtthProgress)).scalars()
        }
        points = session.scalar(select(func.count()).select_from(PremisesPoint))
        located = dict(session.execute(
            select(PremisesPoint.building_id, PremisesPoint.insee)
        ).all())
    engine.dispose()
    assert progress == {
        "59001": ("FRTE", "2024-01-15", 3, 2, 5),
        "59002": ("FRTE", "2024-01-15", 5, 0, 9),
    }
    assert points == 4
    assert located == {"B1": "59001", "B2": "59001", "B3": "59002", "B4": "59002"}


def test_bad_row_rolls_back_everything(communes_loaded, tmp_path):
    rows = [*ROWS[:3], "B4;;quatre;CIBLE;WGS84;3,020;50,603;FRTE"]
    path = tmp_path / "ipe_bad_20240115.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = cli(communes_loaded, "import", "premises", str(path))
    assert result.exit_code == 2
    assert "ipe_bad_20240115.csv:5" in result.output and "quatre" in result.output
    engine = make_engine(communes_loaded)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PremisesPoint)) == 0
        assert session.scalar(select(func.count()).select_from(FtthProgress)) == 0
    engine.dispose()


def test_as_of_required_when_name_has_no_date(communes_loaded, tmp_path):
    path = tmp_path / "ipe.csv"
    path.write_text("\n".join([HEADER, ROWS[0]]) + "\n", encoding="utf-8")
    result = cli(communes_loaded, "import", "premises", str(path))
    assert result.exit_code == 2 and "--as-of" in result.output
    ok = cli(communes_loaded, "import", "premises", str(path), "--as-of", "2024-02-01")
    assert ok.exit_code == 0, ok.output


def _spatial_index_state(url):
    engine = make_engine(url)
    with engine.connect() as conn:
        enabled = conn.exec_driver_sql(
            "SELECT spatial_index_enabled FROM geometry_columns "
            "WHERE f_table_name = 'premises_point'").scalar()
        checked = conn.exec_driver_sql(
            "SELECT CheckSpatialIndex('premises_point', 'geom')").scalar()
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM premises_point WHERE ROWID IN (SELECT ROWID FROM SpatialIndex "
            "WHERE f_table_name = 'premises_point' AND search_frame = "
            "BuildMbr(3.0, 50.60, 3.028, 50.609, 4326))").scalar()
    engine.dispose()
    return enabled, checked, found


def test_big_file_rebuilds_the_spatialite_index(communes_loaded, tmp_path, monkeypatch,
                                                backend):
    if backend != "spatialite":
        pytest.skip("the R*Tree rebuild is SpatiaLite's; PostGIS uses COPY")
    from rollout.importers import premises

    monkeypatch.setattr(premises, "REBUILD_INDEX_BYTES", 0)  # every file counts as big
    calls = []
    rebuild = premises._rtree_rebuilt_after
    monkeypatch.setattr(premises, "_rtree_rebuilt_after",
                        lambda session: calls.append(1) or rebuild(session))
    bad = tmp_path / "ipe_bad_20240115.csv"
    bad.write_text("\n".join([HEADER, ROWS[0], "B9;;x;CIBLE;WGS84;3,02;50,60;FRTE"]) + "\n",
                   encoding="utf-8")
    assert cli(communes_loaded, "import", "premises", str(bad)).exit_code == 2
    # The refused import rolled the dropped index back: still enabled and consistent.
    assert _spatial_index_state(communes_loaded)[:2] == (1, 1)
    good = tmp_path / "ipe_FRTE_20240115.csv"
    good.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    assert cli(communes_loaded, "import", "premises", str(good)).exit_code == 0
    assert len(calls) == 2  # both imports took the drop-and-rebuild path
    # Rebuilt: enabled, consistent, and the 4 points inside the two squares are found through it.
    assert _spatial_index_state(communes_loaded) == (1, 1, 4)
