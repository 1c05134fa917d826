"""The commitments template: its columns and metrics, and the writer of the blank template.

Defines the template of FORMATS.md §4 (one row per milestone) that
:mod:`geodata.commitments` reads, and writes it as CSV or as XLSX with a French
'Aide' sheet explaining each column.
"""

from __future__ import annotations

import csv
from pathlib import Path

SHARE_METRICS = (
    "ftth_connectable_share",
    "ftth_connectable_or_rad_share",
    "mobile_5g_premises_coverage_share",
)
COUNT_METRICS = ("ftth_connectable_premises", "mobile_5g_sites")
METRICS = (
    "ftth_connectable_share",
    "ftth_connectable_or_rad_share",
    "ftth_connectable_premises",
    "mobile_5g_sites",
    "mobile_5g_premises_coverage_share",
)
PERIMETER = "perimeter"
RAD_CAP_METRIC = "ftth_connectable_or_rad_share"
COLUMNS = (
    "agreement_id",
    "agreement_name",
    "operator_code",
    "operator_name",
    "signed_on",
    "source_document",
    "commune_insee",
    "metric",
    "target",
    "due_on",
    "rad_cap",
)
REQUIRED_COLUMNS = (
    "agreement_id",
    "operator_code",
    "signed_on",
    "commune_insee",
    "metric",
    "target",
    "due_on",
)
TEMPLATE_CSV = Path(__file__).parent / "templates" / "commitments_template.csv"


# A fictitious agreement on three MEL communes, one row per metric (FORMATS.md §4).
_EXAMPLE = [
    "EXEMPLE-2024",
    "Convention fictive (exemple)",
    "XMPL",
    "Opérateur exemple",
    "2024-03-01",
    "Exemple de convention, art. 4",
]
_EXAMPLE_ROWS = [
    _EXAMPLE + ["59350", "perimeter", "", "", ""],
    _EXAMPLE + ["59512", "perimeter", "", "", ""],
    _EXAMPLE + ["59599", "perimeter", "", "", ""],
    _EXAMPLE + ["", "ftth_connectable_or_rad_share", "100 %", "2025-12-31", "8 %"],
    _EXAMPLE + ["59512", "ftth_connectable_share", "0.9", "31/12/2026", ""],
    _EXAMPLE + ["", "ftth_connectable_premises", "120000", "2027-12-31", ""],
    _EXAMPLE + ["", "mobile_5g_sites", "40", "2026-06-30", ""],
    _EXAMPLE + ["59350", "mobile_5g_premises_coverage_share", "75 %", "2027-06-30", ""],
]
_HELP = [
    (
        "agreement_id",
        "oui",
        "Identifiant court et unique de la convention, répété sur chaque ligne.",
    ),
    ("agreement_name", "non", "Intitulé de la convention (par défaut : l'identifiant)."),
    (
        "operator_code",
        "oui",
        "Code ARCEP de l'opérateur (FRTE Orange, SFR0 SFR, COAG Covage) ou"
        " code mobile MCC-MNC (20801 Orange, 20810 SFR, 20815 Free, 20820 Bouygues).",
    ),
    ("operator_name", "non", "Nom de l'opérateur."),
    ("signed_on", "oui", "Date de signature : 2018-07-26 ou 26/07/2018."),
    (
        "source_document",
        "non",
        "Référence de l'acte (arrêté, convention, article) citée dans les rapports.",
    ),
    (
        "commune_insee",
        "selon la ligne",
        "Code INSEE à 5 caractères (59350, 2A004). Obligatoire"
        " sur les lignes perimeter ; vide sur un jalon = tout le périmètre.",
    ),
    (
        "metric",
        "oui",
        "perimeter (liste une commune du périmètre) ou l'indicateur du jalon : "
        + ", ".join(METRICS)
        + ".",
    ),
    (
        "target",
        "jalons",
        "Objectif : part (0.92, 0,92 ou 92 %) pour les indicateurs *_share,"
        " nombre entier sinon. Vide sur les lignes perimeter.",
    ),
    ("due_on", "jalons", "Échéance : 2020-12-31 ou 31/12/2020, postérieure à la signature."),
    (
        "rad_cap",
        "non",
        "Plafond de locaux raccordables à la demande (ex. 8 %), seulement pour"
        " ftth_connectable_or_rad_share.",
    ),
]
_HELP_NOTES = [
    "Une ligne par jalon ; les champs de la convention sont répétés à l'identique sur chaque"
    " ligne.",
    "Les lignes perimeter listent les communes de la convention (target et due_on vides).",
    "Un jalon sans commune s'applique à tout le périmètre (sommes sur ses communes).",
    "Seule la première feuille est lue ; l'en-tête est la première ligne contenant agreement_id.",
]


def write_template(path: str | Path) -> Path:
    """Write the documented commitments template: CSV, or XLSX with a French 'Aide' sheet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(_EXAMPLE_ROWS)
    elif suffix == ".xlsx":
        _write_xlsx_template(path)
    else:
        raise ValueError(f"template suffix was {suffix!r}; expected '.csv' or '.xlsx'")
    return path


def _write_xlsx_template(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Engagements"
    sheet.append(list(COLUMNS))
    for row in _EXAMPLE_ROWS:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 22
    help_sheet = workbook.create_sheet("Aide")
    help_sheet.append(["Colonne", "Obligatoire", "Description"])
    for row in _HELP:
        help_sheet.append(list(row))
    help_sheet.append([])
    for note in _HELP_NOTES:
        help_sheet.append([note])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 20
    help_sheet.column_dimensions["C"].width = 100
    workbook.save(path)
