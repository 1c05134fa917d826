"""Reader of operators' commitments: agreements, perimeters and milestones (FORMATS.md §4).

The project's own template, one row per milestone, as CSV (``,`` or ``;``, any
encoding) or XLSX (first sheet). Title rows may precede the header, which is
the first row holding an ``agreement_id`` cell.

The template's columns, metrics and writer live in
:mod:`geodata._commitments_template`, the CSV/XLSX decoding in
:mod:`geodata._commitments_files`; all their public names are importable from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geodata._commitments_files import _csv_rows, _find_header, _xlsx_rows
from geodata._commitments_template import (
    COLUMNS,
    COUNT_METRICS,
    METRICS,
    PERIMETER,
    RAD_CAP_METRIC,
    REQUIRED_COLUMNS,
    SHARE_METRICS,
    TEMPLATE_CSV,
    write_template,
)
from geodata.errors import InputError, ProblemCollector
from geodata.operator_codes import is_code, refusal
from geodata.text import (
    clean_cell,
    normalise_insee,
    parse_count,
    parse_date,
    parse_share,
)

__all__ = [
    "COLUMNS",
    "COUNT_METRICS",
    "METRICS",
    "PERIMETER",
    "RAD_CAP_METRIC",
    "REQUIRED_COLUMNS",
    "SHARE_METRICS",
    "TEMPLATE_CSV",
    "CommitmentsRead",
    "read_commitments",
    "referenced_insee",
    "write_template",
]

# Fixed-network (FTTH) and mobile (5G) agreements.
OPERATOR_KINDS = ("fixed", "mobile")
# Agreement fields repeated on every row; (column, key in the agreements frame).
_AGREEMENT_FIELDS = (
    ("agreement_name", "name"),
    ("operator_code", "operator_code"),
    ("operator_name", "operator_name"),
    ("signed_on", "signed_on"),
    ("source_document", "source_document"),
)


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
            if column == "operator_code" and not is_code(text.upper(), OPERATOR_KINDS):
                self.problems.add(refusal(OPERATOR_KINDS), row=row, column=column, value=text)
                continue
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
