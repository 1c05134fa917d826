"""Reader of operators' commitments: agreements, perimeters and milestones (FORMATS.md §4).

The project's own template, one row per milestone, as CSV (``,`` or ``;``, any
encoding) or XLSX (first sheet). Title rows may precede the header, which is
the first row holding an ``agreement_id`` cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geodata.errors import InputError, ProblemCollector
from geodata.text import (
    NUL_REASON,
    clean_cell,
    detect_encoding,
    normalise_header,
    normalise_insee,
    nul_line,
    parse_count,
    parse_date,
    parse_share,
    sniff_delimiter,
)

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
# Agreement fields repeated on every row; (column, key in the agreements frame).
_AGREEMENT_FIELDS = (
    ("agreement_name", "name"),
    ("operator_code", "operator_code"),
    ("operator_name", "operator_name"),
    ("signed_on", "signed_on"),
    ("source_document", "source_document"),
)
TEMPLATE_CSV = Path(__file__).parent / "templates" / "commitments_template.csv"


@dataclass
class CommitmentsRead:
    """Agreements, their perimeters and milestones, in canonical form.

    ``agreements``: agreement_id, name, operator_code, operator_name,
    source_document (str), signed_on (datetime.date), source_row (int64).
    ``perimeter``: agreement_id, insee (str), source_row.
    ``milestones``: agreement_id, insee (str, None = whole perimeter), metric,
    target (float64: a share in [0, 1] or a count), due_on (datetime.date),
    rad_cap (float or None), source_row. ``source_row`` is the 1-based line or
    spreadsheet row.
    """

    agreements: pd.DataFrame
    perimeter: pd.DataFrame
    milestones: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def read_commitments(path: str | Path) -> CommitmentsRead:
    """Read and validate a commitments file; raise InputError listing every defect."""
    path = Path(path)
    rows = _xlsx_rows(path) if path.suffix.lower() in {".xlsx", ".xlsm"} else _csv_rows(path)
    header_row, index = _find_header(path.name, rows)
    problems = ProblemCollector(path.name)
    reader = _RowReader(problems)
    found_any = False
    for number, cells in rows:
        if number <= header_row or all(clean_cell(c) == "" for c in cells):
            continue
        found_any = True
        reader.read({col: cells[i] if i < len(cells) else None for col, i in index.items()}, number)
    if not found_any:
        raise InputError.single(
            path.name, "no commitment rows below the header", code="empty_file", row=header_row
        )
    reader.check_agreements()
    problems.raise_if_any()
    return reader.result(unknown=[c for c in index if c not in COLUMNS])


def referenced_insee(read: CommitmentsRead) -> set[str]:
    """Every INSEE code the file names (perimeters and commune milestones), for the importer."""
    codes = set(read.perimeter["insee"])
    codes.update(c for c in read.milestones["insee"] if c is not None)
    return codes


class _RowReader:
    """Validate rows one by one and keep what they describe."""

    def __init__(self, problems: ProblemCollector) -> None:
        self.problems = problems
        self.agreements: dict[str, dict[str, object]] = {}
        self.first_seen: dict[tuple[str, str], int] = {}
        self.perimeter: list[dict[str, object]] = []
        self.milestones: list[dict[str, object]] = []
        self.milestone_keys: dict[tuple[object, ...], int] = {}
        self.warnings: list[str] = []

    def read(self, cells: dict[str, object], row: int) -> None:
        """Validate one data row."""
        add = self.problems.add
        agreement_id = clean_cell(cells.get("agreement_id"))
        if not agreement_id:
            add("missing agreement_id", row=row, column="agreement_id")
            return
        self._agreement(agreement_id, cells, row)
        metric_text = clean_cell(cells.get("metric"))
        metric = metric_text.lower()
        if metric not in METRICS and metric != PERIMETER:
            add(
                f"unknown metric; expected one of {[PERIMETER, *METRICS]}",
                row=row,
                column="metric",
                value=metric_text,
            )
            return
        insee = self._insee(cells.get("commune_insee"), row)
        if metric == PERIMETER:
            self._perimeter(agreement_id, insee, cells, row)
        else:
            self._milestone(agreement_id, insee, metric, cells, row)

    def _agreement(self, agreement_id: str, cells: dict[str, object], row: int) -> None:
        agreement = self.agreements.setdefault(agreement_id, {"source_row": row})
        for column, key in _AGREEMENT_FIELDS:
            text = clean_cell(cells.get(column))
            if not text:
                continue
            value: object = text.upper() if column == "operator_code" else text
            if column == "signed_on":
                try:
                    value = parse_date(cells[column])
                except ValueError as exc:
                    self.problems.add(str(exc), row=row, column=column, value=text)
                    continue
            if key not in agreement:
                agreement[key] = value
                self.first_seen[(agreement_id, key)] = row
            elif agreement[key] != value:
                # The agreement fields are repeated on every row and must agree.
                first = self.first_seen[(agreement_id, key)]
                self.problems.add(
                    f"conflicts with {agreement[key]!s} given for agreement {agreement_id!r}"
                    f" on row {first}",
                    row=row,
                    column=column,
                    value=text,
                )

    def _insee(self, value: object, row: int) -> str | None:
        if clean_cell(value) == "":
            return None
        try:
            return normalise_insee(value)
        except ValueError as exc:
            self.problems.add(str(exc), row=row, column="commune_insee", value=clean_cell(value))
            return None

    def _perimeter(
        self, agreement_id: str, insee: str | None, cells: dict[str, object], row: int
    ) -> None:
        if insee is None:
            if clean_cell(cells.get("commune_insee")) == "":
                self.problems.add(
                    "a perimeter row must name a commune", row=row, column="commune_insee"
                )
            return
        for column in ("target", "due_on", "rad_cap"):
            if clean_cell(cells.get(column)):
                self.problems.add(
                    f"a perimeter row lists a commune; {column} must be empty",
                    row=row,
                    column=column,
                    value=clean_cell(cells[column]),
                )
        if any(p["agreement_id"] == agreement_id and p["insee"] == insee for p in self.perimeter):
            self.warnings.append(
                f"row {row}: commune {insee} listed twice in the perimeter of {agreement_id}"
            )
            return
        self.perimeter.append({"agreement_id": agreement_id, "insee": insee, "source_row": row})

    def _milestone(
        self, agreement_id: str, insee: str | None, metric: str, cells: dict[str, object], row: int
    ) -> None:
        target = self._target(metric, cells.get("target"), row)
        due_on = self._date(cells.get("due_on"), "due_on", row)
        rad_cap = self._rad_cap(metric, cells.get("rad_cap"), row)
        if target is None or due_on is None:
            return
        key = (agreement_id, insee, metric, due_on)
        if key in self.milestone_keys:
            self.problems.add(
                f"duplicate milestone: same agreement, commune, metric and due date as row"
                f" {self.milestone_keys[key]}",
                row=row,
                column="due_on",
                value=clean_cell(cells.get("due_on")),
            )
            return
        self.milestone_keys[key] = row
        self.milestones.append(
            {
                "agreement_id": agreement_id,
                "insee": insee,
                "metric": metric,
                "target": target,
                "due_on": due_on,
                "rad_cap": rad_cap,
                "source_row": row,
                "_due_text": clean_cell(cells.get("due_on")),
            }
        )

    def _target(self, metric: str, value: object, row: int) -> float | None:
        text = clean_cell(value)
        if not text:
            self.problems.add(f"missing target for {metric}", row=row, column="target")
            return None
        if metric in SHARE_METRICS:
            return self._share(value, "target", row)
        try:
            count = parse_count(value, dash_is_zero=False)
        except ValueError as exc:
            self.problems.add(
                f"{exc}; {metric} needs a non-negative whole count",
                row=row,
                column="target",
                value=text,
            )
            return None
        return float(count) if count is not None else None

    def _share(self, value: object, column: str, row: int) -> float | None:
        text = clean_cell(value)
        try:
            share = parse_share(value)
        except ValueError as exc:
            self.problems.add(str(exc), row=row, column=column, value=text)
            return None
        if not 0.0 <= share <= 1.0:
            self.problems.add(
                "share out of range: must lie between 0 and 1 (write 0.92, 0,92 or 92 %)",
                row=row,
                column=column,
                value=text,
            )
            return None
        return share

    def _rad_cap(self, metric: str, value: object, row: int) -> float | None:
        if not clean_cell(value):
            return None
        if metric != RAD_CAP_METRIC:
            self.problems.add(
                f"rad_cap only applies to {RAD_CAP_METRIC}, not {metric}",
                row=row,
                column="rad_cap",
                value=clean_cell(value),
            )
            return None
        return self._share(value, "rad_cap", row)

    def _date(self, value: object, column: str, row: int) -> dt.date | None:
        try:
            return parse_date(value)
        except ValueError as exc:
            self.problems.add(str(exc), row=row, column=column, value=clean_cell(value) or None)
            return None

    def check_agreements(self) -> None:
        """Check what needs the whole file: required agreement fields, dates, perimeters."""
        for agreement_id, agreement in self.agreements.items():
            for column, key in (("operator_code", "operator_code"), ("signed_on", "signed_on")):
                if key not in agreement:
                    self.problems.add(
                        f"agreement {agreement_id!r} has no {column} on any row",
                        row=int(agreement["source_row"]),
                        column=column,
                    )
        communes: dict[str, set[str]] = {}
        for item in self.perimeter:
            communes.setdefault(str(item["agreement_id"]), set()).add(str(item["insee"]))
        for milestone in self.milestones:
            agreement_id = str(milestone["agreement_id"])
            row = int(milestone["source_row"])
            signed = self.agreements[agreement_id].get("signed_on")
            if isinstance(signed, dt.date) and milestone["due_on"] < signed:
                self.problems.add(
                    f"due date before the agreement was signed ({signed})",
                    row=row,
                    column="due_on",
                    value=milestone["_due_text"],
                )
            insee = milestone["insee"]
            if insee is None and agreement_id not in communes:
                self.problems.add(
                    f"milestone for the whole perimeter, but agreement {agreement_id!r} has no"
                    " perimeter rows (add rows with metric 'perimeter')",
                    row=row,
                    column="commune_insee",
                )
            elif (
                insee is not None
                and agreement_id in communes
                and insee not in communes[agreement_id]
            ):
                self.warnings.append(
                    f"row {row}: commune {insee} is not in the perimeter of {agreement_id}"
                )

    def result(self, unknown: list[str]) -> CommitmentsRead:
        """Build the canonical frames."""
        warnings = [f"column {c!r} ignored" for c in unknown] + self.warnings
        agreements = pd.DataFrame(
            [
                {
                    "agreement_id": agreement_id,
                    "name": str(a.get("name") or agreement_id),
                    "operator_code": str(a["operator_code"]),
                    "operator_name": str(a.get("operator_name", "")),
                    "signed_on": a["signed_on"],
                    "source_document": str(a.get("source_document", "")),
                    "source_row": a["source_row"],
                }
                for agreement_id, a in self.agreements.items()
            ],
            columns=[
                "agreement_id",
                "name",
                "operator_code",
                "operator_name",
                "signed_on",
                "source_document",
                "source_row",
            ],
        )
        perimeter = pd.DataFrame(self.perimeter, columns=["agreement_id", "insee", "source_row"])
        milestones = pd.DataFrame(
            self.milestones,
            columns=[
                "agreement_id",
                "insee",
                "metric",
                "target",
                "due_on",
                "rad_cap",
                "source_row",
            ],
        )
        # None, not NaN, marks "whole perimeter" and "no cap": NaN would reach SQL as a number.
        for column in ("insee", "rad_cap", "due_on"):
            milestones[column] = pd.Series(
                [m[column] for m in self.milestones], index=milestones.index, dtype="object"
            )
        agreements["signed_on"] = agreements["signed_on"].astype("object")
        milestones["target"] = milestones["target"].astype("float64")
        for frame in (agreements, perimeter, milestones):
            frame["source_row"] = frame["source_row"].astype("int64")
        return CommitmentsRead(agreements, perimeter, milestones, warnings)


def _find_header(name: str, rows: list[tuple[int, list[object]]]) -> tuple[int, dict[str, int]]:
    for number, cells in rows:
        keys = [normalise_header(c).replace(" ", "_") for c in cells]
        if "agreement_id" not in keys:
            continue
        index: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key and key not in index:
                index[key] = i
        missing = [c for c in REQUIRED_COLUMNS if c not in index]
        if missing:
            found = [clean_cell(c) for c in cells if clean_cell(c)]
            raise InputError.single(
                name,
                f"missing required column(s) {missing}; found {found}",
                code="missing_column",
                row=number,
            )
        return number, index
    raise InputError.single(
        name,
        "no header row: no cell reads 'agreement_id' (see the commitments template)",
        code="missing_header",
    )


def _csv_rows(path: Path) -> list[tuple[int, list[object]]]:
    data = _read_bytes(path)
    if not data.strip():
        raise InputError.single(path.name, "the file is empty", code="empty_file")
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError.single(
            path.name, f"cannot be decoded as {encoding}", code="bad_encoding", row=line
        ) from None
    if (line := nul_line(text)) is not None:
        raise InputError.single(path.name, NUL_REASON, code="bad_encoding", row=line)
    header = next((ln for ln in text.splitlines() if "agreement_id" in ln.lower()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header, ";,\t"))
    rows: list[tuple[int, list[object]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, list(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError.single(
            path.name, f"malformed CSV: {exc}", code="malformed_csv", row=start
        ) from None
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _read_bytes(path)  # a missing or unreadable file is reported like any other input
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputError.single(
            path.name, f"not a readable XLSX workbook ({exc})", code="unreadable"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot be read: {exc.strerror}", code="unreadable"
        ) from None


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
