"""The hostile database: every importer's file from :mod:`tests.hostile_files`, loaded with the
real ``rollout import`` on each backend, once per test session (the ``hostile_db`` fixture
of conftest). Tests read it, never write it.

Planted in every text field: every payload but the ones a text field refuses by rule (NUL,
refused by every reader; 10,000 characters, refused by the fields that have a width) — those
have their own refusal tests in ``tests/test_hostile_imports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from geodata.text import clean_cell
from rollout.cli import main
from tests import hostile
from tests import hostile_files as hf

STORED = [p for p in hostile.PAYLOADS if p.family != "huge" and p.name != "nul"]
TEXTS = [p.text for p in STORED]
# Readers strip surrounding spaces, tabs and line breaks from every cell: "\t=1+1" is "=1+1".
KEPT = [clean_cell(t) for t in TEXTS]
# CIFS is XML 1.0: its feeds cannot hold C0 controls other than tab, LF and CR.
XML_TEXTS = [t for t in TEXTS if not any(ord(c) < 32 and c not in "\t\n\r" for c in t)]
AGREEMENT_OPERATOR = "HOST"
# With the 4 worst communes, more chart panels than one figure holds (PANELS_PER_FIGURE of
# reports.operator_delay), not so many that the charts dominate the run.
PERIMETER_MILESTONES = 5


@dataclass
class HostileDb:
    url: str
    folder: Path
    texts: list[str]


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


def imports(folder: Path) -> list[tuple[str, ...]]:
    """``rollout import`` arguments, in loading order, of every hostile file."""
    args = [
        ("communes", str(hf.communes_geojson(folder / "communes.geojson", TEXTS))),
        ("arcep", str(hf.arcep_observatory(folder / "arcep_2020.csv", TEXTS))),
        ("commitments", str(hf.commitments(folder / "commitments.csv", TEXTS,
                                           operator=AGREEMENT_OPERATOR,
                                           perimeter_milestones=PERIMETER_MILESTONES))),
        ("premises", str(hf.ipe(folder / "ipe_20240115.csv", TEXTS))),
        ("premises", str(hf.arcep_buildings(folder / "carte_fibre_immeubles_2024_Q3.csv",
                                            TEXTS))),
        ("sites", str(hf.anfr_zip(folder / "anfr.zip", TEXTS))),
        ("sites", str(hf.arcep_sites(folder / "2024_T3_sites_Metropole.csv", TEXTS))),
    ]
    for fmt, (name, build) in hf.WORKS.items():
        args.append(("works", str(build(folder / name, XML_TEXTS if fmt == "cifs" else TEXTS)),
                     "--format", fmt))
    return args


def build(url: str, folder: Path) -> HostileDb:
    for args in imports(folder):
        result = cli(url, "import", *args)
        assert result.exit_code == 0, (args, result.output)
    return HostileDb(url, folder, TEXTS)
