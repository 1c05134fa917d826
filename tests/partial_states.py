"""Databases as a new user fills them, step by step (issue 14's state matrix): small faithful
input files of every kind, and the states built from them with the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rollout.cli import main
from tests.builders import (
    SQUARE_A,
    SQUARE_B,
    agreement,
    write_arcep_2020,
    write_commitments,
    write_communes,
)
from tests.test_premises_import import HEADER as IPE_HEADER
from tests.test_premises_import import ROWS as IPE_ROWS
from tests.test_sites_works_import import anfr_zip

# Cumulative states, then each kind alone with the communes.
STATES: dict[str, list[str]] = {
    "empty": [],
    "communes": ["communes"],
    "arcep": ["communes", "arcep"],
    "commitments": ["communes", "arcep", "commitments"],
    "sites": ["communes", "arcep", "commitments", "sites"],
    "works": ["communes", "arcep", "commitments", "sites", "works"],
    "premises": ["communes", "arcep", "commitments", "sites", "works", "premises"],
    "communes+commitments": ["communes", "commitments"],
    "communes+sites": ["communes", "sites"],
    "communes+works": ["communes", "works"],
    "communes+premises": ["communes", "premises"],
}


def _works(path: Path) -> Path:
    features = [
        {"type": "Feature", "properties": {"id": "W1", "title": "Réfection de chaussée",
                                           "start": "2024-01-01", "end": "2031-06-30"},
         "geometry": {"type": "LineString", "coordinates": [[3.002, 50.603], [3.020, 50.604]]}},
        {"type": "Feature", "properties": {"id": "W2", "title": "Réseau de chaleur",
                                           "start": "2025-03-01", "end": "2030-12-31"},
         "geometry": {"type": "Point", "coordinates": [3.010, 50.602]}},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def input_files(folder: Path) -> dict[str, Path]:
    """One small file of each kind over two communes, 59001 (Alpha) and 59002 (Beta)."""
    folder.mkdir(parents=True, exist_ok=True)
    perimeter = [agreement(commune_insee=c, metric="perimeter") for c in ("59001", "59002")]
    milestones = [agreement(metric="ftth_connectable_share", target="0.9", due_on="2020-12-31"),
                  agreement(commune_insee="59001", metric="ftth_connectable_premises",
                            target="900", due_on="2030-12-31")]
    ipe = folder / "ipe_FRTE_20210331.csv"
    ipe.write_text("\n".join([IPE_HEADER, *IPE_ROWS]) + "\n", encoding="utf-8")
    return {
        "communes": write_communes(folder / "communes.geojson",
                                   {"59001": ("Alpha", SQUARE_A), "59002": ("Beta", SQUARE_B)}),
        "arcep": write_arcep_2020(folder / "arcep.csv", "T4 2020",
                                  {"59001": 1000, "59002": 500}, ["T2 2020", "T4 2020"],
                                  {"59001": [400, 950], "59002": [100, 200]}),
        "commitments": write_commitments(folder / "commitments.csv", perimeter + milestones),
        "sites": anfr_zip(folder / "anfr.zip"),
        "works": _works(folder / "works.geojson"),
        "premises": ipe,
    }


def load(url: str, kinds: list[str], files: dict[str, Path]) -> None:
    """Import ``kinds`` in order into the database at ``url`` (each must load)."""
    for kind in kinds:
        result = CliRunner().invoke(main, ["--database", url, "import", kind, str(files[kind])])
        assert result.exit_code == 0, (kind, result.output)
