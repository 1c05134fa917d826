"""Shared builders of small, faithful input files for storage and CLI tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

# Two 1 km x 1 km squares side by side near Lille (lon/lat, approximately).
SQUARE_A = [[3.00, 50.60], [3.014, 50.60], [3.014, 50.609], [3.00, 50.609], [3.00, 50.60]]
SQUARE_B = [[3.014, 50.60], [3.028, 50.60], [3.028, 50.609], [3.014, 50.609], [3.014, 50.60]]


def write_communes(path: Path, communes: dict[str, tuple[str, list]]) -> Path:
    """GeoJSON of communes ``{insee: (name, ring)}``."""
    features = [
        {"type": "Feature",
         "properties": {"code_insee": insee, "nom": name, "population": 1000},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for insee, (name, ring) in communes.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def write_arcep_2020(
    path: Path,
    estimate_label: str,
    premises: dict[str, int],
    quarters: list[str],
    connectable: dict[str, list[int]],
) -> Path:
    """An ARCEP 2020+-layout CSV: 4 title rows, best estimate, one column per quarter."""
    header = ["Code commune", "Nom commune", "Code département", "Code région", "Siren EPCI",
              "EPCI AMII", "Logements", "Établissements",
              f"Meilleure estimation des locaux {estimate_label}",
              "Engagements L. 33-13 et AMEL", f"OI {estimate_label}", *quarters]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerows([["Titre"], ["Sous-titre"], [], []])
        writer.writerow(header)
        for insee, total in premises.items():
            writer.writerow([insee, f"Commune {insee}", "59", "32", "200093201", "-",
                             total, 0, total, "FRTE", "FRTE", *connectable[insee]])
    return path


def write_commitments(path: Path, rows: list[dict]) -> Path:
    columns = ["agreement_id", "agreement_name", "operator_code", "operator_name", "signed_on",
               "source_document", "commune_insee", "metric", "target", "due_on", "rad_cap"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def agreement(**overrides) -> dict:
    base = {"agreement_id": "A1", "agreement_name": "Convention test", "operator_code": "FRTE",
            "operator_name": "Orange", "signed_on": "2018-07-26",
            "source_document": "Convention test, art. 3"}
    return {**base, **overrides}
