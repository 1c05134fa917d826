"""Per-building FTTH files: IPE and ARCEP buildings, streamed in chunks (FORMATS.md §3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geodata.errors import InputError
from geodata.premises import open_premises, size_class_premises, summarise_chunk

DATA = Path(__file__).parent / "data" / "premises"

IPE_HEADER = [
    "IdentifiantImmeuble", "CodeAdresseImmeuble", "CodeInseeImmeuble", "CodePostalImmeuble",
    "CommuneImmeuble", "NumeroVoieImmeuble", "TypeVoieImmeuble", "NomVoieImmeuble",
    "NombreLogementsAdresseIPE", "EtatImmeuble", "TypeImmeuble", "TypeProjectionGeographique",
    "CoordonneeImmeubleX", "CoordonneeImmeubleY", "DateSignatureConvention",
    "DateDerniereModification", "CodeOI", "ReferencePM", "EtatPM",
    "DateMiseEnServiceCommercialePM",
]
ARCEP_HEADER = [
    "x", "y", "imb_id", "num_voie", "cp_no_voie", "type_voie", "nom_voie", "batiment",
    "code_insee", "code_poste", "nom_com", "catg_loc_imb", "imb_etat", "pm_ref", "pm_etat",
    "code_l331", "geom_mod", "type_imb", "date_completude",
]


def write_ipe(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8",
              sep: str = ";") -> Path:
    """Write an IPE file as operators exchange it: every main field, decimal comma for `;` files."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            text = repr(value)
            return text.replace(".", ",") if sep == ";" else text
        return "" if value is None else str(value)

    lines = [sep.join(IPE_HEADER)]
    lines += [sep.join(cell(row.get(name)) for name in IPE_HEADER) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def ipe_row(number: int, **fields: object) -> dict[str, object]:
    """A plausible IPE building of Lille (Lambert-93), overridable field by field."""
    row: dict[str, object] = {
        "IdentifiantImmeuble": f"IMB/59350/X/{number:04d}", "CodeAdresseImmeuble": "",
        "CodeInseeImmeuble": "59350", "CodePostalImmeuble": "59000", "CommuneImmeuble": "Lille",
        "NumeroVoieImmeuble": str(number), "TypeVoieImmeuble": "RUE",
        "NomVoieImmeuble": "SOLFERINO",
        "NombreLogementsAdresseIPE": "1", "EtatImmeuble": "DEPLOYE", "TypeImmeuble": "PAVILLON",
        "TypeProjectionGeographique": "RGF93", "CoordonneeImmeubleX": 704000.0,
        "CoordonneeImmeubleY": 7059000.0, "DateSignatureConvention": "20170301",
        "DateDerniereModification": "20231120", "CodeOI": "FRTE", "ReferencePM": "PM-0001",
        "EtatPM": "DEPLOYE", "DateMiseEnServiceCommercialePM": "20180115",
    }
    row.update(fields)
    return row


def read_all(path: Path, **kwargs: object) -> pd.DataFrame:
    return pd.concat(list(open_premises(path, **kwargs).chunks()), ignore_index=True)


def test_ipe_cp1252_semicolon_decimal_comma_lambert93(tmp_path: Path) -> None:
    rows = [
        ipe_row(1, NombreLogementsAdresseIPE="24", TypeImmeuble="IMMEUBLE"),
        ipe_row(2, CodeInseeImmeuble="59011", CommuneImmeuble="Annœullin",
                NomVoieImmeuble="RUE DE L'ÉGLISE", EtatImmeuble="EN COURS DE DEPLOIEMENT",
                CoordonneeImmeubleX=695210.5, CoordonneeImmeubleY=7040120.25, CodeOI="SFR0"),
        ipe_row(3, CodeInseeImmeuble="59346", CommuneImmeuble="Lezennes",
                EtatImmeuble="RACCORDABLE DEMANDE", DateDerniereModification="15/01/2024"),
    ]
    path = write_ipe(tmp_path / "IPE_FRTE_20240115.csv", rows, encoding="cp1252")
    assert b"Ann\x9cullin" in path.read_bytes()  # really cp1252, really decimal commas
    assert b"695210,5" in path.read_bytes()

    opened = open_premises(path)
    assert (opened.format, opened.encoding, opened.delimiter) == ("ipe", "cp1252", ";")
    assert opened.as_of == dt.date(2024, 1, 15)
    df = read_all(path)
    assert list(df.columns) == [
        "building_id", "operator_code", "insee", "lon", "lat", "premises",
        "premises_estimated", "status", "status_date", "source_row"]

    to_wgs84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(704000.0, 7059000.0)
    assert df.loc[0, "lon"] == pytest.approx(lon, abs=1e-9)
    assert df.loc[0, "lat"] == pytest.approx(lat, abs=1e-9)
    assert (round(lon, 2), round(lat, 2)) == (3.06, 50.63)  # Lille, near the town hall
    lon2, lat2 = to_wgs84.transform(695210.5, 7040120.25)
    assert (df.loc[1, "lon"], df.loc[1, "lat"]) == (pytest.approx(lon2), pytest.approx(lat2))

    assert list(df["building_id"]) == ["IMB/59350/X/0001", "IMB/59350/X/0002", "IMB/59350/X/0003"]
    assert list(df["insee"]) == ["59350", "59011", "59346"]
    assert list(df["operator_code"]) == ["FRTE", "SFR0", "FRTE"]
    assert list(df["premises"]) == [24, 1, 1]
    assert str(df["premises"].dtype) == "int32"
    assert not df["premises_estimated"].any()
    assert list(df["status"]) == ["deploye", "en_cours_deploiement", "raccordable_demande"]
    assert list(df["status_date"]) == [pd.Timestamp("2023-11-20"), pd.Timestamp("2023-11-20"),
                                       pd.Timestamp("2024-01-15")]
    assert list(df["source_row"]) == [2, 3, 4]


def test_arcep_building_file_comma_wgs84_size_classes() -> None:
    path = DATA / "carte_fibre_immeubles_2024_Q3_extrait_mel.csv"
    opened = open_premises(path)
    assert (opened.format, opened.delimiter) == ("arcep_immeubles", ",")
    assert opened.as_of == dt.date(2024, 9, 30)
    df = pd.concat(list(opened.chunks()), ignore_index=True)
    # Values as written in the file, x = longitude and y = latitude.
    assert list(df["lon"]) == [3.063547, 3.176321, 3.158412, 3.105002, 3.017711]
    assert list(df["lat"]) == [50.636921, 50.689144, 50.723617, 50.654180, 50.613201]
    assert list(df["insee"]) == ["59350", "59512", "59599", "59163", "59328"]
    assert list(df["premises"]) == [1, 2, 12, 101, 1]
    assert df["premises_estimated"].all()
    assert df["operator_code"].iloc[0] == "FRTE"
    assert df["operator_code"].iloc[1:].isna().all()
    assert list(df["status"]) == ["deploye", "deploye", "raccordable_demande", "cible", "abandonne"]
    assert df.loc[0, "status_date"] == pd.Timestamp("2019-03-15")
    assert pd.isna(df.loc[3, "status_date"])
    assert opened.warnings["premises estimated from building size class"] == 5
    assert opened.warnings["unknown building size class counted as 1 premises"] == 1


@pytest.mark.parametrize(("label", "expected"), [
    ("individuel", 1), ("entre 2 et 11", 2), ("entre 12 et 100", 12), ("plus de 100", 101),
    ("12 et plus", 12), ("Individuel", 1), ("moins de 12", 1), ("inconnu", None),
])
def test_size_class_lower_bound(label: str, expected: int | None) -> None:
    assert size_class_premises(label) == expected


@pytest.mark.parametrize(("written", "status"), [
    ("CIBLE", "cible"), ("SIGNE", "signe"), ("SIGNÉ", "signe"),
    ("EN COURS DE DEPLOIEMENT", "en_cours_deploiement"),
    ("en cours de déploiement", "en_cours_deploiement"),
    ("EN_COURS_DEPLOIEMENT", "en_cours_deploiement"),
    ("DEPLOYE", "deploye"), ("Déployé", "deploye"), ("deploye", "deploye"),
    ("RACCORDABLE DEMANDE", "raccordable_demande"), ("raccordable_demande", "raccordable_demande"),
    ("RAD EN COURS DE DEPLOIEMENT", "rad_en_cours_deploiement"),
    ("rad en cours deploiement", "rad_en_cours_deploiement"),
    ("ABANDONNE", "abandonne"), ("abandonné", "abandonne"),
])
def test_every_status_value_is_mapped(tmp_path: Path, written: str, status: str) -> None:
    path = write_ipe(tmp_path / "ipe_2024-01-15.csv", [ipe_row(1, EtatImmeuble=written)])
    assert read_all(path)["status"].tolist() == [status]


def test_wgs84_projection_and_epsg_code_kept_as_is(tmp_path: Path) -> None:
    rows = [
        ipe_row(1, TypeProjectionGeographique="WGS84", CoordonneeImmeubleX=3.07,
                CoordonneeImmeubleY=50.63),
        ipe_row(2, TypeProjectionGeographique="EPSG:4326", CoordonneeImmeubleX=3.1,
                CoordonneeImmeubleY=50.7),
        ipe_row(3, TypeProjectionGeographique="2154"),
    ]
    df = read_all(write_ipe(tmp_path / "ipe_20240115.csv", rows))
    assert list(df["lon"][:2]) == [3.07, 3.1]
    assert list(df["lat"][:2]) == [50.63, 50.7]
    assert df.loc[2, "lat"] == pytest.approx(50.628, abs=1e-3)


def test_projection_guessed_when_absent_and_unknown_projection_refused(tmp_path: Path) -> None:
    rows = [ipe_row(1, TypeProjectionGeographique=""),
            ipe_row(2, TypeProjectionGeographique="", CoordonneeImmeubleX=3.07,
                    CoordonneeImmeubleY=50.63)]
    path = write_ipe(tmp_path / "ipe_20240115.csv", rows)
    opened = open_premises(path)
    df = pd.concat(list(opened.chunks()))
    assert df["lat"].round(2).tolist() == [50.63, 50.63]
    assert df["lon"].round(2).tolist() == [3.06, 3.07]
    assert opened.warnings["projection guessed from coordinate magnitude"] == 2
    bad = write_ipe(tmp_path / "ipe_20240116.csv", [ipe_row(1, TypeProjectionGeographique="NTF")])
    with pytest.raises(InputError) as err:
        read_all(bad)
    problem = err.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (2, "TypeProjectionGeographique", "NTF")


def test_chunk_boundaries_do_not_change_totals(tmp_path: Path) -> None:
    statuses = ["DEPLOYE", "RACCORDABLE DEMANDE", "CIBLE", "RAD EN COURS DE DEPLOIEMENT",
                "DEPLOYE", "ABANDONNE", "DEPLOYE"]
    rows = [ipe_row(i, EtatImmeuble=s, NombreLogementsAdresseIPE=str(i + 1),
                    CodeInseeImmeuble="59350" if i % 2 else "59512")
            for i, s in enumerate(statuses)]
    path = write_ipe(tmp_path / "ipe_20240115.csv", rows)
    # By hand: premises 1..7; odd i (59350): 2 RAD, 4 RAD, 6 ABANDONNE;
    # even i (59512): 1 DEPLOYE, 3 CIBLE, 5 DEPLOYE, 7 DEPLOYE.
    expected = {
        ("59350", "FRTE"): (12, 0, 6, 6, 3),
        ("59512", "FRTE"): (16, 13, 0, 0, 4),
    }
    for chunksize in (1, 2, 3, 7, 100):
        opened = open_premises(path, chunksize=chunksize)
        parts = [summarise_chunk(chunk) for chunk in opened.chunks()]
        total = pd.concat(parts).groupby(["insee", "operator_code"]).sum()
        got = {key: tuple(int(v) for v in row) for key, row in total.iterrows()}
        assert got == expected, chunksize


def test_summary_keeps_buildings_without_commune(tmp_path: Path) -> None:
    rows = [ipe_row(1, CodeInseeImmeuble="", NombreLogementsAdresseIPE="5"), ipe_row(2)]
    summary = summarise_chunk(read_all(write_ipe(tmp_path / "ipe_20240115.csv", rows)))
    assert len(summary) == 2
    missing = summary[summary["insee"].isna()]
    assert missing["premises_total"].tolist() == [5]
    assert missing["connectable"].tolist() == [5]


@pytest.mark.parametrize(("name", "expected"), [
    ("carte_fibre_immeubles_2024_Q3_national.csv", dt.date(2024, 9, 30)),
    ("2023_T4_carte_fibre_immeubles.csv", dt.date(2023, 12, 31)),
    ("carte_fibre_immeubles_2025_Q1_20250510.csv", dt.date(2025, 3, 31)),
])
def test_arcep_as_of_is_quarter_end(tmp_path: Path, name: str, expected: dt.date) -> None:
    path = tmp_path / name
    path.write_text("x,y,imb_id,imb_etat\n3.06,50.63,A,deploye\n", encoding="utf-8")
    assert open_premises(path).as_of == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("IPE_FRTE_20240115_0930.csv", dt.date(2024, 1, 15)),
    ("ipe-sfr0-2023-06-30.csv", dt.date(2023, 6, 30)),
    ("IPE_COAG_2022_T2_20220702.csv", dt.date(2022, 7, 2)),
])
def test_ipe_as_of_is_the_day_in_the_name(tmp_path: Path, name: str, expected: dt.date) -> None:
    assert open_premises(write_ipe(tmp_path / name, [ipe_row(1)])).as_of == expected


def test_as_of_argument_wins_and_is_required_without_a_date(tmp_path: Path) -> None:
    path = write_ipe(tmp_path / "ipe_export.csv", [ipe_row(1)])
    with pytest.raises(InputError) as err:
        open_premises(path)
    assert err.value.code == "missing_as_of"
    assert "--as-of" in str(err.value)
    assert open_premises(path, as_of=dt.date(2024, 2, 1)).as_of == dt.date(2024, 2, 1)


def test_bad_values_are_reported_with_their_line(tmp_path: Path) -> None:
    rows = [
        ipe_row(1),
        ipe_row(2, EtatImmeuble="EN ATTENTE"),
        ipe_row(3, NombreLogementsAdresseIPE="douze"),
        ipe_row(4, CoordonneeImmeubleX="70A000"),
        ipe_row(5, IdentifiantImmeuble=""),
        ipe_row(6, TypeProjectionGeographique="WGS84", CoordonneeImmeubleY=250.0),
        ipe_row(7, CoordonneeImmeubleX=9000000.0),
        ipe_row(8, CodeInseeImmeuble="5935"),  # repaired to 05935, valid
        ipe_row(9, CodeInseeImmeuble="LILLE"),
    ]
    path = write_ipe(tmp_path / "ipe_20240115.csv", rows)
    with pytest.raises(InputError) as err:
        read_all(path)
    got = [(p.row, p.column, p.value) for p in err.value.problems]
    assert got == [
        (3, "EtatImmeuble", "EN ATTENTE"),
        (4, "NombreLogementsAdresseIPE", "douze"),
        (5, "CoordonneeImmeubleX", "70A000"),
        (6, "IdentifiantImmeuble", None),
        (7, "CoordonneeImmeubleX/CoordonneeImmeubleY", "704000,0 250,0"),
        (8, "CoordonneeImmeubleX/CoordonneeImmeubleY", "9000000,0 7059000,0"),
        (10, "CodeInseeImmeuble", "LILLE"),
    ]
    assert all(p.file == "ipe_20240115.csv" for p in err.value.problems)
    assert "unknown building status" in err.value.problems[0].reason
    assert err.value.code == "bad_value"


def test_blank_lines_keep_line_numbers_true(tmp_path: Path) -> None:
    path = write_ipe(tmp_path / "ipe_20240115.csv", [ipe_row(1), ipe_row(2, EtatImmeuble="X")])
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:2] + [b"", b""] + lines[2:]))
    opened = open_premises(path)
    with pytest.raises(InputError) as err:
        list(opened.chunks())
    assert [p.row for p in err.value.problems] == [5]
    assert opened.warnings["blank lines skipped"] == 2


def test_error_raised_at_the_end_of_the_chunk_that_holds_it(tmp_path: Path) -> None:
    rows = [ipe_row(i) for i in range(5)] + [ipe_row(5, EtatImmeuble="?")]
    chunks = open_premises(write_ipe(tmp_path / "ipe_20240115.csv", rows), chunksize=3).chunks()
    assert len(next(chunks)) == 3
    with pytest.raises(InputError) as err:
        next(chunks)
    assert err.value.problems[0].row == 7


def test_missing_required_columns_lists_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "ipe_20240115.csv"
    path.write_text("IdentifiantImmeuble;CodeInseeImmeuble;EtatImmeuble\nA;59350;DEPLOYE\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        open_premises(path)
    message = str(err.value)
    assert err.value.code == "missing_column"
    assert "CoordonneeImmeubleX" in message and "NombreLogementsAdresseIPE" in message
    assert "found ['IdentifiantImmeuble', 'CodeInseeImmeuble', 'EtatImmeuble']" in message


def test_unknown_layout_and_empty_file(tmp_path: Path) -> None:
    other = tmp_path / "sites_20240101.csv"
    other.write_text("code_op;num_site\n20801;1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        open_premises(other)
    assert err.value.code == "unknown_layout"
    assert "code_op" in str(err.value)
    empty = tmp_path / "ipe_20240101.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as err:
        open_premises(empty)
    assert err.value.code == "empty_file"


def test_cp1252_byte_after_the_first_megabyte_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "carte_fibre_immeubles_2024_Q1.csv"
    line = "3.06,50.63,IMB{:06d},deploye,Lille\n"
    count = 40_000  # ~1.3 MB of UTF-8 before the bad byte
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("x,y,imb_id,imb_etat,nom_com\n")
        fh.writelines(line.format(i) for i in range(count))
    with open(path, "ab") as fh:
        fh.write("3.06,50.63,IMBX,deploye,Lézennes\n".encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    opened = open_premises(path)
    assert opened.encoding == "utf-8-sig"
    with pytest.raises(InputError) as err:
        list(opened.chunks())
    assert err.value.code == "bad_encoding"
    assert err.value.problems[0].row == count + 2


def test_unterminated_quote_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "carte_fibre_immeubles_2024_Q1.csv"
    path.write_text('x,y,imb_id,imb_etat\n3.06,50.63,A,deploye\n3.06,"50.63,B,deploye\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(open_premises(path).chunks())
    assert err.value.code == "malformed_csv"
    assert err.value.problems[0].row == 3


def test_streams_300k_rows_one_chunk_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "carte_fibre_immeubles_2024_Q2_test.csv"
    n = 300_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(ARCEP_HEADER) + "\n")
        for i in range(n):
            state = "deploye" if i % 3 else "raccordable demande"
            insee = "59350" if i % 2 else "59512"
            fh.write(f"3.0{i % 10},50.6{i % 7},IMB{i:07d},1,,RUE,DE LA GARE,,{insee},59000,"
                     f"Lille,individuel,{state},PM1,deploye,,,PA,2020-01-01\n")
    opened = open_premises(path, chunksize=50_000)
    lengths, rows_seen, parts = [], 0, []
    for chunk in opened.chunks():
        lengths.append(len(chunk))
        assert chunk["source_row"].iloc[0] == rows_seen + 2
        rows_seen += len(chunk)
        parts.append(summarise_chunk(chunk))
    assert lengths == [50_000] * 6
    totals = pd.concat(parts).groupby("insee", dropna=False).sum(numeric_only=True)
    # i multiple of 3 -> RAD: 100,000 of them, half odd (59350) and half even (59512).
    assert totals.loc["59350", "premises_total"] == 150_000
    assert totals.loc["59512", "buildings"] == 150_000
    assert totals["rad"].sum() == 100_000
    assert totals["connectable"].sum() == 200_000
    assert totals.loc["59350", "rad"] == 50_000


_TOKENS = [
    "3.06", "50.63", "704000", "1e400", "nan", "inf", "A", "deploye", "cible", "individuel",
    "entre 2 et 11", "\"", ",", ";", "\n", "\r\n", "é", " ", "-",
]


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(_TOKENS), max_size=60).map(lambda t: "".join(t).encode()),
))
def test_arbitrary_bytes_give_input_error_or_frames(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "carte_fibre_immeubles_2024_Q1.csv"
    path.write_bytes(b"x,y,imb_id,imb_etat,catg_loc_imb\n" + body)
    try:
        for chunk in open_premises(path, chunksize=3).chunks():
            assert len(chunk) <= 3
    except InputError as err:
        assert err.problems
