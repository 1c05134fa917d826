"""Commitments import and `rollout status` end to end, on SpatiaLite and PostGIS.

Data (worked by hand): communes 59001 and 59002, 1 000 premises each (best estimate T4 2020,
which is also the denominator of every earlier quarter: the earliest known count).
Connectable, all operators:
    quarter      59001  59002   perimeter (of 2 000)
    2020-09-30     800    400     1 200  = 60 %
    2020-12-31     900    500     1 400  = 70 %
    2021-03-31     950    700     1 650  = 82.5 %
    2021-06-30     980    900     1 880  = 94 %
Milestones (agreement A1, operator FRTE, signed 2018-07-26):
  m1 59001 share 90 % due 2020-12-31 -> value at due 900/1000 = 0.90 >= 0.90 -> met
  m2 59002 share 60 % due 2020-12-31 -> 0.50 < 0.60; first later >= 0.60 is 0.70 on 2021-03-31
     -> met_late, delay = 2021-03-31 - 2020-12-31 = 90 days
  m3 perimeter share 90 % due 2021-03-31 -> 0.825; never reached by 2021-06-30? 0.94 >= 0.90
     on 2021-06-30 -> met_late, delay 91 days
  m4 perimeter share 99 % due 2021-01-15 -> value at due = obs 2020-12-31 = 0.70; never 0.99
     -> missed, delay = as_of 2021-07-01 - 2021-01-15 = 167 days,
     shortfall = ceil(0.99 x 2000) - 1880 = 1980 - 1880 = 100
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import Agreement, AgreementCommune, Milestone
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)

QUARTERS = ["T3 2020", "T4 2020", "T1 2021", "T2 2021"]


def cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *args])


@pytest.fixture
def loaded(db_url, tmp_path):
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                      "59002": ("Bb", SQUARE_B)})
    arcep = write_arcep_2020(
        tmp_path / "obs.csv", "T4 2020", {"59001": 1000, "59002": 1000}, QUARTERS,
        {"59001": [800, 900, 950, 980], "59002": [400, 500, 700, 900]},
    )
    assert cli(db_url, "import", "communes", str(communes)).exit_code == 0
    assert cli(db_url, "import", "arcep", str(arcep)).exit_code == 0
    return db_url


def milestone_rows():
    return [
        agreement(commune_insee="59001", metric="perimeter"),
        agreement(commune_insee="59002", metric="perimeter"),
        agreement(commune_insee="59001", metric="ftth_connectable_share", target="90 %",
                  due_on="31/12/2020"),
        agreement(commune_insee="59002", metric="ftth_connectable_share", target="0,6",
                  due_on="2020-12-31"),
        agreement(metric="ftth_connectable_share", target="0.9", due_on="2021-03-31"),
        agreement(metric="ftth_connectable_share", target="99 %", due_on="2021-01-15"),
    ]


def table_counts(url):
    engine = make_engine(url)
    with session_scope(engine) as session:
        out = [session.scalar(select(func.count()).select_from(m))
               for m in (Agreement, AgreementCommune, Milestone)]
    engine.dispose()
    return out


def test_status_worked_by_hand(loaded, tmp_path):
    path = write_commitments(tmp_path / "engagements.csv", milestone_rows())
    result = cli(loaded, "import", "commitments", str(path))
    assert result.exit_code == 0, result.output
    out = cli(loaded, "status", "--as-of", "2021-07-01", "--format", "json")
    assert out.exit_code == 0, out.output
    rows = {(r["commune_insee"], r["due_on"]): r for r in json.loads(out.output)}
    m1 = rows[("59001", "2020-12-31")]
    assert (m1["status"], m1["value_at_due"], m1["observed_on"]) == ("met", 0.9, "2020-12-31")
    m2 = rows[("59002", "2020-12-31")]
    assert (m2["status"], m2["delay_days"]) == ("met_late", 90)
    m3 = rows[(None, "2021-03-31")]
    assert (m3["status"], m3["delay_days"]) == ("met_late", 91)
    assert m3["value_at_due"] == pytest.approx(0.825)
    m4 = rows[(None, "2021-01-15")]
    assert (m4["status"], m4["delay_days"], m4["shortfall_premises"]) == ("missed", 167, 100)
    assert m4["value_at_due"] == pytest.approx(0.70)
    assert m4["series"] == "all_operators"
    table = cli(loaded, "status", "--as-of", "2021-07-01").output
    assert "01/07/2021" in table and "manqué" in table and "atteint en retard" in table


def test_status_filters(loaded, tmp_path):
    cli(loaded, "import", "commitments",
        str(write_commitments(tmp_path / "e.csv", milestone_rows())))
    only = json.loads(cli(loaded, "status", "--as-of", "2021-07-01", "--commune", "59002",
                          "--format", "json").output)
    # 59002's own milestone plus its share of the two perimeter milestones.
    assert sorted((r["scope"], r["due_on"]) for r in only) == [
        ("commune", "2020-12-31"),
        ("perimeter_commune", "2021-01-15"),
        ("perimeter_commune", "2021-03-31"),
    ]
    # An operator with no commitment is an unknown code for status: refused, naming the
    # known ones (issue 14 item 9).
    refused = cli(loaded, "status", "--operator", "SFR0", "--format", "json")
    assert refused.exit_code == 2
    assert "FRTE" in refused.output


@pytest.mark.parametrize(
    ("bad", "column", "value"),
    [
        ({"metric": "taux_magique"}, "metric", "taux_magique"),
        ({"commune_insee": "59999"}, "commune_insee", "59999"),
        ({"target": "150 %"}, "target", "150 %"),
        ({"due_on": "2017-01-01"}, "due_on", "2017-01-01"),
    ],
    ids=["unknown-metric", "unknown-commune", "target-out-of-range", "due-before-signature"],
)
def test_malformed_commitments_change_nothing_and_name_the_cell(loaded, tmp_path, bad, column,
                                                                value):
    rows = milestone_rows()
    rows[2] = {**rows[2], **bad}
    path = write_commitments(tmp_path / "bad.csv", rows)
    result = cli(loaded, "import", "commitments", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    # Header is line 1, so the third data row is line 4.
    assert "bad.csv:4" in result.output
    assert column in result.output and value in result.output
    assert table_counts(loaded) == [0, 0, 0]


def test_duplicate_milestone_and_reloaded_agreement_are_refused(loaded, tmp_path):
    rows = milestone_rows()
    duplicated = write_commitments(tmp_path / "dup.csv", [*rows, rows[2]])
    result = cli(loaded, "import", "commitments", str(duplicated))
    assert result.exit_code == 2 and "dup.csv:8" in result.output
    assert table_counts(loaded) == [0, 0, 0]
    first = write_commitments(tmp_path / "one.csv", rows)
    assert cli(loaded, "import", "commitments", str(first)).exit_code == 0
    assert table_counts(loaded) == [1, 2, 4]
    changed = write_commitments(tmp_path / "two.csv", [*rows[:5]])
    again = cli(loaded, "import", "commitments", str(changed))
    assert again.exit_code == 2
    assert "agreement already loaded" in again.output
    assert table_counts(loaded) == [1, 2, 4]


def test_template_is_written_and_reads_back(db_url, tmp_path):
    for name in ("modele.csv", "modele.xlsx"):
        result = cli(db_url, "import", "commitments", "--template", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 0
    from geodata.commitments import read_commitments

    for name in ("modele.csv", "modele.xlsx"):
        read = read_commitments(tmp_path / name)
        assert len(read.milestones) >= 1 and len(read.perimeter) >= 1
