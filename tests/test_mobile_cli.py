"""`rollout sites`, `rollout works`, 5G milestones and the demo's dig-once/conflicts, by hand.

5G sites milestones (communes A 59001 and B 59002 of tests.builders; Orange 20801):
  O1 A 5G from 2020-12-10, O2 B 5G from 2021-09-15, O3 A 5G from 2022-01-20, O4 A 4G only,
  O5 B 5G without date, O6 Paris 5G from 2021-01-01 (outside: skipped), S1 A SFR 5G 2021-01-01.
  As of 2022-06-30:
  - perimeter, 2 sites by 2021-06-30: 1 at due; the 2nd on 2021-09-15 -> met_late, 77 days.
  - perimeter, 4 sites by 2022-03-31: 3 -> missed, 91 days (to 2022-06-30), shortfall 1.
  - commune A, 2 sites by 2021-06-30: O1 then O3 on 2022-01-20 -> met_late, 204 days.
Coverage (NR 3500 disc of 600 m around (3.001, 50.6045) from 2021-03-15; IPE points of
2020-12-31 in A: 3 premises 141 m away, 2 premises 849 m away -> A covered 3/5 = 0.6; B has no
points and lies 920 m away -> 0 of its population 1000). Observations on quarter ends from
2020-12-31 (the quarter before the first site) and on the as-of day:
  - A 50 % by 2021-12-31 -> met (0.6).
  - A 50 % by 2021-02-28 -> 0 on 2020-12-31, 0.6 on 2021-03-31 -> met_late, 31 days.
  - B 10 % by 2021-12-31 -> missed, 181 days, shortfall ceil(0.1 x 1000) - 0 = 100.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from geoalchemy2 import functions as gfunc
from pyproj import Transformer
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import PremisesPoint, PublicWork, RadioSite
from tests.builders import SQUARE_A, SQUARE_B, agreement, write_commitments, write_communes
from tests.test_sites_works_import import CIFS_XML, SUPPORT_HEADER, anfr_zip

TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def ok(url: str, *args: str) -> str:
    result = cli(url, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def squares(db_url: str, tmp_path: Path) -> str:
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    ok(db_url, "import", "communes", str(path))
    return db_url


def test_sites_json_fields(squares: str, tmp_path: Path) -> None:
    ok(squares, "import", "sites", str(anfr_zip(tmp_path / "anfr.zip")))
    sites = json.loads(ok(squares, "sites", "--format", "json"))
    assert [s["station_id"] for s in sites] == ["0590000001", "0590000002", "0590000003",
                                                "0590000005"]
    first = sites[0]
    assert {k: first[k] for k in ("station_id", "operator", "insee", "systems", "has_5g",
                                  "in_service_on")} == {
        "station_id": "0590000001", "operator": "20801", "insee": "59001",
        "systems": ["5G NR 3500", "LTE 800"], "has_5g": True, "in_service_on": "2021-03-15"}
    assert (first["lon"], first["lat"]) == pytest.approx((3.010, 50.603), abs=1e-9)
    assert sites[3]["in_service_on"] is None and sites[3]["has_5g"] is True
    table = ok(squares, "sites")
    assert "15/03/2021" in table and "Mise en service" in table


def test_works_json_fields(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "cifs.xml"
    path.write_text(CIFS_XML.format(end="2026-03-20T18:00:00+01:00"), encoding="utf-8")
    ok(squares, "import", "works", str(path))
    works = json.loads(ok(squares, "works", "--as-of", "2026-03-15", "--format", "json"))
    fields = ("id", "source_format", "title", "kind", "start_at", "end_at", "insee",
              "geometry_type", "first_lon", "first_lat")
    assert [{k: w[k] for k in fields} for w in works] == [
        {"id": "W1", "source_format": "cifs", "title": "Rue de l'Église — Tranchée fibre",
         "kind": "road-closed", "start_at": "2026-03-10T07:00:00+00:00",
         "end_at": "2026-03-20T17:00:00+00:00", "insee": ["59001", "59002"],
         "geometry_type": "LineString", "first_lon": 3.010, "first_lat": 50.6045},
        {"id": "W2", "source_format": "cifs", "title": "Route de Menin", "kind": "hazard",
         "start_at": "2026-07-01T04:30:00+00:00", "end_at": "2026-07-02T16:00:00+00:00",
         "insee": [], "geometry_type": "Point", "first_lon": 3.1190, "first_lat": 50.7950},
    ]
    assert [w["status"] for w in works] == ["ongoing", "planned"]
    geojson = json.loads(ok(squares, "works", "--as-of", "2026-03-15", "--format", "geojson"))
    assert geojson["features"][1]["geometry"] == {"type": "Point",
                                                  "coordinates": [3.119, 50.795]}


def _site_zip(path: Path, stations: list[tuple]) -> Path:
    """ANFR tables for (id, adm_id, lat, lon, [(system, date)])."""
    supports, rows, emitters = [SUPPORT_HEADER], ["STA_NM_ANFR;ADM_ID;DTE_EN_SERVICE"], [
        "EMR_ID;EMR_LB_SYSTEME;STA_NM_ANFR;EMR_DT_SERVICE"]
    for number, (sta, adm, lat, lon, systems) in enumerate(stations, start=1):
        dms = f"{int(lat)};{int(lat * 60) % 60};{(lat * 3600) % 60:.1f};N".replace(".", ",")
        dms += f";{int(lon)};{int(lon * 60) % 60};{(lon * 3600) % 60:.1f};E".replace(".", ",")
        supports.append(f"{number};{sta};11;{dms};30;1;;;;;59000;")
        rows.append(f"{sta};{adm};01/01/2015")
        emitters += [f"{sta}{k};{s};{sta};{d}" for k, (s, d) in enumerate(systems)]
    tables = {"SUP_SUPPORT": supports, "SUP_STATION": rows, "SUP_EMETTEUR": emitters,
              "SUP_EXPLOITANT": ["ADM_ID;ADM_LB_NOM", "1;ORANGE", "2;SFR"]}
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in tables.items():
            archive.writestr(f"{name}.txt", ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def _status(url: str, as_of: str) -> list[dict]:
    return json.loads(ok(url, "status", "--as-of", as_of, "--format", "json"))


def test_5g_sites_milestones_to_the_day(squares: str, tmp_path: Path) -> None:
    five = [("5G NR 3500", "10/12/2020")]
    ok(squares, "import", "sites", str(_site_zip(tmp_path / "anfr.zip", [
        ("O1", 1, 50.603, 3.005, five),
        ("O2", 1, 50.603, 3.020, [("5G NR 700", "15/09/2021")]),
        ("O3", 1, 50.606, 3.006, [("5G NR 3500", "20/01/2022")]),
        ("O4", 1, 50.606, 3.008, [("LTE 800", "01/01/2015")]),
        ("O5", 1, 50.606, 3.022, [("5G NR 3500", "")]),
        ("O6", 1, 48.857, 2.351, [("5G NR 3500", "01/01/2021")]),
        ("S1", 2, 50.602, 3.004, [("5G NR 3500", "01/01/2021")]),
    ])))
    base = agreement(agreement_id="A5G", operator_code="20801", operator_name="Orange")
    write_commitments(tmp_path / "c.csv", [
        {**base, "commune_insee": "59001", "metric": "perimeter"},
        {**base, "commune_insee": "59002", "metric": "perimeter"},
        {**base, "metric": "mobile_5g_sites", "target": "2", "due_on": "2021-06-30"},
        {**base, "metric": "mobile_5g_sites", "target": "4", "due_on": "2022-03-31"},
        {**base, "commune_insee": "59001", "metric": "mobile_5g_sites", "target": "2",
         "due_on": "2021-06-30"},
    ])
    ok(squares, "import", "commitments", str(tmp_path / "c.csv"))
    rows = {(r["commune_insee"], r["due_on"]): r for r in _status(squares, "2022-06-30")}
    first = rows[(None, "2021-06-30")]
    assert (first["status"], first["value_at_due"], first["delay_days"]) == ("met_late", 1, 77)
    second = rows[(None, "2022-03-31")]
    assert (second["status"], second["delay_days"], second["shortfall_premises"]) == (
        "missed", 91, 1)
    own = rows[("59001", "2021-06-30")]
    assert (own["status"], own["delay_days"]) == ("met_late", 204)


IPE = ("IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
       "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI\r\n"
       "P1;59001;3;DEPLOYE;WGS84;3,003;50,6045;FRTE\r\n"
       "P2;59001;2;CIBLE;WGS84;3,013;50,6045;FRTE\r\n")


def test_coverage_share_milestones_from_premises_and_population(squares, tmp_path) -> None:
    (tmp_path / "ipe_FRTE_20201231.csv").write_bytes(IPE.encode("cp1252"))
    ok(squares, "import", "premises", str(tmp_path / "ipe_FRTE_20201231.csv"))
    ok(squares, "import", "sites", str(_site_zip(tmp_path / "anfr.zip", [
        ("O1", 1, 50.6045, 3.001, [("5G NR 3500", "15/03/2021")])])))
    base = agreement(agreement_id="A5G", operator_code="20801", operator_name="Orange")
    share = "mobile_5g_premises_coverage_share"
    write_commitments(tmp_path / "c.csv", [
        {**base, "commune_insee": "59001", "metric": "perimeter"},
        {**base, "commune_insee": "59002", "metric": "perimeter"},
        {**base, "commune_insee": "59001", "metric": share, "target": "50 %",
         "due_on": "2021-12-31"},
        {**base, "commune_insee": "59001", "metric": share, "target": "50 %",
         "due_on": "2021-02-28"},
        {**base, "commune_insee": "59002", "metric": share, "target": "10 %",
         "due_on": "2021-12-31"},
    ])
    ok(squares, "import", "commitments", str(tmp_path / "c.csv"))
    rows = {(r["commune_insee"], r["due_on"]): r for r in _status(squares, "2022-06-30")}
    met = rows[("59001", "2021-12-31")]
    assert (met["status"], met["value_at_due"]) == ("met", pytest.approx(0.6))
    late = rows[("59001", "2021-02-28")]
    assert (late["status"], late["value_at_due"], late["delay_days"]) == ("met_late", 0, 31)
    missed = rows[("59002", "2021-12-31")]
    assert (missed["status"], missed["delay_days"], missed["shortfall_premises"]) == (
        "missed", 181, 100)
    # A new NR 700 site (2 km disc) in B from 2021-01-01: a new batch, so no stale coverage.
    ok(squares, "import", "sites", str(_site_zip(tmp_path / "anfr2.zip", [
        ("O2", 1, 50.6045, 3.021, [("5G NR 700", "01/01/2021")])])))
    again = {(r["commune_insee"], r["due_on"]): r for r in _status(squares, "2022-06-30")}
    assert again[("59002", "2021-12-31")]["status"] == "met"


# ----------------------------------------------------------------------------- demo database

AS_OF = dt.date(2026, 11, 25)
END_OF_DAY_UTC = pd.Timestamp("2026-11-25T23:00:00")  # midnight in Paris (UTC+1) as naive UTC


def _demo_rows(url: str, *columns, where=None) -> list:
    engine = make_engine(url)
    with session_scope(engine) as session:
        query = select(*columns)
        rows = session.execute(query if where is None else query.where(where)).all()
    engine.dispose()
    return rows


def _active_works(url: str) -> dict[str, tuple]:
    """source_id -> (start, end, metric geometry) for works not ended on AS_OF."""
    out = {}
    for source_id, start, end, wkb in _demo_rows(
        url, PublicWork.source_id, PublicWork.start_at, PublicWork.end_at,
        gfunc.ST_AsBinary(PublicWork.geom),
    ):
        if end is None or pd.Timestamp(end) >= END_OF_DAY_UTC:
            geom = shapely.transform(shapely.from_wkb(bytes(wkb)),
                                     lambda xy: list(zip(*TO_L93.transform(*xy.T), strict=True)))
            out[source_id] = (start, end, geom)
    return out


def test_demo_dig_once_ftth_matches_an_independent_computation(demo_url: str) -> None:
    points = pd.DataFrame(_demo_rows(
        demo_url, PremisesPoint.insee, PremisesPoint.observed_on, PremisesPoint.building_id,
        PremisesPoint.premises, PremisesPoint.status, gfunc.ST_X(PremisesPoint.geom),
        gfunc.ST_Y(PremisesPoint.geom)), columns=["insee", "day", "id", "premises", "status",
                                                  "lon", "lat"])
    vintage = points[points["day"] <= AS_OF].groupby("insee")["day"].max()
    latest = points[points["day"] == points["insee"].map(vintage)]
    latest = latest.drop_duplicates(["insee", "id"])
    gaps = latest[latest["status"] != "deploye"]
    x, y = TO_L93.transform(gaps["lon"].to_numpy(float), gaps["lat"].to_numpy(float))
    targets = shapely.points(x, y)
    expected = {}
    for source_id, (_, _, geom) in _active_works(demo_url).items():
        near = shapely.distance(geom, targets) <= 50
        if near.any():
            expected[source_id] = float(gaps["premises"].to_numpy()[near].sum())
    found = json.loads(ok(demo_url, "works", "--dig-once", "--as-of", AS_OF.isoformat(),
                          "--format", "json"))
    ftth = [r for r in found if r["target"] == "ftth"]
    assert {r["source_id"]: r["premises"] for r in ftth} == expected
    assert len(expected) >= 3  # the demo lays trenches beside premises not yet connectable
    assert [r["premises"] for r in ftth] == sorted(expected.values(), reverse=True)
    five = [r["premises"] for r in found if r["target"] == "5g"]
    assert five == sorted(five, reverse=True)


def test_demo_conflicts_match_an_independent_computation(demo_url: str) -> None:
    works = _active_works(demo_url)
    ids = sorted(works)
    expected = set()
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            (sa, ea, ga), (sb, eb, gb) = works[a], works[b]
            ea, eb = ea or dt.datetime.max, eb or dt.datetime.max
            if ga.distance(gb) <= 10 and sa <= eb and sb <= ea:
                expected.add(frozenset((a, b)))
    found = json.loads(ok(demo_url, "works", "--conflicts", "--as-of", AS_OF.isoformat(),
                          "--format", "json"))
    assert {frozenset((r["source_id_a"], r["source_id_b"])) for r in found} == expected
    assert frozenset(("MEL-WZ-RD02", "MEL-CIFS-02")) in expected  # the planted conflict


def test_demo_loads_sites_and_flags_the_work_abroad(demo_url: str) -> None:
    sites = json.loads(ok(demo_url, "sites", "--format", "json"))
    stored = _demo_rows(demo_url, func.count(RadioSite.id))[0][0]
    assert len(sites) == stored > 100
    assert {s["operator"] for s in sites if s["has_5g"]} == {"20801", "20810", "20815", "20820"}
    works = json.loads(ok(demo_url, "works", "--as-of", AS_OF.isoformat(), "--format", "json"))
    assert [w["id"] for w in works if not w["insee"]] == ["MEL-CIFS-99"]  # in Menen, Belgium


def test_demo_coverage_timing(demo_url: str, capsys) -> None:
    from rollout import mobile

    [(first,)] = _demo_rows(demo_url, func.min(RadioSite.in_service_on),
                            where=RadioSite.has_5g.is_(True))
    quarter_ends = []
    year, quarter = first.year, (first.month - 1) // 3  # the quarter before the first site
    if quarter == 0:
        year, quarter = year - 1, 4
    while True:
        end = (pd.Timestamp(year=year, month=quarter * 3, day=1) + pd.offsets.MonthEnd(0)).date()
        if end >= AS_OF:
            break
        quarter_ends.append(end)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    engine = make_engine(demo_url)
    mobile.clear_coverage_cache()
    with session_scope(engine) as session:
        started = time.perf_counter()
        observations = mobile.coverage_observations(session, AS_OF)
        seconds = time.perf_counter() - started
        layers = mobile.coverage_layers(session, AS_OF)
    engine.dispose()
    assert sorted(set(observations["as_of"])) == [*quarter_ends, AS_OF]
    assert len(observations) == (len(quarter_ends) + 1) * 95 * 4  # communes x operators
    assert len(layers.shares) == 95 * 4
    with capsys.disabled():
        print(f"\ncoverage: {len(quarter_ends) + 1} dates in {seconds:.2f} s; one day "
              f"(areas, gaps, shares) in {layers.seconds:.2f} s")


def test_republished_feed_replaces_its_works_in_listings(squares: str, tmp_path: Path) -> None:
    for name, end in (("v1.xml", "2026-03-20T18:00:00+01:00"),
                      ("v2.xml", "2026-03-27T18:00:00+01:00")):
        (tmp_path / name).write_text(CIFS_XML.format(end=end), encoding="utf-8")
        ok(squares, "import", "works", str(tmp_path / name))
    works = json.loads(ok(squares, "works", "--as-of", "2026-03-15", "--format", "json"))
    assert [(w["id"], w["end_at"]) for w in works] == [
        ("W1", "2026-03-27T17:00:00+00:00"), ("W2", "2026-07-02T16:00:00+00:00")]
    assert json.loads(ok(squares, "works", "--conflicts", "--as-of", "2026-03-15",
                         "--format", "json")) == []  # a work does not conflict with its revision


def test_upcoming_works_of_a_commune(squares: str, tmp_path: Path) -> None:
    from rollout import mobile

    path = tmp_path / "cifs.xml"
    path.write_text(CIFS_XML.format(end="2026-03-20T18:00:00+01:00"), encoding="utf-8")
    ok(squares, "import", "works", str(path))
    engine = make_engine(squares)
    with session_scope(engine) as session:
        # W1 (A and B) ends 20/03 17:00 UTC; W2 (outside) runs in July.
        during = mobile.upcoming_works(session, dt.date(2026, 3, 15), "59002")["id"].tolist()
        after = mobile.upcoming_works(session, dt.date(2026, 3, 21))["id"].tolist()
    engine.dispose()
    assert (during, after) == (["W1"], ["W2"])
