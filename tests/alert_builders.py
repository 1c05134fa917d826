"""Shared data of the alert tests (worked by hand in each test module's docstring).

Commune 59001, 1 000 premises (ARCEP best estimate). Connectable, all operators:
    2021 (file 1):  T1 100, T2 200, T3 300, T4 400   -> a rising trend
    2022 (file 2, flat):    400, 400, 400, 400        -> trend flat
    2022 (file 2, slow):    400, 420, 440, 460        -> 20 premises a quarter
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rollout.cli import main
from tests.builders import SQUARE_A, agreement, write_arcep_2020, write_commitments, write_communes

Q2021 = ["T1 2021", "T2 2021", "T3 2021", "T4 2021"]
Q2022 = ["T1 2022", "T2 2022", "T3 2022", "T4 2022"]
FLAT = [400, 400, 400, 400]
SLOW = [400, 420, 440, 460]


def cli(url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--database", url, *args], input=stdin)


def ok(url: str, *args: str, stdin: str | None = None):
    result = cli(url, *args, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result


def load_2021(url: str, folder: Path, milestones: list[dict]) -> None:
    """Communes, the 2021 figures, then the commitments (their first evaluation: baseline)."""
    ok(url, "import", "communes",
       str(write_communes(folder / "c.geojson", {"59001": ("Aa", SQUARE_A)})))
    ok(url, "import", "arcep", str(write_arcep_2020(
        folder / "y2021.csv", "T4 2021", {"59001": 1000}, Q2021, {"59001": [100, 200, 300, 400]})))
    rows = [agreement(commune_insee="59001", metric="perimeter"), *milestones]
    ok(url, "import", "commitments", str(write_commitments(folder / "m.csv", rows)))


def arcep_2022(folder: Path, values: list[int]) -> Path:
    return write_arcep_2020(folder / "y2022.csv", "T4 2022", {"59001": 1000}, Q2022,
                            {"59001": values})


FAR = agreement(commune_insee="59001", metric="ftth_connectable_share", target="100 %",
                due_on="2099-12-31")
SOON = agreement(commune_insee="59001", metric="ftth_connectable_share", target="60 %",
                 due_on="2023-03-31")
