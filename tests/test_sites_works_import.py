"""Sites and works imports end to end on both backends, on faithful reproductions of each format.

ANFR stations (worked by hand; communes: square A 59001 = lon 3.000-3.014, lat 50.600-50.609,
square B 59002 = lon 3.014-3.028):
  0590000001 ORANGE  50°36'10,8"N 3°00'36,0"E = (3.010, 50.603), INSEE 59001, 5G NR 3500
             from 15/03/2021 and LTE 800 from 2015 -> 5G, in service 2021-03-15.
  0590000002 SFR (named "SOCIÉTÉ FRANÇAISE DU RADIOTÉLÉPHONE" in a UTF-8 table while the others
             are cp1252) 50°36'18"N 3°01'12"E = (3.020, 50.605), no INSEE -> located in 59002;
             NR 700 from 10/12/2020 and NR 3500 from 01/06/2022 -> in service 2020-12-10.
  0590000003 BOUYGUES TELECOM 4G only, in A -> has_5g false, station date 2012-05-12.
  0590000004 FREE MOBILE in Paris (INSEE 75104) -> outside the loaded communes: skipped.
  0590000005 ORANGE in B, 5G NR 3500 emitter without date -> 5G, not in service.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner
from geoalchemy2 import functions as gfunc
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import ImportBatch, PublicWork, PublicWorkCommune, RadioSite
from tests.builders import SQUARE_A, SQUARE_B, write_communes

WZDX = Path(__file__).parent / "data" / "wzdx"
SUPPORT_HEADER = (
    "SUP_ID;STA_NM_ANFR;NAT_ID;COR_NB_DG_LAT;COR_NB_MN_LAT;COR_NB_SC_LAT;COR_CD_NS_LAT;"
    "COR_NB_DG_LON;COR_NB_MN_LON;COR_NB_SC_LON;COR_CD_EW_LON;SUP_NM_HAUT;TPO_ID;ADR_LB_LIEU;"
    "ADR_LB_ADD1;ADR_LB_ADD2;ADR_LB_ADD3;ADR_NM_CP;COM_CD_INSEE"
)
SUPPORTS = [
    "1;0590000001;11;50;36;10,8;N;3;0;36,0;E;30,5;1;Château d'eau;;;;59000;59001",
    "2;0590000002;11;50;36;18;N;3;1;12;E;25;1;Toit-terrasse;;;;59000;",
    "3;0590000003;4;50;36;7,2;N;3;0;18;E;20;1;Église;;;;59000;59001",
    "4;0590000004;11;48;51;24;N;2;21;3;E;40;1;Tour Saint-Jacques;;;;75004;75104",
    "5;0590000005;11;50;36;0;N;3;1;30;E;35;1;Pylône;;;;59000;59002",
]
STATIONS = [
    "STA_NM_ANFR;ADM_ID;DEM_NM_COMSIS;DTE_IMPLANTATION;DTE_MODIF;DTE_EN_SERVICE",
    "0590000001;27;1;01/02/2010;;01/06/2010",
    "0590000002;8;2;01/02/2011;;01/06/2011",
    "0590000003;13;3;01/03/2012;;12/05/2012",
    "0590000004;61;4;01/01/2000;;02/02/2001",
    "0590000005;27;5;01/01/2019;;03/03/2019",
]
EMITTERS = [
    "EMR_ID;EMR_LB_SYSTEME;STA_NM_ANFR;AER_ID;EMR_DT_SERVICE",
    "1;5G NR 3500;0590000001;1;15/03/2021",
    "2;LTE 800;0590000001;1;01/01/2015",
    "3;5G NR 700;0590000002;2;10/12/2020",
    "4;5G NR 3500;0590000002;2;01/06/2022",
    "5;LTE 800;0590000003;3;12/05/2012",
    "6;5G NR 3500;0590000004;4;01/01/2022",
    "7;5G NR 3500;0590000005;5;",
]
OPERATORS = ["ADM_ID;ADM_LB_NOM", "27;ORANGE", "8;SOCIÉTÉ FRANÇAISE DU RADIOTÉLÉPHONE",
             "13;BOUYGUES TELECOM", "61;FREE MOBILE"]


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def anfr_zip(path: Path, stations: list[str] = STATIONS) -> Path:
    """The export as ANFR ships it: cp1252, CRLF; SUP_EXPLOITANT deliberately in UTF-8."""
    tables = {"SUP_SUPPORT": [SUPPORT_HEADER, *SUPPORTS], "SUP_STATION": stations,
              "SUP_EMETTEUR": EMITTERS, "SUP_EXPLOITANT": OPERATORS,
              "SUP_BANDE": ["STA_NM_ANFR;BAN_ID;EMR_ID;BAN_NB_F_DEB;BAN_NB_F_FIN;BAN_FG_UNITE"]}
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in tables.items():
            encoding = "utf-8" if name == "SUP_EXPLOITANT" else "cp1252"
            archive.writestr(f"{name}.txt", ("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def squares(db_url: str, tmp_path: Path) -> str:
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                   "59002": ("Bb", SQUARE_B)})
    assert cli(db_url, "import", "communes", str(path)).exit_code == 0
    return db_url


def stored(url: str, *columns):
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.execute(select(*columns)).all()
    engine.dispose()
    return rows


def count(url: str, model) -> int:
    return stored(url, func.count(model.id))[0][0]


def test_anfr_zip_is_joined_converted_located_and_filtered(squares: str, tmp_path: Path) -> None:
    result = cli(squares, "import", "sites", str(anfr_zip(tmp_path / "anfr.zip")))
    assert result.exit_code == 0, result.output
    assert "5 lignes lues, 4 chargées, 1 ignorées" in result.output
    assert "1 station(s) hors des communes chargées" in result.output
    rows = stored(squares, RadioSite.station_id, RadioSite.operator_code, RadioSite.operator_name,
                  RadioSite.insee, RadioSite.systems, RadioSite.bands, RadioSite.has_5g,
                  RadioSite.in_service_on, gfunc.ST_AsBinary(RadioSite.geom))
    sites = {r[0]: r for r in rows}
    assert sorted(sites) == ["0590000001", "0590000002", "0590000003", "0590000005"]
    orange = sites["0590000001"]
    assert orange[1:4] == ("20801", "ORANGE", "59001")
    assert orange[4] == ["5G NR 3500", "LTE 800"] and orange[5] == ["LTE 800", "NR 3500"]
    assert orange[6] is True and orange[7] == dt.date(2021, 3, 15)
    point = shapely.from_wkb(bytes(orange[8]))
    assert (point.x, point.y) == pytest.approx((3.010, 50.603), abs=1e-9)
    sfr = sites["0590000002"]
    assert sfr[1:4] == ("20810", "SOCIÉTÉ FRANÇAISE DU RADIOTÉLÉPHONE", "59002")
    assert sfr[7] == dt.date(2020, 12, 10)
    assert sites["0590000003"][6:8] == (False, dt.date(2012, 5, 12))
    assert sites["0590000005"][6:8] == (True, None)


def test_same_export_again_or_as_a_folder_changes_nothing(squares: str, tmp_path: Path) -> None:
    path = anfr_zip(tmp_path / "anfr.zip")
    assert cli(squares, "import", "sites", str(path)).exit_code == 0
    again = cli(squares, "import", "sites", str(path))
    assert again.exit_code == 0 and "déjà importé" in again.output
    assert count(squares, RadioSite) == 4
    folder = tmp_path / "tables"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    result = cli(squares, "import", "sites", str(folder))
    assert result.exit_code == 0, result.output
    assert count(squares, RadioSite) == 8  # a second batch: same stations, new evidence


def test_malformed_table_refused_whole_and_journaled(squares: str, tmp_path: Path) -> None:
    broken = [*STATIONS[:3], "0590000003;13;3;01/03/2012", *STATIONS[4:]]
    result = cli(squares, "import", "sites", str(anfr_zip(tmp_path / "anfr.zip", broken)))
    assert result.exit_code == 2
    assert "anfr.zip:SUP_STATION.txt:4" in result.output and "expected 6 fields" in result.output
    assert "Traceback" not in result.output
    assert count(squares, RadioSite) == 0
    assert stored(squares, ImportBatch.kind, ImportBatch.status)[-1] == ("sites", "rejected")


def test_arcep_sites_csv_with_decimal_commas(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "2024_T3_sites_Metropole.csv"
    path.write_bytes((
        "code_op;nom_op;num_site;id_site_partage;id_station_anfr;x;y;latitude;longitude;"
        "nom_com;insee_com;site_2g;site_3g;site_4g;site_5g;site_capa_240mbps;"
        "date_ouverturecommerciale_5g;site_5g_700_m_hz;site_5g_800_m_hz;site_5g_1800_m_hz;"
        "site_5g_2100_m_hz;site_5g_3500_m_hz\r\n"
        "20815;Free Mobile;F1;;0590000009;;;50,6045;3,007;Aa;59001;0;1;1;1;1;2022-04-01;"
        "1;0;0;0;1\r\n"
        "20820;Bouygues Telecom;B7;;;;;50,6045;3,021;Bb;;1;1;1;0;0;;0;0;0;0;0\r\n"
    ).encode("cp1252"))
    result = cli(squares, "import", "sites", str(path))
    assert result.exit_code == 0, result.output
    rows = {r[0]: r[1:] for r in stored(squares, RadioSite.station_id, RadioSite.operator_code,
                                        RadioSite.insee, RadioSite.bands, RadioSite.has_5g,
                                        RadioSite.in_service_on)}
    assert rows == {
        "0590000009": ("20815", "59001", ["NR 700", "NR 3500"], True, dt.date(2022, 4, 1)),
        "B7": ("20820", "59002", [], False, None),
    }


@pytest.fixture
def iowa(db_url: str, tmp_path: Path) -> str:
    """Communes drawn around the official WZDx example (Iowa) so its work zones fall inside."""
    def box(x0, x1, y0, y1):
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]

    path = write_communes(tmp_path / "iowa.geojson", {
        "59001": ("West", box(-93.78, -93.77, 41.61, 41.63)),
        "59002": ("East", box(-93.73, -93.72, 41.59, 41.60)),
        "59003": ("Middle", box(-93.745, -93.73, 41.59, 41.60)),
    })
    assert cli(db_url, "import", "communes", str(path)).exit_code == 0
    return db_url


def test_wzdx_official_example_kept_whole_with_communes(iowa: str, tmp_path: Path) -> None:
    feed = WZDX / "WorkZoneFeed" / "scenario1_simple_linestring_example.geojson"
    result = cli(iowa, "import", "works", str(feed), "--format", "wzdx")
    assert result.exit_code == 0, result.output
    assert "5 lignes lues, 5 chargées" in result.output
    assert "1 chantier(s) hors de toutes les communes chargées" in result.output
    works = {r[0][:8]: r[1:] for r in stored(
        iowa, PublicWork.source_id, PublicWork.kind, PublicWork.owner, PublicWork.start_at,
        PublicWork.end_at, PublicWork.types_of_work, PublicWork.outside_communes)}
    assert works["af2e3f51"] == ("work-zone", "Test City 1", dt.datetime(2010, 1, 1, 1),
                                 dt.datetime(2010, 1, 2, 1), [], False)
    assert works["edf2162b"][5] is True
    assert works["6f57aded"][1] == "TestDOT"
    assert works["6f57aded"][4] == ["surface-work"]
    by_work: dict[str, list[str]] = {}
    engine = make_engine(iowa)
    with session_scope(engine) as session:
        for source_id, insee in session.execute(
            select(PublicWork.source_id, PublicWorkCommune.insee)
            .join(PublicWorkCommune, PublicWorkCommune.work_id == PublicWork.id)
        ):
            by_work.setdefault(source_id[:8], []).append(insee)
    engine.dispose()
    assert {k: sorted(v) for k, v in by_work.items()} == {
        "af2e3f51": ["59001"], "6f57aded": ["59002"], "8bfb0ce0": ["59002", "59003"],
        "e6c2abad": ["59003"],
    }


def test_device_feed_refused_clearly_and_nothing_stored(iowa: str) -> None:
    feed = WZDX / "DeviceFeed" / "arrow_board_ok_example.geojson"
    result = cli(iowa, "import", "works", str(feed), "--format", "wzdx")
    assert result.exit_code == 2
    assert "WZDx Device Feed" in result.output and "not a Work Zone Feed" in result.output
    assert count(iowa, PublicWork) == 0
    assert stored(iowa, ImportBatch.kind, ImportBatch.status)[-1] == ("works", "rejected")


CIFS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<incidents>
  <incident id="W1">
    <type>ROAD_CLOSED</type><subtype>ROAD_CLOSED_CONSTRUCTION</subtype>
    <description>Tranchée fibre</description>
    <location><street>Rue de l'Église</street>
      <polyline>50.6045 3.010 50.6045 3.020</polyline>
      <direction>BOTH_DIRECTIONS</direction></location>
    <starttime>2026-03-10T08:00:00+01:00</starttime>
    <endtime>{end}</endtime>
  </incident>
  <incident id="W2">
    <type>HAZARD</type><subtype>HAZARD_ON_ROAD_CONSTRUCTION</subtype>
    <location><street>Route de Menin</street><polyline>50.7950 3.1190</polyline></location>
    <starttime>2026-07-01T06:30:00+02:00</starttime><endtime>2026-07-02T18:00:00+02:00</endtime>
  </incident>
</incidents>
"""


def test_cifs_xml_lat_lon_swapped_utc_and_communes(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "cifs.xml"
    path.write_text(CIFS_XML.format(end="2026-03-20T18:00:00+01:00"), encoding="utf-8")
    result = cli(squares, "import", "works", str(path), "--format", "cifs")
    assert result.exit_code == 0, result.output
    assert "1 chantier(s) hors de toutes les communes chargées" in result.output
    rows = {r[0]: r[1:] for r in stored(
        squares, PublicWork.source_id, PublicWork.kind, PublicWork.start_at, PublicWork.end_at,
        PublicWork.outside_communes, gfunc.ST_AsBinary(PublicWork.geom))}
    kind, start, end, outside, wkb = rows["W1"]
    assert (kind, start, end, outside) == ("road-closed", dt.datetime(2026, 3, 10, 7),
                                           dt.datetime(2026, 3, 20, 17), False)
    assert shapely.from_wkb(bytes(wkb)).coords[:] == [(3.010, 50.6045), (3.020, 50.6045)]
    assert rows["W2"][1:4] == (dt.datetime(2026, 7, 1, 4, 30), dt.datetime(2026, 7, 2, 16), True)
    links = stored(squares, PublicWorkCommune.insee)
    assert sorted(i for (i,) in links) == ["59001", "59002"]  # W1 crosses from A into B


def test_cifs_end_before_start_refused(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "cifs.xml"
    path.write_text(CIFS_XML.format(end="2026-03-09T18:00:00+01:00"), encoding="utf-8")
    result = cli(squares, "import", "works", str(path), "--format", "cifs")
    assert result.exit_code == 2
    assert "cifs.xml:1: column 'endtime'" in result.output
    assert "endtime is before starttime" in result.output
    assert count(squares, PublicWork) == 0


@pytest.mark.parametrize("nested", [True, False])
def test_cifs_json_nested_and_flat(squares: str, tmp_path: Path, nested: bool) -> None:
    incident = {"id": "J1", "type": "ROAD_CLOSED", "subtype": "ROAD_CLOSED_CONSTRUCTION",
                "location": {"street": "Rue Nationale", "polyline": "50.601 3.002 50.602 3.004"},
                "starttime": "2026-01-05T09:00:00+01:00", "endtime": "2026-01-05T17:00:00+01:00"}
    doc = {"incidents": [{"incident": incident}]} if nested else [incident]
    path = tmp_path / "cifs.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = cli(squares, "import", "works", str(path))  # format guessed from the content
    assert result.exit_code == 0, result.output
    [(source_id, fmt, start, wkb)] = stored(
        squares, PublicWork.source_id, PublicWork.source_format, PublicWork.start_at,
        gfunc.ST_AsBinary(PublicWork.geom))
    assert (source_id, fmt, start) == ("J1", "cifs", dt.datetime(2026, 1, 5, 8))
    assert shapely.from_wkb(bytes(wkb)).coords[0] == (3.002, 50.601)
    assert stored(squares, PublicWorkCommune.insee) == [("59001",)]


def test_portal_csv_with_french_names(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "chantiers.csv"
    path.write_bytes(
        "identifiant;objet;maitre_ouvrage;date_debut;date_fin;geo_point_2d\r\n"
        "C1;Réfection de chaussée;Ville de Aa;02/02/2026;28/02/2026;\"50.6045, 3.005\"\r\n"
        .encode("cp1252"))
    result = cli(squares, "import", "works", str(path), "--format", "csv")
    assert result.exit_code == 0, result.output
    # 02/02/2026 00:00 Paris (UTC+1) = 01/02 23:00 UTC; an end date alone ends at 23:59:59.
    assert stored(squares, PublicWork.title, PublicWork.owner, PublicWork.start_at,
                  PublicWork.end_at) == [("Réfection de chaussée", "Ville de Aa",
                                          dt.datetime(2026, 2, 1, 23),
                                          dt.datetime(2026, 2, 28, 22, 59, 59))]
    again = cli(squares, "import", "works", str(path), "--format", "csv")
    assert "déjà importé" in again.output and count(squares, PublicWork) == 1



def test_overlong_id_refused_with_its_row_not_a_database_error(squares: str, tmp_path) -> None:
    path = tmp_path / "works.csv"
    path.write_text("id,title,start,wkt\n" + "X" * 129 + ",T,2026-01-01,POINT (3.005 50.605)\n",
                    encoding="utf-8")
    result = cli(squares, "import", "works", str(path))
    assert result.exit_code == 2
    assert "works.csv:2: column 'source_id'" in result.output
    assert "longer than 128 characters" in result.output
    assert count(squares, PublicWork) == 0
