"""Tests of the ARCEP per-commune observatory reader against the real T1 2018 files.

Every expected figure was read by hand from the real CSV files shipped in
rollout/demo_data/real (line numbers as shown by ``grep -n``).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geodata.arcep import read_arcep
from geodata.errors import InputError

REAL = Path(__file__).resolve().parents[1] / "rollout" / "demo_data" / "real"
INFO = REAL / "arcep_obs_2018t1_communes_info_dep59.csv"
DEPLOYMENT = REAL / "arcep_obs_2018t1_ftth_communes_dep59.csv"
LILLE_INFO_LINE = 353
VDA_INFO_LINE = 604
LILLE_DEPLOYMENT_LINE = 686
NBSP, NNBSP = "\u00a0", "\u202f"
T3_2017, T4_2017, T1_2018 = dt.date(2017, 9, 30), dt.date(2017, 12, 31), dt.date(2018, 3, 31)
TITLES = [["Réseaux en fibre optique jusqu'à l'abonné (FttH)"], ["Communes"], [], []]


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _number(text: str) -> int:
    """Independent parse of the real files' numbers (' 1 880    ' with NBSP, '-')."""
    text = text.replace(NBSP, "").replace(" ", "")
    return 0 if text == "-" else int(text)


def _lille(frame, column="insee"):
    return frame[frame[column] == "59350"]


def _series(progress, insee="59350") -> dict[dt.date, int]:
    rows = progress[progress["insee"] == insee]
    return dict(zip(rows["observed_on"], rows["connectable"].astype(int), strict=True))


def _layout_2020(quarter_labels: list[str], estimate_header: str) -> list[list[object]]:
    """Rebuild the real T1 2018 figures in the 2020+ single-sheet layout (header + rows)."""
    connectable = {r[0]: r[2:5] for r in _rows(DEPLOYMENT)[5:] if r[1] == "Locaux Raccordables"}
    header = ["Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI",
              "EPCI AMII", "Logements", "Établissements", estimate_header,
              "Source retenue T1 2018", "Nombre locaux IPE T1 2018 (somme tous OI)",
              "Engagements L. 33-13 et AMEL", "Intentions privées hors engagement L. 33-13",
              "OI T1 2018", "Commune rurale", "Commune de montagne", "Zones très denses",
              "Estimation locaux en cours de construction", *quarter_labels]
    out: list[list[object]] = [header]
    for r in _rows(INFO)[5:]:
        lodgings, firms = _number(r[5]), _number(r[6])
        out.append([r[0], r[1], r[3], r[2], r[4], "-", lodgings, firms, lodgings + firms,
                    "INSEE", "-", r[8], r[9], r[12], r[10], r[11], r[7], "-",
                    *[int(v) for v in connectable[r[0]]]])
    return out


def _dash_zeros(rows: list[list[object]]) -> None:
    for row in rows[1:]:
        for i, value in enumerate(row):
            if value == 0:
                row[i] = "-"


def _write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def _write_csv(path: Path, rows: list[list[object]], *, delimiter=",", encoding="utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def _edited_info(tmp_path: Path, line: int, column: int, value: str) -> Path:
    rows = _rows(INFO)
    rows[line - 1][column] = value
    return _write_csv(tmp_path / "info.csv", rows)


def _problem(exc: InputError):
    assert len(exc.problems) == 1, [str(p) for p in exc.problems]
    return exc.problems[0]


# --- real files -----------------------------------------------------------------------------

def test_real_info_sheet():
    read = read_arcep(INFO)
    assert read.layout == "2018-info"
    assert read.progress is None
    assert read.vintage == T1_2018
    communes = read.communes
    assert len(communes) == 648
    assert communes["insee"].is_unique
    lille = _lille(communes).iloc[0]
    assert lille["name"] == "Lille"
    assert (lille["logements"], lille["etablissements"]) == (133879, 8180)
    assert lille["premises"] == 133879 + 8180 == 142059
    assert lille["premises_method"] == "insee"
    assert lille["premises_as_of"] == T1_2018
    assert lille["oi"] == "FREE-FRTE-SFR0"
    assert lille["committed_operators"] == ""
    assert lille["epci_siren"] == "245900410"
    assert lille["source_row"] == LILLE_INFO_LINE
    vda = communes[communes["insee"] == "59009"].iloc[0]
    assert vda["name"] == "Villeneuve-d'Ascq"
    assert vda["committed_operators"] == "FRTE"
    assert str(communes["premises"].dtype) == "Int64"
    # A commune with no infrastructure operator in T1 2018 (line 6, Abancourt).
    assert communes[communes["insee"] == "59001"].iloc[0]["oi"] == ""


def test_real_deployment_sheet():
    read = read_arcep(DEPLOYMENT)
    assert read.layout == "2018-deployment"
    assert read.communes is None
    assert read.vintage == T1_2018
    progress = read.progress
    assert progress["insee"].nunique() == 648
    assert len(progress) == 648 * 3
    assert _series(progress) == {T3_2017: 58498, T4_2017: 59275, T1_2018: 59696}
    lille = _lille(progress)
    assert set(lille["source_row"]) == {LILLE_DEPLOYMENT_LINE}
    assert list(lille.sort_values("observed_on")["source_column"]) == [
        "T3 2017", "T4 2017", "T1 2018"]
    assert _series(progress, "59009") == {T3_2017: 21009, T4_2017: 22654, T1_2018: 23337}


def test_2018_workbook_with_both_sheets(tmp_path):
    deployment = _rows(DEPLOYMENT)
    for row in deployment[5:]:
        row[2:] = [int(v) for v in row[2:]]
    path = _write_xlsx(tmp_path / "2018t1-obs-hd-thd-deploiement.xlsx", {
        "Lisez-moi": [["Observatoire HD/THD"], ["Sources : Arcep"]],
        "Communes": _rows(INFO),
        "Déploiement FttH par commune": deployment,
        "Débits": [["Code commune", "Débit médian"], ["59350", "30"]],
    })
    read = read_arcep(path)
    assert read.layout == "2018-workbook"
    assert any("'Débits'" in w and "ignored" in w for w in read.warnings)
    assert read.vintage == T1_2018
    assert len(read.communes) == 648
    lille = _lille(read.communes).iloc[0]
    assert (lille["premises"], lille["premises_method"]) == (142059, "insee")
    assert lille["source_row"] == LILLE_INFO_LINE
    assert _series(read.progress) == {T3_2017: 58498, T4_2017: 59275, T1_2018: 59696}


# --- 2020+ layout rebuilt from the real figures ---------------------------------------------

def test_2020_layout_xlsx_with_text_numbers(tmp_path):
    rows = _layout_2020(["T3 2017", "T4 2017", "T1 2018"],
                        "Meilleure estimation des locaux T1 2018")
    _dash_zeros(rows)
    lille = next(r for r in rows if r[0] == "59350")
    lille[6:9] = [f"133{NBSP}879", f"8{NNBSP}180", f"142{NNBSP}059"]
    lille[-3:] = [f"58{NBSP}498", 59275, f" 59{NNBSP}696 "]
    path = _write_xlsx(tmp_path / "2018t1.xlsx", {
        "Lisez-moi": [["Ce fichier rassemble..."]],
        "Feuil1": TITLES + rows,  # picked by its header, not by its name
    })
    read = read_arcep(path)
    assert read.layout == "2020"
    assert read.vintage == T1_2018
    assert len(read.communes) == 648
    commune = _lille(read.communes).iloc[0]
    assert commune["premises"] == 142059
    assert (commune["logements"], commune["etablissements"]) == (133879, 8180)
    assert commune["premises_method"] == "best_estimate"
    assert commune["premises_as_of"] == T1_2018
    assert commune["oi"] == "FREE-FRTE-SFR0"
    assert commune["source_row"] == 4 + 1 + LILLE_INFO_LINE - 5
    assert read.communes[read.communes["insee"] == "59009"].iloc[0]["committed_operators"] == "FRTE"
    assert _series(read.progress) == {T3_2017: 58498, T4_2017: 59275, T1_2018: 59696}
    # '-' is zero: Abancourt had nothing connectable.
    assert _series(read.progress, "59001") == {T3_2017: 0, T4_2017: 0, T1_2018: 0}
    assert len(read.progress) == 648 * 3


def test_2020_layout_cp1252_semicolon_csv(tmp_path):
    rows = TITLES + _layout_2020(["2017 T3", "2017 T4", "2018 T1"],
                                 "Meilleure estimation des locaux T1 2018")
    lille = next(r for r in rows if r and r[0] == "59350")
    lille[6:9] = [f" 133{NBSP}879 ", "8 180", f"142{NBSP}059"]  # cp1252 has no U+202F
    path = _write_csv(tmp_path / "communes.csv", rows, delimiter=";", encoding="cp1252")
    assert "Armenti\xe8res".encode("cp1252") in path.read_bytes()
    read = read_arcep(path)
    assert read.layout == "2020"
    commune = _lille(read.communes).iloc[0]
    assert (commune["premises"], commune["logements"]) == (142059, 133879)
    assert read.communes[read.communes["insee"] == "59017"].iloc[0]["name"] == "Armentières"
    assert _series(read.progress) == {T3_2017: 58498, T4_2017: 59275, T1_2018: 59696}
    assert set(_lille(read.progress)["source_column"]) == {"2017 T3", "2017 T4", "2018 T1"}


@pytest.mark.parametrize(("estimate_header", "as_of"), [
    ("Meilleure estimation des locaux T4 2017", T4_2017),
    ("Meilleure estimation des locaux à date", T1_2018),  # no quarter: the latest column
])
def test_2020_premises_as_of(tmp_path, estimate_header, as_of):
    rows = _layout_2020(["T3 2017", "T4 2017", "T1 2018"], estimate_header)
    read = read_arcep(_write_csv(tmp_path / "c.csv", TITLES + rows))
    assert read.vintage == T1_2018
    assert set(read.communes["premises_as_of"]) == {as_of}


def test_numeric_insee_codes_are_padded(tmp_path):
    rows = _layout_2020(["T1 2018"], "Meilleure estimation des locaux T1 2018")[:2]
    rows[1][0] = "1001"
    read = read_arcep(_write_csv(tmp_path / "c.csv", rows))
    assert list(read.communes["insee"]) == ["01001"]
    assert any("leading zero" in w for w in read.warnings)


def test_blank_premises_is_missing_not_zero(tmp_path):
    read = read_arcep(_edited_info(tmp_path, LILLE_INFO_LINE, 5, "   "))
    lille = _lille(read.communes).iloc[0]
    assert lille["logements"] is pd.NA and lille["premises"] is pd.NA
    assert lille["etablissements"] == 8180
    assert any(w.endswith("without a premises figure (blank cells): 1") for w in read.warnings)


# --- errors ---------------------------------------------------------------------------------

def test_missing_header(tmp_path):
    rows = _rows(INFO)
    rows[4][0] = "Commune"
    with pytest.raises(InputError) as info:
        read_arcep(_write_csv(tmp_path / "info.csv", rows))
    assert info.value.code == "missing_header"
    assert "Code commune" in str(info.value)


def test_unknown_layout_lists_columns(tmp_path):
    rows = [["Code commune", "Débit moyen", "Foo"], ["59350", "1", "2"]]
    path = _write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(InputError) as info:
        read_arcep(path)
    assert info.value.code == "unknown_layout"
    assert "'Débit moyen'" in str(info.value) and "'Foo'" in str(info.value)


@pytest.mark.parametrize(("column", "name", "value", "reason"), [
    (5, "Logements", "beaucoup", "not a whole number"),
    (6, "Établissements", "-12", "negative"),
    (0, "Code commune", "5935X", "INSEE"),
])
def test_bad_values_located(tmp_path, column, name, value, reason):
    with pytest.raises(InputError) as info:
        read_arcep(_edited_info(tmp_path, LILLE_INFO_LINE, column, value))
    problem = _problem(info.value)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "info.csv", LILLE_INFO_LINE, name, value)
    assert reason in problem.reason


def test_duplicate_commune(tmp_path):
    with pytest.raises(InputError) as info:
        read_arcep(_edited_info(tmp_path, VDA_INFO_LINE, 0, "59350"))
    problem = _problem(info.value)
    assert (problem.row, problem.column, problem.value) == (VDA_INFO_LINE, "Code commune", "59350")
    assert str(LILLE_INFO_LINE) in problem.reason


def test_bad_deployment_count_located(tmp_path):
    rows = _rows(DEPLOYMENT)
    rows[LILLE_DEPLOYMENT_LINE - 1][3] = "59 275 ?"
    with pytest.raises(InputError) as info:
        read_arcep(_write_csv(tmp_path / "ftth.csv", rows))
    problem = _problem(info.value)
    assert (problem.row, problem.column, problem.value) == (
        LILLE_DEPLOYMENT_LINE, "T4 2017", "59 275 ?")


def test_every_problem_is_reported(tmp_path):
    rows = _rows(INFO)
    rows[LILLE_INFO_LINE - 1][5] = "x"
    rows[VDA_INFO_LINE - 1][6] = "y"
    with pytest.raises(InputError) as info:
        read_arcep(_write_csv(tmp_path / "info.csv", rows))
    assert [(p.row, p.value) for p in info.value.problems] == [
        (LILLE_INFO_LINE, "x"), (VDA_INFO_LINE, "y")]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("empty.csv", b"", "empty_file"),
    ("blank.csv", b"\r\n  \r\n", "empty_file"),
    ("header_only.csv", "\n".join(INFO.read_text("utf-8").splitlines()[:5]).encode(), "empty_file"),
    ("garbage.csv", bytes(range(256)) * 8, "unsupported_format"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "unsupported_format"),
    ("fake.xlsx", b"Code commune,Nom commune\n59350,Lille\n", "unreadable"),
])
def test_unusable_files(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_arcep(path)
    assert info.value.code == code
    assert all(p.file == name for p in info.value.problems)


def test_truncated_workbook(tmp_path):
    path = _write_xlsx(tmp_path / "t.xlsx", {"Communes": _rows(INFO)})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError) as info:
        read_arcep(path)
    assert info.value.code == "unreadable"
