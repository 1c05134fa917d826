"""Commitments template: agreements, perimeters and milestones (FORMATS.md §4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.commitments import (
    TEMPLATE_CSV,
    read_commitments,
    referenced_insee,
    write_template,
)
from geodata.errors import InputError

HEADER = ["agreement_id", "agreement_name", "operator_code", "operator_name", "signed_on",
          "source_document", "commune_insee", "metric", "target", "due_on", "rad_cap"]
ORANGE = ["L33-13-FRTE", "Engagements L. 33-13 d'Orange", "FRTE", "Orange", "26/07/2018",
          "Arrêté du 26 juillet 2018 acceptant les engagements d'Orange (art. L. 33-13 CPCE)"]
# MEL communes under Orange's L.33-13 commitment in the ARCEP T1 2018 observatory
# (column "Engagements L. 33-13" = FRTE): Croix, Roubaix, Tourcoing, Wasquehal, Villeneuve-d'Ascq.
ORANGE_COMMUNES = ["59163", "59512", "59599", "59646", "59009"]
EX = ["EX", "Exemple", "ZZZZ", "Opérateur", "2020-01-01", "doc"]


def write_csv(path: Path, rows: list[list[str]], sep: str = ",", encoding: str = "utf-8",
              preamble: list[str] = ()) -> Path:
    """Write rows under the template header, quoting cells that hold the separator."""
    def cell(value: str) -> str:
        return f'"{value}"' if sep in value else value

    lines = list(preamble) + [sep.join(cell(c) for c in r) for r in [HEADER, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def ex(insee: str, metric: str, target: str = "", due_on: str = "", rad_cap: str = "") -> list[str]:
    return EX + [insee, metric, target, due_on, rad_cap]


def perimeter(*codes: str) -> list[list[str]]:
    return [ex(code, "perimeter") for code in codes]


def problems_of(path: Path) -> list[tuple[int | None, str | None, str | None]]:
    with pytest.raises(InputError) as err:
        read_commitments(path)
    return [(p.row, p.column, p.value) for p in err.value.problems]


def test_orange_l33_13_commitment_cp1252_semicolon_french_dates(tmp_path: Path) -> None:
    rows = [ORANGE + [code, "perimeter", "", "", ""] for code in ORANGE_COMMUNES]
    rows += [
        ORANGE + ["", "ftth_connectable_or_rad_share", "100 %", "14/04/2021", "8 %"],
        ORANGE + ["", "ftth_connectable_share", "100 %", "31/12/2022", ""],
    ]
    path = write_csv(tmp_path / "engagements.csv", rows, sep=";", encoding="cp1252",
                     preamble=["Engagements des opérateurs;;;", ";;;"])
    assert "Arrêté".encode("cp1252") in path.read_bytes()
    read = read_commitments(path)

    assert len(read.agreements) == 1
    agreement = read.agreements.iloc[0]
    assert agreement["agreement_id"] == "L33-13-FRTE"
    assert agreement["operator_code"] == "FRTE"
    assert agreement["operator_name"] == "Orange"
    assert agreement["signed_on"] == dt.date(2018, 7, 26)
    assert agreement["source_document"].startswith("Arrêté du 26 juillet 2018")
    assert agreement["source_row"] == 4  # two title lines, header on line 3

    assert list(read.perimeter["insee"]) == ORANGE_COMMUNES
    assert list(read.perimeter["source_row"]) == [4, 5, 6, 7, 8]

    milestones = read.milestones
    assert list(milestones["metric"]) == ["ftth_connectable_or_rad_share",
                                          "ftth_connectable_share"]
    assert list(milestones["insee"]) == [None, None]
    assert list(milestones["target"]) == [1.0, 1.0]
    assert list(milestones["due_on"]) == [dt.date(2021, 4, 14), dt.date(2022, 12, 31)]
    assert milestones["rad_cap"].iloc[0] == pytest.approx(0.08)
    assert milestones["rad_cap"].iloc[1] is None
    assert list(milestones["source_row"]) == [9, 10]
    assert referenced_insee(read) == set(ORANGE_COMMUNES)
    assert read.warnings == []


@pytest.mark.parametrize(("written", "share"), [
    ("0.92", 0.92), ("0,92", 0.92), ("92 %", 0.92), ("92%", 0.92), ("92\u00a0%", 0.92),
    ("1", 1.0), ("0", 0.0), ("100 %", 1.0),
])
def test_share_targets(tmp_path: Path, written: str, share: float) -> None:
    rows = perimeter("59350") + [ex("", "ftth_connectable_share", written, "2022-12-31")]
    read = read_commitments(write_csv(tmp_path / "c.csv", rows))
    assert read.milestones["target"].iloc[0] == pytest.approx(share)


@pytest.mark.parametrize(("written", "count"), [
    ("1120000", 1_120_000), ("1 120 000", 1_120_000), ("1\u202f120\u202f000", 1_120_000),
    ("0", 0), ("3000", 3000),
])
def test_count_targets(tmp_path: Path, written: str, count: int) -> None:
    rows = perimeter("59350") + [ex("", "ftth_connectable_premises", written, "2025-12-31")]
    read = read_commitments(write_csv(tmp_path / "c.csv", rows))
    assert read.milestones["target"].iloc[0] == float(count)


@pytest.mark.parametrize(("written", "day"), [
    ("2022-12-31", dt.date(2022, 12, 31)), ("31/12/2022", dt.date(2022, 12, 31)),
    ("1/3/2021", dt.date(2021, 3, 1)), ("30/09/2022", dt.date(2022, 9, 30)),
])
def test_iso_and_french_dates(tmp_path: Path, written: str, day: dt.date) -> None:
    rows = perimeter("59350") + [ex("59350", "mobile_5g_sites", "12", written)]
    read = read_commitments(write_csv(tmp_path / "c.csv", rows))
    assert read.milestones["due_on"].iloc[0] == day
    assert read.milestones["insee"].iloc[0] == "59350"


def test_xlsx_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "modele.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[1] == "Aide"
    help_text = [r for r in workbook["Aide"].iter_rows(values_only=True)]
    described = {r[0] for r in help_text if r and r[0]}
    assert set(HEADER) <= described
    assert any("périmètre" in str(r[2]) for r in help_text if len(r) > 2 and r[2])
    read = read_commitments(path)
    assert len(read.agreements) == 1
    assert len(read.perimeter) >= 1
    assert set(read.milestones["metric"]) == {
        "ftth_connectable_share", "ftth_connectable_or_rad_share", "ftth_connectable_premises",
        "mobile_5g_sites", "mobile_5g_premises_coverage_share"}
    assert read.warnings == []


def test_csv_template_written_and_shipped_read_back(tmp_path: Path) -> None:
    written = read_commitments(write_template(tmp_path / "modele.csv"))
    shipped = read_commitments(TEMPLATE_CSV)
    for read in (written, shipped):
        assert len(read.milestones) == 5
        assert read.perimeter["insee"].str.fullmatch(r"59\d{3}").all()
    assert (tmp_path / "modele.csv").read_bytes() == TEMPLATE_CSV.read_bytes()
    assert (tmp_path / "modele.csv").read_text(encoding="utf-8").startswith(",".join(HEADER))
    with pytest.raises(ValueError, match="'.ods'"):
        write_template(tmp_path / "modele.ods")


def test_xlsx_with_typed_cells_and_title_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Engagements MEL"])
    sheet.append([])
    sheet.append(HEADER)
    common = ["A1", "Convention", "SFR0", "SFR", dt.datetime(2013, 10, 28), "Convention MEL"]
    sheet.append(common + [59512, "perimeter", None, None, None])
    sheet.append(common + [1001.0, "perimeter", None, None, None])  # Excel dropped the 0
    sheet.append(common + [None, "ftth_connectable_share", 0.95, dt.datetime(2020, 12, 31), None])
    sheet.append(common + [None, "ftth_connectable_premises", 5000, "31/12/2021", None])
    workbook.create_sheet("Autre").append(["agreement_id"])
    workbook.save(tmp_path / "c.xlsx")
    read = read_commitments(tmp_path / "c.xlsx")
    assert read.agreements.iloc[0]["signed_on"] == dt.date(2013, 10, 28)
    assert list(read.perimeter["insee"]) == ["59512", "01001"]
    assert list(read.perimeter["source_row"]) == [4, 5]
    assert list(read.milestones["target"]) == [0.95, 5000.0]
    assert list(read.milestones["due_on"]) == [dt.date(2020, 12, 31), dt.date(2021, 12, 31)]


def test_unknown_metric_lists_valid_ones(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", perimeter("59350") + [ex("", "fibre", "1", "2022-01-01")])
    with pytest.raises(InputError) as err:
        read_commitments(path)
    problem = err.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (3, "metric", "fibre")
    assert "ftth_connectable_or_rad_share" in problem.reason and "perimeter" in problem.reason


@pytest.mark.parametrize(("metric", "target"), [
    ("ftth_connectable_share", "1.5"), ("ftth_connectable_share", "150 %"),
    ("ftth_connectable_or_rad_share", "-0,1"), ("mobile_5g_premises_coverage_share", "92"),
    ("ftth_connectable_share", "beaucoup"), ("ftth_connectable_premises", "12.5"),
    ("mobile_5g_sites", "-3"), ("mobile_5g_sites", "80 %"), ("mobile_5g_sites", ""),
])
def test_bad_targets(tmp_path: Path, metric: str, target: str) -> None:
    rows = perimeter("59350") + [ex("", metric, target, "2022-01-01")]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [(3, "target", target or None)]


def test_due_date_before_signature(tmp_path: Path) -> None:
    rows = perimeter("59350") + [ex("", "mobile_5g_sites", "10", "31/12/2019")]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [(3, "due_on", "31/12/2019")]


def test_unreadable_and_missing_dates(tmp_path: Path) -> None:
    rows = perimeter("59350") + [ex("", "mobile_5g_sites", "10", "31/02/2022"),
                                 ex("", "mobile_5g_sites", "10", "")]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [
        (3, "due_on", "31/02/2022"), (4, "due_on", None)]


def test_duplicate_milestone(tmp_path: Path) -> None:
    rows = perimeter("59350") + [
        ex("59350", "mobile_5g_sites", "10", "2022-12-31"),
        ex("59350", "mobile_5g_sites", "12", "31/12/2022"),
        ex("", "mobile_5g_sites", "12", "31/12/2022"),  # whole perimeter: another milestone
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    with pytest.raises(InputError) as err:
        read_commitments(path)
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [(4, "due_on", "31/12/2022")]
    assert "row 3" in err.value.problems[0].reason


def test_perimeter_row_with_a_target(tmp_path: Path) -> None:
    rows = [ex("59350", "perimeter", "1", "2022-12-31")]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [
        (2, "target", "1"), (2, "due_on", "2022-12-31")]


def test_whole_perimeter_milestone_without_perimeter(tmp_path: Path) -> None:
    rows = [ex("59350", "mobile_5g_sites", "10", "2022-12-31"),
            ex("", "mobile_5g_sites", "10", "2023-12-31")]
    path = write_csv(tmp_path / "c.csv", rows)
    assert problems_of(path) == [(3, "commune_insee", None)]


@pytest.mark.parametrize("code", ["5935", "LILLE", "593500", "2C004"])
def test_malformed_insee(tmp_path: Path, code: str) -> None:
    rows = [ex(code, "perimeter")]
    if code == "5935":  # four digits: a dropped leading zero, repaired to 05935
        assert list(read_commitments(write_csv(tmp_path / "c.csv", rows)).perimeter["insee"]) \
            == ["05935"]
        return
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [(2, "commune_insee", code)]


def test_rad_cap_rules(tmp_path: Path) -> None:
    rows = perimeter("59350") + [
        ex("", "ftth_connectable_share", "1", "2022-12-31", "8 %"),
        ex("", "ftth_connectable_or_rad_share", "1", "2021-04-14", "0,08"),
        ex("", "ftth_connectable_or_rad_share", "1", "2022-09-30", "1,2"),
    ]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [
        (3, "rad_cap", "8 %"), (5, "rad_cap", "1,2")]


def test_conflicting_agreement_fields(tmp_path: Path) -> None:
    other_date = ["EX", "Exemple", "ZZZZ", "Opérateur", "02/01/2020", "doc"]
    other_operator = ["EX", "", "SFR0", "", "", ""]  # empty repetitions are fine
    same_operator = ["EX", "", "zzzz", "", "", ""]  # operator codes compare case-blind
    rows = perimeter("59350") + [
        other_date + ["59512", "perimeter", "", "", ""],
        other_operator + ["59599", "perimeter", "", "", ""],
        ["EX", "", "", "", "01/01/2020", ""] + ["59009", "perimeter", "", "", ""],
        same_operator + ["59163", "perimeter", "", "", ""],
    ]
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [
        (3, "signed_on", "02/01/2020"), (4, "operator_code", "SFR0")]


def test_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("agreement_id,operator_code,commune_insee,metric,target\n"
                    "EX,ZZZZ,59350,perimeter,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_commitments(path)
    problem = err.value.problems[0]
    assert (err.value.code, problem.row) == ("missing_column", 1)
    assert "['signed_on', 'due_on']" in problem.reason
    assert "found ['agreement_id', 'operator_code'" in problem.reason


def test_every_problem_is_collected(tmp_path: Path) -> None:
    rows = perimeter("59350") + [
        ex("", "fibre", "1", "2022-01-01"),
        ex("", "ftth_connectable_share", "2", "2022-01-01"),
        ex("X1", "mobile_5g_sites", "1", "2022-01-01"),
    ]
    rows.append(["", "", "", "", "", "", "59350", "perimeter", "", "", ""])
    assert problems_of(write_csv(tmp_path / "c.csv", rows)) == [
        (3, "metric", "fibre"), (4, "target", "2"), (5, "commune_insee", "X1"),
        (6, "agreement_id", None)]


def test_warnings_for_recoverable_oddities(tmp_path: Path) -> None:
    rows = perimeter("59350", "59350") + [ex("59512", "mobile_5g_sites", "3", "2022-12-31")]
    path = write_csv(tmp_path / "c.csv", rows)
    text = path.read_text(encoding="utf-8").replace("rad_cap", "rad_cap,note", 1)
    path.write_text(text, encoding="utf-8")
    read = read_commitments(path)
    assert list(read.perimeter["insee"]) == ["59350"]
    assert read.warnings == [
        "column 'note' ignored",
        "row 3: commune 59350 listed twice in the perimeter of EX",
        "row 4: commune 59512 is not in the perimeter of EX",
    ]
    assert referenced_insee(read) == {"59350", "59512"}


def test_files_that_are_not_commitments(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    no_header = tmp_path / "other.csv"
    no_header.write_text("code,nom\n59350,Lille\n", encoding="utf-8")
    header_only = write_csv(tmp_path / "header.csv", [])
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    for path, code in ((empty, "empty_file"), (no_header, "missing_header"),
                       (header_only, "empty_file"), (fake, "unreadable"),
                       (tmp_path / "absent.csv", "unreadable")):
        with pytest.raises(InputError) as err:
            read_commitments(path)
        assert err.value.code == code, path.name


_TOKENS = [
    "EX", "59350", "perimeter", "mobile_5g_sites", "ftth_connectable_share", "92 %", "1,5",
    "2022-12-31", "31/02/2020", "-", "\"", ",", ";", "\n", "\r\n", "é", " ",
]


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(_TOKENS), max_size=60).map(lambda t: "".join(t).encode()),
))
def test_arbitrary_bytes_give_input_error_or_a_read(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + body)
    try:
        read_commitments(path)
    except InputError as err:
        assert err.problems
