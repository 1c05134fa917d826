"""ANFR and ARCEP radio-site readers, on small faithful reproductions of the real exports."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.errors import InputError
from geodata.sites import operator_code, read_anfr, read_arcep_sites, read_sites

SUPPORT_HEADER = (
    "SUP_ID;STA_NM_ANFR;NAT_ID;COR_NB_DG_LAT;COR_NB_MN_LAT;COR_NB_SC_LAT;COR_CD_NS_LAT;"
    "COR_NB_DG_LON;COR_NB_MN_LON;COR_NB_SC_LON;COR_CD_EW_LON;SUP_NM_HAUT;TPO_ID;ADR_LB_LIEU;"
    "ADR_LB_ADD1;ADR_LB_ADD2;ADR_LB_ADD3;ADR_NM_CP;COM_CD_INSEE"
)
# Four stations: Lille 5G (on two supports), Roubaix 4G-only, Paris 5G not yet in service,
# a broadcaster west of Greenwich.
SUPPORTS = [
    "101;0591230001;11;50;37;12,5;N;3;3;36;E;30,5;1;Immeuble Crédit;12 rue Nationale;;;59000;59350",
    "102;0591230001;11;50;37;13;N;3;3;37;E;20;1;Toit;;;;59000;59350",
    "103;0592340002;4;50;41;24;N;3;10;48;E;25;1;Château d'eau;Rue de l'Église;;;59100;59512",
    "104;0751110003;11;48;51;24;N;2;21;3;E;40;1;Tour Saint-Jacques;;;;75004;75104",
    "105;0291110004;4;48;23;24;N;4;29;6;W;80;1;Pylône TDF;Lieu-dit Kéroual;;;29200;29019",
]
STATIONS = [
    "STA_NM_ANFR;ADM_ID;DEM_NM_COMSIS;DTE_IMPLANTATION;DTE_MODIF;DTE_EN_SERVICE",
    "0591230001;7;123;01/02/2010;03/04/2021;01/06/2010",
    "0592340002;42;456;01/03/2012;;12/05/2012",
    "0751110003;9;789;01/01/2000;05/05/2024;02/02/2001",
    "0291110004;3;1;01/01/1990;;15/07/1991",
]
EMITTERS = [
    "EMR_ID;EMR_LB_SYSTEME;STA_NM_ANFR;AER_ID;EMR_DT_SERVICE",
    "1;5G NR 3500;0591230001;11;15/03/2021",
    "2;5G NR 700;0591230001;12;10/12/2020",
    "3;LTE 800;0591230001;13;01/01/2015",
    "4;LTE 800;0592340002;21;12/05/2012",
    "5;LTE 2600;0592340002;22;",
    "6;5G NR 3500;0751110003;31;",
    "7;LTE 1800;0751110003;32;02/02/2001",
    "8;FM;0291110004;41;15/07/1991",
]
BANDS = [
    "STA_NM_ANFR;BAN_ID;EMR_ID;BAN_NB_F_DEB;BAN_NB_F_FIN;BAN_FG_UNITE",
    "0591230001;1;1;3490;3570;M",
    "0591230001;2;2;758;768;M",
]
OPERATORS = ["ADM_ID;ADM_LB_NOM", "3;TDF", "7;ORANGE", "9;SFR", "42;BOUYGUES TELECOM"]


def anfr_tables(supports: list[str] | None = None) -> dict[str, str]:
    """The five tables as text, keyed by file name."""
    return {
        "SUP_SUPPORT.txt": "\n".join([SUPPORT_HEADER, *(supports or SUPPORTS)]) + "\n",
        "SUP_STATION.txt": "\n".join(STATIONS) + "\n",
        "SUP_EMETTEUR.txt": "\n".join(EMITTERS) + "\n",
        "SUP_BANDE.txt": "\n".join(BANDS) + "\n",
        "SUP_EXPLOITANT.txt": "\n".join(OPERATORS) + "\n",
    }


def write_zip(path: Path, tables: dict[str, str], encoding: str = "cp1252") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in tables.items():
            archive.writestr(name, text.replace("\n", "\r\n").encode(encoding))
    return path


def test_anfr_zip_joins_tables_and_converts_dms(tmp_path: Path) -> None:
    result = read_sites(write_zip(tmp_path / "anfr.zip", anfr_tables()))
    assert result.source == "anfr"
    frame = result.frame.set_index("station_id")
    assert list(frame.index) == ["0591230001", "0592340002", "0751110003", "0291110004"]
    lille = frame.loc["0591230001"]
    # 50 + 37/60 + 12.5/3600 = 50.6201389; 3 + 3/60 + 36/3600 = 3.06 (the first support row)
    assert lille["lat"] == pytest.approx(50.6201389, abs=1e-7)
    assert lille["lon"] == pytest.approx(3.06, abs=1e-9)
    assert lille["operator_code"] == "20801"
    assert lille["operator_name"] == "ORANGE"
    assert lille["insee"] == "59350"
    assert lille["systems"] == ["5G NR 3500", "5G NR 700", "LTE 800"]
    assert lille["bands"] == ["LTE 800", "NR 3500", "NR 700"]
    assert bool(lille["has_5g"]) is True
    assert lille["in_service_on"] == dt.date(2020, 12, 10)  # earliest 5G emitter, not LTE 2015
    assert lille["station_in_service_on"] == dt.date(2010, 6, 1)
    assert lille["source_row"] == 2
    assert lille["source_table"] == "SUP_SUPPORT"


def test_anfr_4g_only_station_keeps_station_date(tmp_path: Path) -> None:
    frame = read_anfr(write_zip(tmp_path / "anfr.zip", anfr_tables())).frame
    roubaix = frame.set_index("station_id").loc["0592340002"]
    assert roubaix["operator_code"] == "20820"
    assert bool(roubaix["has_5g"]) is False
    assert roubaix["in_service_on"] == dt.date(2012, 5, 12)
    assert roubaix["lat"] == pytest.approx(50.69, abs=1e-9)  # 50 + 41/60 + 24/3600
    assert roubaix["lon"] == pytest.approx(3.18, abs=1e-9)  # 3 + 10/60 + 48/3600
    assert roubaix["source_row"] == 4


def test_anfr_5g_not_yet_in_service_and_outside_mel(tmp_path: Path) -> None:
    frame = read_anfr(write_zip(tmp_path / "anfr.zip", anfr_tables())).frame
    paris = frame.set_index("station_id").loc["0751110003"]
    assert bool(paris["has_5g"]) is True
    assert paris["in_service_on"] is None  # 5G emitter authorised, no EMR_DT_SERVICE yet
    assert paris["insee"] == "75104"
    assert paris["lat"] == pytest.approx(48 + 51 / 60 + 24 / 3600, abs=1e-9)


def test_anfr_other_licensee_warned_and_west_is_negative(tmp_path: Path) -> None:
    result = read_anfr(write_zip(tmp_path / "anfr.zip", anfr_tables()))
    brest = result.frame.set_index("station_id").loc["0291110004"]
    assert brest["lon"] == pytest.approx(-4.485, abs=1e-9)  # -(4 + 29/60 + 6/3600)
    assert brest["operator_code"] == "TDF"
    assert any("'TDF'" in w for w in result.warnings)


def test_anfr_derived_operator_code_fits_16_characters(tmp_path: Path) -> None:
    tables = anfr_tables()
    tables["SUP_EXPLOITANT.txt"] = tables["SUP_EXPLOITANT.txt"].replace(
        "3;TDF", "3;Télédiffusion de France"
    )
    frame = read_anfr(write_zip(tmp_path / "anfr.zip", tables)).frame
    assert frame["operator_code"].iloc[3] == "TELEDIFFUSION_DE"
    assert frame["operator_name"].iloc[3] == "Télédiffusion de France"


def test_anfr_folder_in_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in anfr_tables().items():
        (folder / f"20240301_{name}").write_text(text, encoding="utf-8")
    frame = read_sites(folder).frame
    assert len(frame) == 4
    assert frame["operator_code"].tolist() == ["20801", "20820", "20810", "TDF"]


def test_anfr_missing_table_is_named(tmp_path: Path) -> None:
    tables = anfr_tables()
    del tables["SUP_EMETTEUR.txt"]
    with pytest.raises(InputError) as info:
        read_anfr(write_zip(tmp_path / "anfr.zip", tables))
    assert info.value.code == "missing_table"
    assert "SUP_EMETTEUR" in str(info.value)


def test_anfr_bad_dms_reports_row_column_value(tmp_path: Path) -> None:
    supports = list(SUPPORTS)
    supports[2] = supports[2].replace(";24;N;", ";2x;N;")
    supports[3] = supports[3].replace(";48;51;24;N;", ";48;51;24;Q;")
    with pytest.raises(InputError) as info:
        read_anfr(write_zip(tmp_path / "anfr.zip", anfr_tables(supports)))
    problems = info.value.problems
    assert [(p.row, p.column, p.value) for p in problems] == [
        (4, "COR_NB_SC_LAT", "2x"),
        (5, "COR_CD_NS_LAT", "Q"),
    ]
    assert problems[0].file == "anfr.zip:SUP_SUPPORT.txt"


def test_anfr_minutes_out_of_range(tmp_path: Path) -> None:
    supports = [SUPPORTS[0].replace(";50;37;12,5;N;", ";50;60;0;N;")]
    with pytest.raises(InputError) as info:
        read_anfr(write_zip(tmp_path / "anfr.zip", anfr_tables(supports)))
    assert info.value.problems[0].column == "COR_NB_MN_LAT"


def test_anfr_unreadable_and_truncated_zip(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError) as info:
        read_anfr(garbage)
    assert info.value.code == "bad_archive"
    whole = write_zip(tmp_path / "whole.zip", anfr_tables()).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError):
        read_anfr(cut)


def test_anfr_bad_date_and_short_row(tmp_path: Path) -> None:
    tables = anfr_tables()
    tables["SUP_STATION.txt"] = tables["SUP_STATION.txt"].replace("12/05/2012\n", "31/02/2012\n")
    with pytest.raises(InputError) as info:
        read_anfr(write_zip(tmp_path / "a.zip", tables))
    assert (info.value.problems[0].row, info.value.problems[0].column) == (3, "DTE_EN_SERVICE")
    tables = anfr_tables()
    tables["SUP_EXPLOITANT.txt"] += "5\n"
    with pytest.raises(InputError) as info:
        read_anfr(write_zip(tmp_path / "b.zip", tables))
    assert info.value.problems[0].row == 6
    assert "expected 2 fields, found 1" in str(info.value)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ORANGE", "20801"),
        ("Orange France", "20801"),
        ("SFR", "20810"),
        ("Société Française du Radiotéléphone", "20810"),
        ("Free Mobile", "20815"),
        ("FREE MOBILE SAS", "20815"),
        ("Bouygues Télécom", "20820"),
        ("BOUYGUES TELECOM", "20820"),
        ("TDF", None),
        ("Orangina", None),
    ],
)
def test_operator_code_by_name(name: str, code: str | None) -> None:
    assert operator_code(name) == code


ARCEP_HEADER = (
    "code_op;nom_op;num_site;id_site_partage;id_station_anfr;x;y;latitude;longitude;nom_com;"
    "insee_com;site_2g;site_3g;site_4g;site_5g;site_capa_240mbps;date_ouverturecommerciale_5g;"
    "site_5g_700_m_hz;site_5g_800_m_hz;site_5g_1800_m_hz;site_5g_2100_m_hz;site_5g_3500_m_hz"
)


def write_arcep(path: Path, rows: list[str], encoding: str = "cp1252") -> Path:
    path.write_bytes(("\r\n".join([ARCEP_HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def test_arcep_sites_decimal_comma_and_lambert93(tmp_path: Path) -> None:
    rows = [
        "20801;Orange;00012345;;0591230001;704000;7059000;50,62;3,06;Lille;59350;1;1;1;1;1;"
        "2020-12-10;1;0;0;0;1",
        # only Lambert-93: (700000, 6600000) is the projection origin, 3° E 46.5° N
        "20820;Bouygues Telecom;B-77;;;700000;6600000;;;Châteauroux;36044;1;1;1;0;0;;0;0;0;0;0",
        "20810;SFR;S9;;;704000.5;7059000.5;50.6;3.1;Villeneuve-d'Ascq;59009;0;0;1;1;0;"
        "15/01/2021;0;0;0;1;0",
    ]
    result = read_sites(write_arcep(tmp_path / "2024_T1_sites_Metropole.csv", rows))
    assert result.source == "arcep"
    frame = result.frame
    assert frame["station_id"].tolist() == ["0591230001", "B-77", "S9"]
    assert frame["lat"].tolist()[0] == pytest.approx(50.62)
    assert frame["lon"].tolist()[0] == pytest.approx(3.06)
    assert frame["lon"].tolist()[1] == pytest.approx(3.0, abs=1e-7)
    assert frame["lat"].tolist()[1] == pytest.approx(46.5, abs=1e-7)
    assert frame["systems"].tolist() == [["2G", "3G", "4G", "5G"], ["2G", "3G", "4G"], ["4G", "5G"]]
    assert frame["bands"].tolist() == [["NR 700", "NR 3500"], [], ["NR 2100"]]
    assert frame["has_5g"].tolist() == [True, False, True]
    assert frame["in_service_on"].tolist() == [dt.date(2020, 12, 10), None, dt.date(2021, 1, 15)]
    assert frame["insee"].tolist() == ["59350", "36044", "59009"]
    assert frame["source_row"].tolist() == [2, 3, 4]


def test_arcep_sites_bad_flag_and_coordinate(tmp_path: Path) -> None:
    rows = [
        "20801;Orange;1;;;;;50,62;abc;Lille;59350;1;1;1;1;1;;0;0;0;0;1",
        "20801;Orange;2;;;;;50,62;3,06;Lille;59350;1;1;1;oui;1;;0;0;0;0;1",
    ]
    with pytest.raises(InputError) as info:
        read_arcep_sites(write_arcep(tmp_path / "sites.csv", rows))
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [
        (2, "longitude", "abc"),
        (3, "site_5g", "oui"),
    ]


def test_arcep_sites_missing_column_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text("code_op;nom_op;num_site\n20801;Orange;1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_arcep_sites(path)
    assert info.value.code == "missing_column"
    assert "site_5g" in str(info.value)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_arcep_sites(empty)
    assert info.value.code == "empty_file"


def test_read_sites_refuses_unknown_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_sites(path)
    assert info.value.code == "unknown_layout"


NUMBERISH = st.text(alphabet="0123456789,.-+eEnaif NSWO", max_size=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=st.lists(NUMBERISH, min_size=8, max_size=8))
def test_any_dms_gives_degrees_or_an_input_error(tmp_path: Path, fields: list[str]) -> None:
    row = "101;0591230001;11;" + ";".join(fields) + ";30;1;;;;;59000;59350"
    path = write_zip(tmp_path / "fuzz.zip", anfr_tables([row]))
    try:
        frame = read_anfr(path).frame
    except InputError as exc:
        assert all(p.row == 2 for p in exc.problems)
    else:
        assert -90 <= frame["lat"].iloc[0] <= 90
        assert -180 <= frame["lon"].iloc[0] <= 180


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300))
def test_any_arcep_body_gives_a_frame_or_an_input_error(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(ARCEP_HEADER.encode() + b"\n" + body)
    try:
        frame = read_arcep_sites(path).frame
    except InputError as exc:
        assert exc.problems
    else:
        assert frame["lat"].between(-90, 90).all()
