"""National scale: generator, fast and Dask aggregation, COPY push-down, simplified layers.

Hand-worked ARCEP building file (``x,y`` = lon/lat; squares A = 59001, B = 59002 of
tests/builders.py); size classes count their lower bound (individuel 1, entre 2 et 11 -> 2,
plus de 100 -> 101):
  I1 59001 FRTE individuel     deploye              -> 59001 FRTE premises 1 connectable 1
  I2 59001 FRTE entre 2 et 11  raccordable demande  -> 59001 FRTE premises 2 rad 2
  I3 59001 (no operator) individuel abandonne       -> 59001 NA premises 1 abandoned 1
  I4 (none) SFR0 plus de 100   deploye, in square B -> located: 59002 SFR0 premises 101 conn. 101
  I5 (none) SFR0 individuel    deploye, far away    -> outside every commune: left out
  I6 59002 SFR0 individuel     cible                -> 59002 SFR0 premises 1
Expected totals: 59001 FRTE (3, 1, 2, 0, 2 buildings); 59001 NA (1, 0, 0, 1, 1);
59002 SFR0 (102, 101, 0, 0, 2); rows read 6, located 1, outside 1.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from benchmarks.make_national import generate
from geodata.errors import InputError
from geodata.premises import open_premises
from rollout.db import session_scope
from rollout.importers import communes as communes_importer
from rollout.importers import premises as premises_importer
from rollout.scale import aggregate_buildings, aggregate_chunks
from rollout.simplified_layers import SimplifiedCommunes
from rollout.spatial import CommuneLocator
from tests.builders import SQUARE_A, SQUARE_B, write_communes

HEADER = ("x,y,imb_id,num_voie,type_voie,nom_voie,code_poste,nom_com,code_insee,catg_loc_imb,"
          "imb_etat,pm_ref,pm_etat,code_l331,type_imb,date_completude")
ROWS = [
    "3.005,50.605,I1,1,RUE,A,59000,Aa,59001,individuel,deploye,PM1,deploye,FRTE,pavillon,"
    "2021-03-15",
    "3.006,50.606,I2,2,RUE,A,59000,Aa,59001,entre 2 et 11,raccordable demande,PM1,deploye,"
    "FRTE,immeuble,",
    "3.007,50.607,I3,3,RUE,A,59000,Aa,59001,individuel,abandonne,PM1,deploye,,pavillon,",
    "3.020,50.603,I4,4,RUE,B,59000,Bb,,plus de 100,deploye,PM2,deploye,SFR0,immeuble,2022-01-01",
    "2.500,49.000,I5,5,RUE,C,75000,Cc,,individuel,deploye,PM3,deploye,SFR0,pavillon,",
    "3.021,50.604,I6,6,RUE,B,59000,Bb,59002,individuel,cible,PM2,cible,SFR0,pavillon,",
]
EXPECTED = pd.DataFrame({
    "insee": ["59001", "59001", "59002"], "operator_code": ["FRTE", None, "SFR0"],
    "premises_total": [3, 1, 102], "connectable": [1, 0, 101], "rad": [2, 0, 0],
    "abandoned": [0, 1, 0], "buildings": [2, 1, 2],
}).astype({"insee": "str", "operator_code": "str"})


class SquaresLocator(CommuneLocator):
    """CommuneLocator over the two test squares, without a database."""

    def __init__(self, squares: dict[str, list]) -> None:
        self.codes = np.array(list(squares), dtype=object)
        self.known = set(squares)
        self.tree = shapely.STRtree([shapely.Polygon(ring) for ring in squares.values()])


@pytest.fixture
def locator() -> SquaresLocator:
    return SquaresLocator({"59001": SQUARE_A, "59002": SQUARE_B})


def write_buildings(path, rows=ROWS, newline="\n"):
    path.write_bytes((newline.join([HEADER, *rows]) + newline).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """A small national-format dataset: 60 communes, 3,000 buildings."""
    return generate(tmp_path_factory.mktemp("national"), communes=60, rows=3_000, seed=3)


# ---------------------------------------------------------------- generator


def test_generator_same_seed_same_bytes_other_seed_other_bytes(national, tmp_path):
    again = generate(tmp_path / "again", communes=60, rows=3_000, seed=3)
    other = generate(tmp_path / "other", communes=60, rows=3_000, seed=4,
                     parts=("buildings",))
    for part, path in national.items():
        assert path.read_bytes() == again[part].read_bytes(), part
    assert other["buildings"].read_bytes() != national["buildings"].read_bytes()


def test_generated_communes_tile_the_extent_and_buildings_lie_in_their_commune(national):
    cells = gpd.read_file(national["communes"])
    assert cells["code_insee"].is_unique and (cells["code_insee"].str.len() == 5).all()
    assert shapely.coverage_is_valid(cells.geometry.to_numpy())
    # France's bounding box (-4.8, 42.4) - (8.2, 51.0): 13 x 8.6 degrees, no gap.
    assert shapely.area(cells.geometry.to_numpy()).sum() == pytest.approx(13 * 8.6, rel=1e-6)
    rows = pd.read_csv(national["buildings"], dtype=str, keep_default_na=False)
    assert len(rows) == 3_000 and list(rows.columns) == HEADER.split(",")
    coded = rows[rows["code_insee"] != ""]
    polygons = dict(zip(cells["code_insee"], cells.geometry, strict=True))
    inside = [polygons[c].contains(shapely.Point(float(x), float(y)))
              for c, x, y in zip(coded["code_insee"], coded["x"], coded["y"], strict=True)]
    assert all(inside)


# ---------------------------------------------------------------- aggregation


def test_fast_path_totals_worked_by_hand(tmp_path, locator):
    path = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3.csv")
    totals = aggregate_buildings(path, locator)
    assert totals.engine == "arrow"
    pd.testing.assert_frame_equal(totals.summary, EXPECTED)
    assert (totals.rows_read, totals.located, totals.outside) == (6, 1, 1)
    assert totals.warnings["premises estimated from building size class"] == 6


def test_fast_path_equals_canonical_path_on_national_data(national, tmp_path):
    cells = gpd.read_file(national["communes"])
    locator = SquaresLocator(dict(zip(
        cells["code_insee"], [list(g.exterior.coords) for g in cells.geometry], strict=True)))
    fast = aggregate_buildings(national["buildings"], locator, block_bytes=64 << 10)
    reference = aggregate_chunks(open_premises(national["buildings"], chunksize=700), locator)
    assert fast.engine == "arrow" and reference.engine == "pandas"
    pd.testing.assert_frame_equal(fast.summary, reference.summary)
    assert (fast.rows_read, fast.located, fast.outside) == (
        reference.rows_read, reference.located, reference.outside)
    assert fast.located > 0 and fast.summary["buildings"].sum() == 3_000
    assert fast.warnings == reference.warnings


def test_operators_and_communes_first_seen_in_later_blocks_are_summed(tmp_path, locator):
    # Tiny blocks: every operator below is new to the process and first appears after the
    # first block, so the running totals must widen (operators) and lengthen (communes).
    line = ("3.00{i},50.60{i},G{i},1,RUE,A,59000,Aa,{insee},{size},deploye,PM1,deploye,{op},"
            "pavillon,")
    plan = [("59001", "individuel", "")] * 30 + [
        ("59001", "entre 2 et 11", "ZLA1"), ("59002", "individuel", "ZLA2"),
        ("59001", "individuel", "ZLA2"), ("59002", "individuel", ""),
    ]
    rows = [line.format(i=i % 10, insee=c, size=s, op=o) for i, (c, s, o) in enumerate(plan)]
    totals = aggregate_buildings(write_buildings(tmp_path / "g_2024_Q3.csv", rows), locator,
                                 block_bytes=1 << 10)
    assert totals.engine == "arrow"
    # By hand: 59001 none = 30 buildings x 1; ZLA1 = 1 building of 2 premises; ZLA2 one
    # building in each commune; 59002 none = 1. Every building is "deploye" (connectable).
    got = totals.summary.set_index(["insee", "operator_code"], drop=True)
    assert len(got) == 5
    assert got.loc[("59001", np.nan), ["premises_total", "connectable", "buildings"]].tolist() \
        == [30, 30, 30]
    assert got.loc[("59001", "ZLA1"), ["premises_total", "buildings"]].tolist() == [2, 1]
    assert got.loc[("59001", "ZLA2"), "buildings"] == 1
    assert got.loc[("59002", "ZLA2"), "buildings"] == 1
    assert got.loc[("59002", np.nan), "buildings"] == 1
    reference = aggregate_chunks(open_premises(tmp_path / "g_2024_Q3.csv", chunksize=7), locator)
    pd.testing.assert_frame_equal(totals.summary, reference.summary)


def test_a_block_the_reader_thread_rejects_late_falls_back_to_the_canonical_reader(
        tmp_path, locator):
    # Blocks are parsed ahead by a thread: a value Arrow cannot convert, 40 rows in (several
    # blocks later), must still reach the caller and hand the file to the canonical reader.
    filler = [ROWS[0].replace("I1", f"F{i}") for i in range(40)]
    rows = [*filler, '"3,005",50.605' + ROWS[0][len("3.005,50.605"):].replace("I1", "Q1"), *ROWS]
    totals = aggregate_buildings(write_buildings(tmp_path / "h_2024_Q3.csv", rows), locator,
                                 block_bytes=1 << 10)
    assert totals.engine == "pandas"
    frte = totals.summary.set_index(["insee", "operator_code"]).loc[("59001", "FRTE")]
    # By hand: I1, I2 and the 41 copies of I1 (40 fillers + Q1), each "individuel deploye".
    assert frte[["premises_total", "connectable", "rad", "buildings"]].tolist() == [44, 42, 2, 43]


def test_values_the_fast_path_does_not_take_fall_back_to_the_canonical_reader(tmp_path, locator):
    # A quoted decimal comma is a valid coordinate for the canonical reader (FORMATS.md §3).
    rows = ['"3,005",50.605' + ROWS[0][len("3.005,50.605"):], *ROWS[1:]]
    totals = aggregate_buildings(write_buildings(tmp_path / "b_2024_Q3.csv", rows), locator)
    assert totals.engine == "pandas"
    pd.testing.assert_frame_equal(totals.summary, EXPECTED)
    bad = [*ROWS[:2], ROWS[2].replace("abandonne", "demoli"), *ROWS[3:]]
    with pytest.raises(InputError) as caught:
        aggregate_buildings(write_buildings(tmp_path / "c_2024_Q3.csv", bad), locator)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (4, "imb_etat", "demoli")


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_partitions_give_the_single_process_totals(national, dask_scheduler):
    cells = gpd.read_file(national["communes"])
    locator = SquaresLocator(dict(zip(
        cells["code_insee"], [list(g.exterior.coords) for g in cells.geometry], strict=True)))
    spread = aggregate_buildings(national["buildings"], locator, scheduler=dask_scheduler,
                                 block_bytes=100_000)
    single = aggregate_chunks(open_premises(national["buildings"]), locator)
    assert spread.engine == "dask"
    pd.testing.assert_frame_equal(spread.summary, single.summary)
    assert (spread.rows_read, spread.located, spread.outside) == (
        single.rows_read, single.located, single.outside)


def test_dask_worked_example(tmp_path, locator, dask_scheduler):
    path = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3.csv")
    totals = aggregate_buildings(path, locator, scheduler=dask_scheduler, block_bytes=300)
    assert totals.engine == "dask"
    pd.testing.assert_frame_equal(totals.summary, EXPECTED)


# ---------------------------------------------------------------- storage


def _progress(engine, batch_id):
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT insee, operator_code, observed_on, connectable, rad, premises_total, source"
            " FROM ftth_progress WHERE batch_id = :b"), {"b": batch_id}).all()
    return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[1] or ""))


def _points(engine, batch_id):
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT building_id, operator_code, insee, premises, premises_estimated, status,"
            " status_date, observed_on, source_row, ST_X(geom), ST_Y(geom) FROM premises_point"
            " WHERE batch_id = :b ORDER BY building_id"), {"b": batch_id}).all()


@pytest.fixture
def loaded(engine, tmp_path):
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    assert communes_importer.load(engine, path).status == "loaded"
    return engine


def test_points_path_and_totals_only_path_store_the_same_progress(loaded, tmp_path):
    lf = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3_lf.csv")
    crlf = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3_crlf.csv", newline="\r\n")
    points = premises_importer.load(loaded, lf)
    totals = premises_importer.load(loaded, crlf, keep_points=False)
    assert _progress(loaded, points.batch_id) == _progress(loaded, totals.batch_id)
    rows = _progress(loaded, totals.batch_id)
    # Abandoned premises leave premises_total (59001 NA: 1 - 1 = 0).
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        ("59001", None, 0, 0, 0), ("59001", "FRTE", 1, 2, 3), ("59002", "SFR0", 101, 0, 102)
    ]
    assert (totals.rows_read, totals.rows_loaded, totals.rows_skipped) == (6, 5, 1)
    assert totals.summary["located_by_spatial_join"] == 1


def test_import_with_a_dask_scheduler_stores_the_worked_totals(loaded, tmp_path,
                                                                dask_scheduler):
    path = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3.csv")
    outcome = premises_importer.load(loaded, path, keep_points=False, scheduler=dask_scheduler)
    assert outcome.summary["computed_by"] == "dask"
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in _progress(loaded, outcome.batch_id)] == [
        ("59001", None, 0, 0, 0), ("59001", "FRTE", 1, 2, 3), ("59002", "SFR0", 101, 0, 102)
    ]


def test_cli_scheduler_needs_no_points(tmp_path):
    from click.testing import CliRunner

    from rollout.cli import main

    path = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3.csv")
    result = CliRunner().invoke(main, ["--database", f"sqlite:///{tmp_path / 'x.sqlite'}",
                                       "import", "premises", str(path),
                                       "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--no-points" in result.output


def test_copy_and_sql_join_equal_row_inserts_on_postgis(loaded, backend, tmp_path):
    if backend != "postgis":
        pytest.skip("COPY and the SQL spatial join are PostgreSQL only")
    lf = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3_lf.csv")
    crlf = write_buildings(tmp_path / "carte_fibre_immeubles_2024_Q3_crlf.csv", newline="\r\n")
    copied = premises_importer.load(loaded, lf)
    inserted = premises_importer.load(loaded, crlf, bulk_load=False)
    assert copied.summary["computed_by"] == "postgis"
    assert inserted.summary["computed_by"] == "pandas"
    assert _points(loaded, copied.batch_id) == _points(loaded, inserted.batch_id)
    assert [p[0] for p in _points(loaded, copied.batch_id)] == ["I1", "I2", "I3", "I4", "I6"]
    assert _progress(loaded, copied.batch_id) == _progress(loaded, inserted.batch_id)
    for key in ("located_by_spatial_join", "outside_communes", "observations_stored"):
        assert copied.summary[key] == inserted.summary[key], key
    assert (copied.summary["located_by_spatial_join"], copied.rows_skipped) == (1, 1)
    with session_scope(loaded) as session:
        located = session.execute(text(
            "SELECT insee FROM premises_point WHERE building_id = 'I4' AND batch_id = :b"),
            {"b": copied.batch_id}).scalar_one()
    assert located == "59002"


# ---------------------------------------------------------------- simplified layers


def _wiggly_grid() -> gpd.GeoDataFrame:
    """2 x 2 one-degree cells whose inner borders zigzag (amplitude 0.01 degree, 200 steps)."""
    steps = np.linspace(0, 2, 201)
    wiggle = 0.01 * (-1) ** np.arange(201)
    wiggle[:3] = wiggle[95:106] = wiggle[-3:] = 0  # straight at the ends and the crossing
    vertical = shapely.LineString(np.c_[1 + wiggle, steps])
    horizontal = shapely.LineString(np.c_[steps, 1 + wiggle])
    edges = shapely.union_all([shapely.box(0, 0, 2, 2).boundary, vertical, horizontal])
    cells = sorted(shapely.get_parts(shapely.polygonize([edges])),
                   key=lambda g: (int(g.centroid.y), int(g.centroid.x)))
    return gpd.GeoDataFrame({"insee": ["00001", "00002", "00003", "00004"]},
                            geometry=cells, crs=4326)


def test_simplified_layers_keep_shared_borders_shared():
    grid = _wiggly_grid()
    geoms = grid.geometry.to_numpy()
    assert shapely.coverage_is_valid(geoms)
    assert shapely.union_all(geoms).equals(shapely.box(0, 0, 2, 2))
    layer = SimplifiedCommunes(grid)
    national = layer.at(4)  # tolerance about 0.04 degree: the zigzags go
    simple = national.geometry.to_numpy()
    assert shapely.get_num_coordinates(simple).sum() < shapely.get_num_coordinates(geoms).sum() / 4
    assert shapely.coverage_is_valid(simple)
    # No gap, no overlap: the pieces add up to the square they tile.
    assert sum(g.area for g in simple) == pytest.approx(4.0, rel=1e-9)
    assert shapely.union_all(simple).area == pytest.approx(4.0, rel=1e-9)
    border = shapely.intersection(simple[0].boundary, simple[1].boundary)
    assert border.length == pytest.approx(1.0, abs=0.05)


def test_simplified_layer_cache_bbox_and_full_detail_zoom():
    grid = _wiggly_grid()
    layer = SimplifiedCommunes(grid, full_zoom=12)
    assert layer.at(5) is layer.at(5)
    assert list(layer.in_bbox((0.1, 0.1, 0.5, 0.5), 5)["insee"]) == ["00001"]
    assert list(layer.in_bbox((0.5, 1.5, 1.5, 1.8), 5)["insee"]) == ["00003", "00004"]
    full = layer.at(14)
    assert full.geometry.geom_equals_exact(grid.geometry, tolerance=0).all()
