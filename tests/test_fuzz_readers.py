"""Property-based robustness of every reader: a result or an InputError, nothing else.

Each test starts from faithful inputs (real ARCEP and building extracts shipped in the repo,
reproductions of the other formats) and damages them the way files get damaged: cut at any
offset, re-encoded (UTF-16/32, cp1252 with UTF-8 pieces inside, stray bytes), a number
replaced by a huge, negative, NaN or infinite one, a date replaced by one out of range.
Random bytes are fuzzed here only for the readers whose modules do not already do it
(ARCEP observatory, communes). Through the import service, a refused file stores nothing.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geodata.arcep import read_arcep
from geodata.commitments import read_commitments
from geodata.communes import read_communes
from geodata.errors import InputError
from geodata.premises import open_premises
from geodata.sites import read_sites
from geodata.works import read_works
from rollout.cli import main
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)
from tests.test_reliability import table_counts

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "rollout" / "demo_data" / "real"
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

NUMBERS = ["NaN", "nan", "-nan", "inf", "-Infinity", "Infinity", "1e999", "-1e999", "1e308",
           "99999999999999999999999999", "-99999999999999999999", "-1", "-0", "0x1F", "1_000",
           "\u0663", "\uff11\uff12", "", "null", "1,5e3", "\u22125", "4294967296"]
DATES = ["31/12/9999", "01/01/0001", "0000-00-00", "2020-02-30", "29/02/2021", "99999-01-01",
         "1677-09-21", "2262-04-12", "9999-12-31T23:59:60Z", "31/13/2020", "-2020-01-01",
         "2020-01-01T25:61:00", "T1 1899", "T5 2020"]
ENCODINGS = ["utf-16", "utf-16-le", "utf-32", "cp1252+utf8", "utf8+stray", "latin-1"]
MUTATIONS = ["truncate", "encoding", "number", "date", "insert"]
_NUMBER = re.compile(rb"-?\d+(?:[.,]\d+)?")
_DATE = re.compile(rb"\d{1,4}[/-]\d{1,2}[/-]\d{2,4}(?:T[\d:]+(?:Z|[+-]\d\d:\d\d)?)?|T[1-4] \d{4}")


def _lines(path: Path, count: int) -> bytes:
    with open(path, "rb") as fh:
        return b"".join(fh.readline() for _ in range(count))


def _built(write: Callable[[Path], Path]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write(Path(folder) / "f").read_bytes()


ARCEP = [
    ("arcep_obs_2018t1_ftth_communes_dep59.csv",
     _lines(REAL / "arcep_obs_2018t1_ftth_communes_dep59.csv", 40)),
    ("arcep_obs_2018t1_communes_info_dep59.csv",
     _lines(REAL / "arcep_obs_2018t1_communes_info_dep59.csv", 30)),
    ("obs_2020.csv", _built(lambda p: write_arcep_2020(
        p, "T4 2020", {"59001": 1000, "59002": 800}, ["T3 2020", "T4 2020"],
        {"59001": [800, 900], "59002": [400, 500]}))),
]
COMMUNES = [
    ("communes.geojson", _built(lambda p: write_communes(
        p, {"59001": ("Aa", SQUARE_A), "59002": ("Bb", SQUARE_B)}))),
]
PREMISES = [
    ("carte_fibre_immeubles_2024_Q3_extrait_mel.csv",
     (ROOT / "tests/data/premises/carte_fibre_immeubles_2024_Q3_extrait_mel.csv").read_bytes()),
    ("ipe_FRTE_20240115.csv", (
        "IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
        "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI\r\n"
        "B1;59001;3;DEPLOYE;WGS84;3,005;50,605;FRTE\r\n"
        "B2;;2;RACCORDABLE DEMANDE;WGS84;3,010;50,602;FRTE\r\n"
        "B3;59002;5;DEPLOYE;RGF93;704000;7059000;FRTE\r\n").encode("cp1252")),
]
COMMITMENTS = [
    ("commitments.csv", _built(lambda p: write_commitments(p, [
        agreement(commune_insee="59001", metric="perimeter"),
        agreement(commune_insee="59002", metric="perimeter"),
        agreement(commune_insee="59001", metric="ftth_connectable_share", target="90 %",
                  due_on="31/12/2020", rad_cap="8 %"),
        agreement(metric="ftth_connectable_premises", target="1500", due_on="2021-03-31"),
    ]))),
]
ARCEP_SITES = (
    "code_op;nom_op;num_site;id_site_partage;id_station_anfr;x;y;latitude;longitude;nom_com;"
    "insee_com;site_2g;site_3g;site_4g;site_5g;site_capa_240mbps;date_ouverturecommerciale_5g;"
    "site_5g_700_m_hz;site_5g_800_m_hz;site_5g_1800_m_hz;site_5g_2100_m_hz;site_5g_3500_m_hz\r\n"
    "20801;Orange;00012345;;0591230001;704000;7059000;50,62;3,06;Lille;59350;1;1;1;1;1;"
    "2021-03-15;0;0;0;0;1\r\n"
    "20810;SFR;S-1;;0592340002;;;50.69;3.18;Roubaix;59512;1;1;1;0;0;;0;0;0;0;0\r\n"
)
ANFR_TABLES = {
    "SUP_SUPPORT.txt": (
        "SUP_ID;STA_NM_ANFR;NAT_ID;COR_NB_DG_LAT;COR_NB_MN_LAT;COR_NB_SC_LAT;COR_CD_NS_LAT;"
        "COR_NB_DG_LON;COR_NB_MN_LON;COR_NB_SC_LON;COR_CD_EW_LON;SUP_NM_HAUT;TPO_ID;ADR_LB_LIEU;"
        "ADR_LB_ADD1;ADR_LB_ADD2;ADR_LB_ADD3;ADR_NM_CP;COM_CD_INSEE\r\n"
        "101;0591230001;11;50;37;12,5;N;3;3;36;E;30,5;1;Immeuble Crédit;12 rue Nationale;;;"
        "59000;59350\r\n"
        "103;0592340002;4;50;41;24;N;3;10;48;E;25;1;Château d'eau;;;;59100;59512\r\n"),
    "SUP_STATION.txt": (
        "STA_NM_ANFR;ADM_ID;DEM_NM_COMSIS;DTE_IMPLANTATION;DTE_MODIF;DTE_EN_SERVICE\r\n"
        "0591230001;7;123;01/02/2010;03/04/2021;01/06/2010\r\n"
        "0592340002;42;456;01/03/2012;;12/05/2012\r\n"),
    "SUP_EMETTEUR.txt": (
        "EMR_ID;EMR_LB_SYSTEME;STA_NM_ANFR;AER_ID;EMR_DT_SERVICE\r\n"
        "1;5G NR 3500;0591230001;11;15/03/2021\r\n4;LTE 800;0592340002;21;12/05/2012\r\n"),
    "SUP_BANDE.txt": (
        "STA_NM_ANFR;BAN_ID;EMR_ID;BAN_NB_F_DEB;BAN_NB_F_FIN;BAN_FG_UNITE\r\n"
        "0591230001;1;1;3490;3570;M\r\n"),
    "SUP_EXPLOITANT.txt": "ADM_ID;ADM_LB_NOM\r\n7;ORANGE\r\n42;BOUYGUES TELECOM\r\n",
}
WORKS = [
    ("scenario1_simple_linestring_example.geojson",
     (ROOT / "tests/data/wzdx/WorkZoneFeed/scenario1_simple_linestring_example.geojson")
     .read_bytes()),
    ("chantiers.csv", (
        "identifiant;objet;maitre_ouvrage;date_debut;date_fin;geo_point_2d;geo_shape\r\n"
        "T-1;Réfection chaussée;Ville de Lille;10/03/2026;20/03/2026;50.63, 3.06;\r\n"
        'T-2;Pose fibre;MEL;2026-04-01;;50.64, 3.07;"{""type"": ""LineString"", '
        '""coordinates"": [[3.07, 50.64], [3.08, 50.65]]}"\r\n').encode()),
    ("works.csv", (
        b"id,title,kind,owner,start,end,wkt,commune\n"
        b'W1,Trench,road closed,MEL,2026-03-10T08:00:00Z,2026-04-01T00:00:00Z,'
        b'"LINESTRING (3.06 50.63, 3.07 50.64)",59350\n')),
    ("cifs.xml", (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<incidents>\n'
        b'  <incident id="MEL-2026-001">\n    <type>ROAD_CLOSED</type>\n'
        b"    <description>Pose de fourreaux fibre</description>\n"
        b"    <location><street>Rue Nationale</street>\n"
        b"      <polyline>50.6365 3.0635 50.6372 3.0700</polyline></location>\n"
        b"    <starttime>2026-03-10T08:00:00+01:00</starttime>\n"
        b"    <endtime>2026-07-01T18:00:00+02:00</endtime>\n  </incident>\n</incidents>\n"
    )),
]


def _replace_match(data: bytes, pattern: re.Pattern, position: int, token: str) -> bytes:
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    found = matches[position % len(matches)]
    return data[:found.start()] + token.encode("utf-8") + data[found.end():]


def _reencode(data: bytes, encoding: str, position: int) -> bytes:
    text = data.decode("utf-8", errors="replace")
    if encoding == "cp1252+utf8":
        cut = position % (len(text) + 1)
        # cp1252 file with a UTF-8 piece holding characters cp1252 does not have.
        return (text[:cut].encode("cp1252", errors="replace") + "Łódź → 5G".encode()
                + text[cut:].encode("cp1252", errors="replace"))
    if encoding == "utf8+stray":
        cut = position % (len(data) + 1)
        return data[:cut] + b"\xff\xfe\x00\x81" + data[cut:]
    return text.encode(encoding, errors="replace")


def damage(data: bytes, mutation: str, position: int, token: str) -> bytes:
    """One realistic defect; ``position`` picks where, ``token`` what (meaning per mutation)."""
    if mutation == "truncate":
        return data[:position % max(len(data), 1)]
    if mutation == "encoding":
        return _reencode(data, token, position)
    if mutation == "number":
        return _replace_match(data, _NUMBER, position, token)
    if mutation == "date":
        return _replace_match(data, _DATE, position, token)
    cut = position % (len(data) + 1)
    return data[:cut] + token.encode("utf-8") + data[cut:]


def _token_for(mutation: str) -> st.SearchStrategy[str]:
    return {"encoding": st.sampled_from(ENCODINGS), "number": st.sampled_from(NUMBERS),
            "date": st.sampled_from(DATES)}.get(
        mutation, st.sampled_from(NUMBERS + DATES + ["\x00", '"', ";", "\n", "é"]))


DAMAGE = st.sampled_from(MUTATIONS).flatmap(lambda m: st.tuples(
    st.just(m), st.integers(0, 10**6), _token_for(m)))


def clean_result_or_input_error(read: Callable[[Path], object], path: Path) -> object | None:
    """Run a reader: any exception but InputError fails the test; InputError must say why."""
    try:
        return read(path)
    except InputError as exc:
        assert exc.problems and all(p.reason and p.file for p in exc.problems)
        return None


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@FUZZ
@given(base=st.sampled_from(ARCEP), change=DAMAGE)
@example(base=ARCEP[0], change=("number", 43, "99999999999999999999999999"))  # OverflowError
def test_arcep_damaged(tmp_path, base, change):
    name, data = base
    clean_result_or_input_error(read_arcep, _write(tmp_path, name, damage(data, *change)))


@FUZZ
@given(body=st.binary(max_size=400), name=st.sampled_from(["obs.csv", "obs.xlsx"]))
@example(body=b"\xc2", name="obs.csv")  # was UnicodeDecodeError: cut inside a character
def test_arcep_random_bytes(tmp_path, body, name):
    clean_result_or_input_error(read_arcep, _write(tmp_path, name, body))


def _communes_with(coordinates: list) -> bytes:
    feature = {"type": "Feature", "properties": {"code_insee": "59001", "nom": "Aa"},
               "geometry": {"type": "Polygon", "coordinates": [coordinates]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


COORDINATE = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([1e308, -1e308, 400.0, -200.0]))


@FUZZ
@given(base=st.sampled_from(COMMUNES), change=DAMAGE)
@example(base=COMMUNES[0], change=("number", 2, "NaN"))  # was GEOSException: ring not closed
@example(base=COMMUNES[0], change=("number", 40, "NaN"))  # was GEOSException in make_valid
@example(base=COMMUNES[0], change=("number", 1, "1e308"))  # was OverflowError (population)
@example(base=COMMUNES[0], change=("encoding", 5947, "utf8+stray"))  # was UnicodeDecodeError
def test_communes_damaged(tmp_path, base, change):
    name, data = base
    clean_result_or_input_error(read_communes, _write(tmp_path, name, damage(data, *change)))


@FUZZ
@given(body=st.binary(max_size=400),
       name=st.sampled_from(["c.geojson", "c.gpkg", "c.zip", "c.shp"]))
def test_communes_random_bytes(tmp_path, body, name):
    clean_result_or_input_error(read_communes, _write(tmp_path, name, body))


@FUZZ
@given(corner=st.tuples(COORDINATE, COORDINATE), index=st.integers(0, 4))
def test_communes_nan_and_huge_coordinates(tmp_path, corner, index):
    ring = [list(p) for p in SQUARE_A]
    ring[index] = list(corner)
    if index == 0:
        ring[-1] = list(corner)
    result = clean_result_or_input_error(read_communes,
                                         _write(tmp_path, "c.geojson", _communes_with(ring)))
    if not all(math.isfinite(c) for c in corner):
        assert result is None, "a NaN or infinite coordinate was accepted"


def _read_premises(path: Path) -> list:
    return list(open_premises(path, chunksize=2).chunks())


@FUZZ
@given(base=st.sampled_from(PREMISES), change=DAMAGE)
def test_premises_damaged(tmp_path, base, change):
    name, data = base
    clean_result_or_input_error(_read_premises, _write(tmp_path, name, damage(data, *change)))


@FUZZ
@given(base=st.sampled_from(COMMITMENTS), change=DAMAGE)
def test_commitments_damaged(tmp_path, base, change):
    name, data = base
    clean_result_or_input_error(read_commitments,
                                _write(tmp_path, name, damage(data, *change)))


def _anfr_zip(tables: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in tables.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@FUZZ
@given(table=st.sampled_from(sorted(ANFR_TABLES)), change=DAMAGE, cut_zip=st.booleans())
def test_sites_damaged(tmp_path, table, change, cut_zip):
    tables = {n: t.encode("cp1252") for n, t in ANFR_TABLES.items()}
    tables[table] = damage(tables[table], *change)
    archive = _anfr_zip(tables)
    if cut_zip:
        archive = archive[:change[1] % len(archive)]
    clean_result_or_input_error(read_sites, _write(tmp_path, "anfr.zip", archive))
    arcep = damage(ARCEP_SITES.encode("utf-8"), *change)
    clean_result_or_input_error(read_sites, _write(tmp_path, "sites_arcep.csv", arcep))


@FUZZ
@given(base=st.sampled_from(WORKS), change=DAMAGE)
@example(base=WORKS[3], change=("number", 1, "NaN"))  # was LookupError: encoding "UTFNaN"
@example(base=WORKS[0], change=("number", 120, "1,5e3"))  # was ValueError: ragged position
def test_works_damaged(tmp_path, base, change):
    name, data = base
    clean_result_or_input_error(read_works, _write(tmp_path, name, damage(data, *change)))


@FUZZ
@given(point=st.tuples(COORDINATE, COORDINATE))
@example(point=(float("nan"), 50.6))  # was accepted: GEOS bounds skip NaN, stored as NULL
def test_works_nan_and_huge_coordinates(tmp_path, point):
    line = {"type": "LineString", "coordinates": [[3.06, 50.63], list(point)]}
    feature = {"type": "Feature", "geometry": line,
               "properties": {"id": "W1", "title": "Tranchée", "start": "2026-03-10",
                              "end": "2026-04-10"}}
    document = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    result = clean_result_or_input_error(read_works, _write(tmp_path, "works.geojson", document))
    if not all(math.isfinite(c) for c in point):
        assert result is None, "a NaN or infinite coordinate was accepted"


# --- through the import service: a refused file stores nothing -----------------------------

JOURNAL = {"import_batch", "import_error", "audit_event"}
REFUSED = [
    ("arcep", ARCEP[2][0], damage(ARCEP[2][1], "number", 13, "NaN")),
    ("arcep", ARCEP[0][0], damage(ARCEP[0][1], "encoding", 0, "utf-32")),
    ("communes", "c.geojson", _communes_with([[float("nan"), 50.6], [3.01, 50.6], [3.01, 50.61],
                                               [float("nan"), 50.6]])),
    ("premises", PREMISES[1][0], damage(PREMISES[1][1], "number", 7, "-1")),
    ("commitments", "commitments.csv", damage(COMMITMENTS[0][1], "date", 2, "31/12/9999")),
    ("works", "works.csv", WORKS[2][1].replace(b"3.06 50.63", b"NaN 50.63")),
    ("works", "works.geojson", json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [3.06, 50.63]},
        "properties": {"id": "W1", "title": "Tranch\u0000ée", "start": "2026-03-10"}}]}).encode()),
    ("commitments", "commitments.csv", damage(COMMITMENTS[0][1], "encoding", 129, "utf8+stray")),
]


@pytest.mark.parametrize(("kind", "name", "data"), REFUSED,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(REFUSED)])
def test_refused_import_stores_nothing(db_url, tmp_path, kind, name, data):
    communes = write_communes(tmp_path / "base.geojson", {"59001": ("Aa", SQUARE_A),
                                                          "59002": ("Bb", SQUARE_B)})
    runner = CliRunner()
    assert runner.invoke(main, ["--database", db_url, "import", "communes",
                                str(communes)]).exit_code == 0
    before = table_counts(db_url)
    path = _write(tmp_path, name, data)
    result = runner.invoke(main, ["--database", db_url, "import", kind, str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    after = table_counts(db_url)
    assert {t: n for t, n in after.items() if t not in JOURNAL} == {
        t: n for t, n in before.items() if t not in JOURNAL}
    assert after["import_batch"] == before["import_batch"] + 1
    assert after["audit_event"] == before["audit_event"] + 1


SERVICE_INPUTS = [("arcep", *ARCEP[2]), ("communes", *COMMUNES[0]), ("premises", *PREMISES[1]),
                  ("commitments", *COMMITMENTS[0]), ("works", *WORKS[1]), ("works", *WORKS[2])]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=st.sampled_from(SERVICE_INPUTS), change=DAMAGE)
@example(source=SERVICE_INPUTS[3], change=("encoding", 129, "utf8+stray"))  # NUL: PG DataError
def test_import_service_loads_or_refuses_cleanly(db_url, tmp_path, source, change):
    kind, name, data = source
    runner = CliRunner()
    communes = write_communes(tmp_path / "base.geojson", {"59001": ("Aa", SQUARE_A),
                                                          "59002": ("Bb", SQUARE_B)})
    runner.invoke(main, ["--database", db_url, "import", "communes", str(communes)])
    before = table_counts(db_url)
    path = _write(tmp_path, name, damage(data, *change))
    result = runner.invoke(main, ["--database", db_url, "import", kind, str(path)])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        after = table_counts(db_url)
        assert {t: n for t, n in after.items() if t not in JOURNAL} == {
            t: n for t, n in before.items() if t not in JOURNAL}
