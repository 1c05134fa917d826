"""Dig-once on a 5G gap with a sub-nanometre spike: the geometry that crashed the demo.

Commune 59001 is a quadrilateral (lon/lat below, population 1000). Two 5G NR 700 masts
(2 km discs) of Orange and SFR stand outside it and each covers part of it. The gap, commune
minus its clipped discs, leaves a spike a few 1e-11 m wide along the commune edge where a
disc edge meets it, as the demo's Lille gap did on 2024-06-01: valid in Lambert-93, but
self-intersecting once projected to WGS84 and back, and GEOS's intersection with a work's
50 m reach then fails ("TopologyException: side location conflict").

Works, planned on 2024-06-01:
  W-SPIKE   212 m east-west street across the spike's root, partly in the gap.
  W-INSIDE  142 m street wholly inside the gap: its whole reach is gap.
  W-FAR     142 m street in covered land, 102 m from the gap: no opportunity.
Expected rows, computed here with shapely from the exact gap: premises = 1000 x (reach area
in the gap) / (commune area), population being spread uniformly over the commune.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from rollout import mobile
from rollout.cli import main
from rollout.db import make_engine, session_scope
from tests.builders import write_communes
from tests.test_sites_works_import import OPERATORS, SUPPORT_HEADER

AS_OF = "2024-06-01"
POPULATION = 1000  # tests.builders.write_communes
RING = [[3.028941, 50.628292], [3.025295, 50.627313], [3.038831, 50.610563],
        [3.072903, 50.615099], [3.028941, 50.628292]]
# Station, ADM_ID (27 Orange, 8 SFR), latitude and longitude (degrees, minutes, seconds).
MASTS = [("0590000001", "27", (50, 38, "0,5"), (3, 1, "36,2")),
         ("0590000002", "8", (50, 35, "53,8"), (3, 3, "14,9"))]
DISC_M = 2000  # NR 700 in rollout.coverage.DEFAULT_RADII_M
WORKS = {
    "W-SPIKE": [(3.047214, 50.622361), (3.050214, 50.622361)],
    "W-INSIDE": [(3.052, 50.618), (3.054, 50.618)],
    "W-FAR": [(3.030, 50.6235), (3.032, 50.6235)],
}
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)
TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def project(geom: shapely.Geometry, transformer: Transformer) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(*xy.T)))


def anfr_zip(path: Path) -> Path:
    """An ANFR export (cp1252, CRLF) with the two masts, 5G NR 700 in service since 2023."""
    supports = [
        f"{n};{sta};11;{lat[0]};{lat[1]};{lat[2]};N;{lon[0]};{lon[1]};{lon[2]};E;30;1;"
        "Pylône;;;;59000;59001"
        for n, (sta, _, lat, lon) in enumerate(MASTS, 1)
    ]
    tables = {
        "SUP_SUPPORT": [SUPPORT_HEADER, *supports],
        "SUP_STATION": ["STA_NM_ANFR;ADM_ID;DEM_NM_COMSIS;DTE_IMPLANTATION;DTE_MODIF;"
                        "DTE_EN_SERVICE",
                        *[f"{sta};{adm};{n};01/06/2022;;02/01/2023"
                          for n, (sta, adm, _, _) in enumerate(MASTS, 1)]],
        "SUP_EMETTEUR": ["EMR_ID;EMR_LB_SYSTEME;STA_NM_ANFR;AER_ID;EMR_DT_SERVICE",
                         *[f"{n};5G NR 700;{sta};{n};02/01/2023"
                           for n, (sta, _, _, _) in enumerate(MASTS, 1)]],
        "SUP_EXPLOITANT": OPERATORS,
        "SUP_BANDE": ["STA_NM_ANFR;BAN_ID;EMR_ID;BAN_NB_F_DEB;BAN_NB_F_FIN;BAN_FG_UNITE"],
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in tables.items():
            archive.writestr(f"{name}.txt", ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def works_geojson(path: Path) -> Path:
    features = [
        {"type": "Feature",
         "properties": {"id": work_id, "title": f"Voirie {work_id}", "kind": "work-zone",
                        "owner": "MEL", "start": "2024-09-02", "end": "2024-09-27"},
         "geometry": {"type": "LineString", "coordinates": coords}}
        for work_id, coords in WORKS.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


@pytest.fixture
def spike_db(db_url: str, tmp_path: Path) -> str:
    imports = [("communes", write_communes(tmp_path / "c.geojson", {"59001": ("Spike", RING)})),
               ("sites", anfr_zip(tmp_path / "anfr.zip")),
               ("works", works_geojson(tmp_path / "works.geojson"))]
    for kind, path in imports:
        result = cli(db_url, "import", kind, str(path))
        assert result.exit_code == 0, result.output
    return db_url


def exact_gap() -> tuple[shapely.Geometry, float]:
    """The gap in Lambert-93 at full float precision, and the commune's area (m²)."""
    commune = project(shapely.Polygon(RING), TO_L93)
    masts = [shapely.Point(lon[0] + lon[1] / 60 + float(lon[2].replace(",", ".")) / 3600,
                           lat[0] + lat[1] / 60 + float(lat[2].replace(",", ".")) / 3600)
             for _, _, lat, lon in MASTS]
    # The model's disc: shapely.buffer's default polygon (quad_segs=8), clipped to the commune.
    covered = shapely.union_all([
        shapely.intersection(commune, shapely.buffer(project(m, TO_L93), DISC_M, quad_segs=8))
        for m in masts
    ])
    return shapely.difference(commune, covered), commune.area


def reach(work_id: str) -> shapely.Geometry:
    """A work's 50 m reach in Lambert-93 (shapely's default round buffer, quad_segs=16)."""
    line = project(shapely.LineString(WORKS[work_id]), TO_L93)
    return shapely.buffer(line, 50, quad_segs=16)


def test_the_data_reproduces_the_crash() -> None:
    gap, _ = exact_gap()
    assert gap.is_valid and shapely.minimum_clearance(gap) < 1e-9
    round_trip = project(project(gap, TO_WGS84), TO_L93)
    assert shapely.is_valid_reason(round_trip).startswith("Self-intersection")
    with pytest.raises(shapely.errors.GEOSException, match="side location conflict"):
        shapely.intersection(round_trip, reach("W-SPIKE"))


def test_dig_once_ranks_the_works_by_gap_reached(spike_db: str) -> None:
    gap, commune_area = exact_gap()
    near = {w: shapely.intersection(gap, reach(w)).area for w in ("W-INSIDE", "W-SPIKE")}
    assert near["W-INSIDE"] == pytest.approx(reach("W-INSIDE").area, rel=1e-12)
    assert 3000 < near["W-SPIKE"] < reach("W-SPIKE").area / 2
    assert shapely.distance(gap, project(shapely.LineString(WORKS["W-FAR"]), TO_L93)) > 100

    result = cli(spike_db, "works", "--dig-once", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["target"], r["rank"], r["source_id"], r["status"], r["targets_near"])
            for r in rows] == [("5g", 1, "W-INSIDE", "planned", 1),
                               ("5g", 2, "W-SPIKE", "planned", 1)]
    for row in rows:
        # Snapping the gap to a 1 cm grid moves each of its edges by under 1 cm.
        expected = near[row["source_id"]]
        edges = shapely.intersection(gap.boundary, reach(row["source_id"])).length
        assert row["gap_area_m2"] == pytest.approx(expected, abs=0.01 * edges + 1e-6)
        assert row["premises"] == pytest.approx(POPULATION * expected / commune_area, rel=1e-4)


def test_dig_once_table_exits_zero(spike_db: str) -> None:
    result = cli(spike_db, "works", "--dig-once", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "W-SPIKE" in result.output and "W-FAR" not in result.output
    assert "Traceback" not in result.output


def test_5g_gaps_stay_valid_through_reprojection(spike_db: str) -> None:
    gap, commune_area = exact_gap()
    engine = make_engine(spike_db)
    with session_scope(engine) as session:
        holes = mobile.no_5g_gaps(session, dt.date.fromisoformat(AS_OF))
    engine.dispose()
    assert list(holes["insee"]) == ["59001"]
    assert shapely.is_valid(holes.geometry.iloc[0])
    back = holes.to_crs(2154).geometry.iloc[0]
    assert shapely.is_valid(back)
    # Snapping to a 1 cm grid moves each edge by under 1 cm.
    assert back.area == pytest.approx(gap.area, abs=0.01 * gap.length)
    assert holes["premises"].iloc[0] == pytest.approx(POPULATION * gap.area / commune_area,
                                                      rel=1e-5)
