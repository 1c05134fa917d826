"""Works files as real portals publish them (issue 18 §3), end to end on both backends.

The Paris OpenDataSoft export is reproduced from its published column list: UTF-8 with a
BOM, CRLF line ends, ``;``, a newline inside a quoted field, ``geo_shape`` as GeoJSON text
and ``geo_point_2d`` as "lat, lon". Expected values are worked by hand: a date alone starts
at 00:00 Paris time (UTC+1 in winter, UTC+2 in summer) and ends at 23:59:59.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollout.models import ImportBatch, ImportError_, PublicWork
from tests.test_geodata_works import LILLE_INCIDENT, cifs_xml
from tests.test_sites_works_import import WZDX, cli, count, squares, stored

__all__ = ["squares"]  # the fixture, shared with the sites and works import tests

PARIS_HEADER = [
    "Référence Chantier", "Code postal arrondissement - Commune", "Date début du chantier",
    "Date fin du chantier", "Responsable du chantier", "Maîtrise d'ouvrage principale",
    "Surface (m2)", "Synthèse - Nature du chantier", "Encombrement espace public",
    "Impact stationnement", "Identifiant demande CITE", "Localisation détaillée", "geo_shape",
    "geo_point_2d",
]


def _square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat + 0.001],
            [lon, lat]]
    return json.dumps({"coordinates": [ring], "type": "Polygon"})


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def paris_export(path: Path) -> Path:
    """Three works in the two test squares (59001: lon 3.000-3.014, 59002: 3.014-3.028)."""
    rows = [
        ["CH-2026-0001", "59001", "2026-01-15", "2026-03-31", "Enedis", "Ville de Lille", "120",
         "Travaux de réseaux électriques", "Trottoir", "Oui", "D-1",
         "rue Nationale\nentre le n° 10 et le n° 40", _square(3.005, 50.603), "50.6035, 3.0055"],
        ["CH-2026-0002", "59002", "2026-06-01", "2026-06-30", "Orange", "Orange",
         "15", "Pose de fourreaux fibre", "Chaussée", "Non", "D-2", "place du Marché",
         _square(3.020, 50.604), "50.6045, 3.0205"],
        ["CH-2026-0003", "59002", "2026-02-02", "", "MEL voirie",
         "Métropole Européenne de Lille", "300", "Réfection de chaussée", "Chaussée", "Oui",
         "D-3", "avenue de la République", _square(3.016, 50.601), "50.6015, 3.0165"],
    ]
    lines = [";".join(PARIS_HEADER)] + [";".join(_quoted(c) for c in row) for row in rows]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path


def test_paris_opendatasoft_export_loads(squares: str, tmp_path: Path) -> None:
    result = cli(squares, "import", "works", str(paris_export(tmp_path / "chantiers.csv")))
    assert result.exit_code == 0, result.output
    assert "3 lignes lues, 3 chargées" in result.output
    listed = json.loads(cli(squares, "works", "--format", "json").output)
    by_id = {w["id"]: w for w in listed}
    assert set(by_id) == {"CH-2026-0001", "CH-2026-0002", "CH-2026-0003"}
    first = by_id["CH-2026-0001"]
    assert first["title"] == "Travaux de réseaux électriques"
    assert first["start_at"] == "2026-01-14T23:00:00+00:00"  # 15/01 00:00 in Paris, UTC+1
    assert first["end_at"] == "2026-03-31T21:59:59+00:00"  # 31/03 23:59:59 in Paris, UTC+2
    assert first["insee"] == ["59001"]
    assert by_id["CH-2026-0002"]["insee"] == ["59002"]
    assert by_id["CH-2026-0003"]["end_at"] is None  # open-ended
    owners = dict(stored(squares, PublicWork.source_id, PublicWork.owner))
    assert owners["CH-2026-0003"] == "Métropole Européenne de Lille"


def test_unknown_headers_are_mapped_with_column(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "maison.csv"
    path.write_text("Quoi;Début prévu;Fin prévue;WKT\n"
                    "Fibre rue A;10/03/2026;20/03/2026;POINT (3.005 50.603)\n", encoding="utf-8")
    refused = cli(squares, "import", "works", str(path))
    assert refused.exit_code == 2
    assert "no start date column" in refused.output and "--column start=" in refused.output
    loaded = cli(squares, "import", "works", str(path), "--column", "start=Début prévu",
                 "--column", "end=fin prevue", "--column", "title=Quoi")
    assert loaded.exit_code == 0, loaded.output
    listed = json.loads(cli(squares, "works", "--format", "json").output)
    assert [(w["title"], w["start_at"], w["end_at"]) for w in listed] == [
        ("Fibre rue A", "2026-03-09T23:00:00+00:00", "2026-03-20T22:59:59+00:00")]


@pytest.mark.parametrize("args, said", [
    (["--column", "bogus=Quoi"], "'bogus'"),
    (["--column", "start"], "expected FIELD=HEADER"),
    (["--column", "start=Absente"], "no column 'absente'"),
    (["--format", "cifs", "--column", "start=Quoi"], "fields are fixed"),
])
def test_bad_column_mappings_are_one_line_refusals(squares: str, tmp_path: Path, args: list,
                                                   said: str) -> None:
    path = tmp_path / "maison.csv"
    path.write_text("Quoi;Début prévu\nFibre;10/03/2026\n", encoding="utf-8")
    result = cli(squares, "import", "works", str(path), *args)
    assert result.exit_code == 2
    assert said in result.output
    assert "Traceback" not in result.output
    assert count(squares, PublicWork) == 0


def feed_with_two_bad_features(path: Path, total: int = 1136) -> Path:
    """``total`` point works; feature 7 has a null geometry, feature 500 ends before it starts."""
    features = []
    for number in range(1, total + 1):
        lon = 3.001 + (number % 25) * 0.001
        features.append({
            "type": "Feature",
            "geometry": None if number == 7 else {"type": "Point", "coordinates": [lon, 50.604]},
            "properties": {"id": f"W{number}", "objet": f"Chantier {number}",
                           "date_debut": "2026-05-02" if number == 500 else "2026-04-01",
                           "date_fin": "2026-04-30"},
        })
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def test_third_party_feed_refused_whole_without_skip_invalid(squares: str,
                                                              tmp_path: Path) -> None:
    result = cli(squares, "import", "works", str(feed_with_two_bad_features(tmp_path / "f.json")))
    assert result.exit_code == 2
    problem_lines = [line for line in result.output.splitlines() if line.startswith("f.json:")]
    assert [line.split(":")[1] for line in problem_lines] == ["7", "500"]
    assert count(squares, PublicWork) == 0


def test_skip_invalid_loads_the_rest_and_journals_the_rejected_rows(squares: str,
                                                                      tmp_path: Path) -> None:
    path = feed_with_two_bad_features(tmp_path / "f.json")
    result = cli(squares, "import", "works", str(path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1136 lignes lues, 1134 chargées" in result.output
    assert "2 rejetées" in result.output
    assert "rejetée : f.json:7:" in result.output and "rejetée : f.json:500:" in result.output
    assert count(squares, PublicWork) == 1134
    batch = stored(squares, ImportBatch.id, ImportBatch.status, ImportBatch.rows_rejected)[-1]
    assert batch[1:] == ("loaded", 2)
    errors = stored(squares, ImportError_.batch_id, ImportError_.row, ImportError_.column)
    assert sorted((row, column) for b, row, column in errors if b == batch[0]) == [
        (7, None), (500, "end")]
    journal = json.loads(cli(squares, "imports", "--format", "json").output)
    assert journal[0]["rows_rejected"] == 2 and journal[0]["errors"] == 2
    again = cli(squares, "import", "works", str(path), "--skip-invalid")
    assert again.exit_code == 0 and "déjà importé" in again.output
    assert count(squares, PublicWork) == 1134


def test_skip_invalid_still_refuses_a_file_with_no_good_row(squares: str,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("title;start;wkt\nA;pas une date;POINT (3.005 50.603)\n", encoding="utf-8")
    result = cli(squares, "import", "works", str(path), "--skip-invalid")
    assert result.exit_code == 2
    assert count(squares, PublicWork) == 0


def test_skip_invalid_on_wzdx_and_cifs_feeds(squares: str, tmp_path: Path) -> None:
    doc = json.loads((WZDX / "WorkZoneFeed" / "scenario1_simple_linestring_example.geojson")
                     .read_text(encoding="utf-8"))
    keep = len(doc["features"])
    broken = json.loads(json.dumps(doc["features"][0]))
    broken["id"] = "broken-one"
    del broken["properties"]["core_details"]["road_names"]
    doc["features"].append(broken)
    wzdx = tmp_path / "feed.geojson"
    wzdx.write_text(json.dumps(doc), encoding="utf-8")
    assert cli(squares, "import", "works", str(wzdx)).exit_code == 2
    result = cli(squares, "import", "works", str(wzdx), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"{keep} chargées, 0 ignorées, 1 rejetées" in result.output
    bad = LILLE_INCIDENT.replace("MEL-2026-001", "MEL-2026-009").replace(
        "<polyline>", "<polyline>99 ")
    cifs = tmp_path / "waze.xml"
    cifs.write_text(cifs_xml(LILLE_INCIDENT + "\n" + bad), encoding="utf-8")
    result = cli(squares, "import", "works", str(cifs), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1 chargées, 0 ignorées, 1 rejetées" in result.output


def test_evidence_imports_offer_no_skip_invalid(squares: str, tmp_path: Path) -> None:
    path = tmp_path / "arcep.csv"
    path.write_text("x\n", encoding="utf-8")
    for kind in ("arcep", "premises", "commitments"):
        result = cli(squares, "import", kind, str(path), "--skip-invalid")
        assert result.exit_code == 2
        assert "No such option '--skip-invalid'" in result.output


def test_rejected_rows_do_not_reach_the_database_rows(squares: str, tmp_path: Path) -> None:
    cli(squares, "import", "works", str(feed_with_two_bad_features(tmp_path / "f.json", 30)),
        "--skip-invalid")
    ids = {row[0] for row in stored(squares, PublicWork.source_id)}
    assert len(ids) == 29 and "W7" not in ids and "W8" in ids
