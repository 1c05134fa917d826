"""Reports made from the CLI are audited: kind, parameters, report id and data fingerprint."""

from __future__ import annotations

import hashlib
import json
import re

from click.testing import CliRunner

from rollout.cli import main
from tests.builders import SQUARE_A, SQUARE_B, write_arcep_2020, write_communes


def cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *args])


def test_council_report_is_written_and_audited(db_url, tmp_path):
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                      "59002": ("Bb", SQUARE_B)})
    arcep = write_arcep_2020(tmp_path / "obs.csv", "T4 2020", {"59001": 100, "59002": 200},
                             ["T4 2020"], {"59001": [50], "59002": [150]})
    assert cli(db_url, "import", "communes", str(communes)).exit_code == 0
    assert cli(db_url, "import", "arcep", str(arcep)).exit_code == 0
    output = tmp_path / "conseil.xlsx"
    result = cli(db_url, "report", "council", "--as-of", "2021-01-15", "--format", "xlsx",
                 "--output", str(output))
    assert result.exit_code == 0, result.output
    report_id = re.search(r"rapport (\w+) écrit", result.output).group(1)
    events = json.loads(cli(db_url, "audit", "--format", "json").output)
    reports = [e for e in events if e["action"] == "report"]
    assert len(reports) == 1
    event = reports[0]
    assert event["target"] == report_id
    assert event["details"]["kind"] == "council"
    assert event["details"]["as_of"] == "2021-01-15"
    assert event["details"]["fingerprint"] == hashlib.sha256(output.read_bytes()).hexdigest()
