"""Reader of the ARCEP per-commune FTTH observatory, every vintage (FORMATS.md §2).

Layouts: the 2018 information sheet, the 2018 deployment sheet (long by
``Champ``), a 2018 workbook holding both, and the 2020+ single ``Communes``
sheet with one connectable column per quarter. XLSX or CSV; title rows precede
the header, which is found by its ``Code commune`` cell.

Decoding the file into tables lives in :mod:`geodata._arcep_tables`; its public
names are importable from here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geodata._arcep_tables import MAX_TITLE_ROWS, _load_tables, _Table
from geodata.errors import InputError, ProblemCollector
from geodata.operator_codes import is_code, refusal
from geodata.text import (
    clean_cell,
    find_quarter,
    normalise_header,
    normalise_insee,
    parse_count,
)

__all__ = [
    "COMMUNE_COLUMNS",
    "MAX_COUNT",
    "MAX_TITLE_ROWS",
    "PROGRESS_COLUMNS",
    "ArcepRead",
    "read_arcep",
]

# Far above any commune (Paris: ~1.6 M premises); keeps counts within 32-bit integers.
MAX_COUNT = 100_000_000
COMMUNE_COLUMNS = [
    "insee", "name", "epci_siren", "logements", "etablissements", "premises",
    "premises_method", "premises_as_of", "committed_operators", "oi", "source_row",
]
PROGRESS_COLUMNS = ["insee", "observed_on", "connectable", "source_row", "source_column"]
_INT_COLUMNS = ("logements", "etablissements", "premises")
_CONNECTABLE_FIELD = "locaux raccordables"
_IGNORED_FIELDS = {"categorie"}
_OI_RE = re.compile(r"^oi(\s|$)")


@dataclass
class ArcepRead:
    """What one ARCEP file holds, in canonical form.

    ``communes``: insee, name, epci_siren (str, NA when absent), logements,
    etablissements, premises (Int64), premises_method (``insee`` =
    Logements + Établissements before 2020, ``best_estimate`` after),
    premises_as_of (date), committed_operators and oi (codes joined by ``-``,
    ``''`` when none), source_row (1-based row in the file).
    ``progress``: insee, observed_on (quarter end), connectable (Int64),
    source_row, source_column (the quarter header as written).
    ``vintage`` is the end of the publication quarter.
    """

    layout: str
    communes: pd.DataFrame | None
    progress: pd.DataFrame | None
    vintage: dt.date
    warnings: list[str] = field(default_factory=list)


def read_arcep(path: str | Path) -> ArcepRead:
    """Read an ARCEP observatory file (XLSX or CSV, any vintage) into canonical frames."""
    path = Path(path)
    file = path.name
    tables = [t for t in _load_tables(path, file) if t is not None]
    if not tables:
        raise InputError.single(
            file,
            f"no header row with a 'Code commune' cell in the first {MAX_TITLE_ROWS + 1} rows",
            code="missing_header")
    warnings: list[str] = []
    by_layout = _classify(tables, file, warnings)
    coll = ProblemCollector(file)
    communes = progress = None
    vintages: list[dt.date] = []
    if "2020" in by_layout:
        communes, progress, vintage = _read_2020(by_layout["2020"], coll, warnings)
        vintages.append(vintage)
    if "2018-info" in by_layout:
        communes, vintage = _read_info_2018(by_layout["2018-info"], file, coll, warnings)
        vintages.append(vintage)
    if "2018-deployment" in by_layout:
        progress, vintage = _read_deployment_2018(by_layout["2018-deployment"], coll, warnings)
        vintages.append(vintage)
    coll.raise_if_any()
    if communes is not None and communes["premises"].isna().any():
        warnings.append("communes without a premises figure (blank cells): "
                        f"{int(communes['premises'].isna().sum())}")
    if len(set(vintages)) > 1:
        warnings.append(f"the sheets are of different quarters: {sorted(set(vintages))}; "
                        f"the latest is taken as the vintage")
    layout = "2018-workbook" if len(by_layout) == 2 else next(iter(by_layout))
    return ArcepRead(layout, communes, progress, max(vintages), warnings)


def _classify(tables: list[_Table], file: str, warnings: list[str]) -> dict[str, _Table]:
    """Pick the sheets by their header content: one per layout, unknown ones ignored."""
    by_layout: dict[str, _Table] = {}
    unknown: list[_Table] = []
    for table in tables:
        layout = _layout(table)
        if layout is None:
            unknown.append(table)
        elif layout in by_layout:
            raise InputError.single(
                file, f"sheets {by_layout[layout].name!r} and {table.name!r} both hold the "
                f"{layout} layout; keep one", code="ambiguous_layout")
        elif not table.rows:
            raise InputError.single(file, f"sheet {table.name!r} has no data below its header",
                                    code="empty_file")
        else:
            by_layout[layout] = table
    if not by_layout:
        found = ", ".join(repr(h) for h in unknown[0].header if h)
        raise InputError.single(
            file, f"unknown ARCEP layout; columns found: {found}", code="unknown_layout")
    if "2020" in by_layout and len(by_layout) > 1:
        raise InputError.single(
            file, f"mixes the 2020+ layout with 2018 sheets: {sorted(by_layout)}",
            code="unknown_layout")
    warnings += [f"sheet {t.name!r} has a 'Code commune' header but an unknown layout; ignored"
                 for t in unknown]
    return by_layout


def _layout(table: _Table) -> str | None:
    if table.find("champ") is not None:
        return "2018-deployment"
    if table.find("meilleure estimation des locaux", prefix=True) is not None:
        return "2020"
    has_oi = any(_OI_RE.match(k) for k in table.keys)
    if has_oi and table.find("logements") is not None and table.find("etablissements") is not None:
        return "2018-info"
    return None


def _require(table: _Table, file: str, key: str, *, prefix: bool = False) -> int:
    index = table.find(key, prefix=prefix)
    if index is None:
        found = ", ".join(repr(h) for h in table.header if h)
        raise InputError.single(
            file, f"sheet {table.name!r} has no column {key!r}; columns found: {found}",
            code="missing_column")
    return index


def _read_info_2018(
    table: _Table, file: str, coll: ProblemCollector, warnings: list[str]
) -> tuple[pd.DataFrame, dt.date]:
    oi = next(i for i, k in enumerate(table.keys) if _OI_RE.match(k))
    # The 2018 info sheet is dated only by its "OI 2018 T1" column (else the file name).
    vintage = find_quarter(table.header[oi]) or find_quarter(file)
    if vintage is None:
        raise InputError.single(file, "cannot tell the quarter of this file: no quarter in the "
                                "OI column nor in the file name", column=table.header[oi],
                                code="unknown_vintage")
    columns = {
        "name": _require(table, file, "nom commune"),
        "epci_siren": table.find("siren epci"),
        "logements": _require(table, file, "logements"),
        "etablissements": _require(table, file, "etablissements"),
        "committed_operators": _require(table, file, "engagements l. 33-13", prefix=True),
        "oi": oi,
    }
    # Until 2019 ARCEP's denominator is INSEE's Logements + Établissements (FORMATS.md §2).
    records = _commune_records(table, columns, coll, warnings)
    for record in records:
        record.update(premises_method="insee", premises_as_of=vintage)
        lodgings, firms = record["logements"], record["etablissements"]
        record["premises"] = None if lodgings is None or firms is None else lodgings + firms
    warnings.append("premises = Logements + Établissements (INSEE, 2018-era method): "
                    "connectable shares can exceed 100 %")
    return _communes_frame(records), vintage


def _read_2020(
    table: _Table, coll: ProblemCollector, warnings: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    file = coll.file
    estimate = _require(table, file, "meilleure estimation des locaux", prefix=True)
    quarters = table.quarter_columns()
    oi = next((i for i, k in enumerate(table.keys) if _OI_RE.match(k)), None)
    estimate_quarter = find_quarter(table.header[estimate])
    latest = max((q for _, q in quarters), default=None)
    oi_quarter = None if oi is None else find_quarter(table.header[oi])
    vintage = latest or estimate_quarter or oi_quarter
    if vintage is None:
        raise InputError.single(file, "cannot tell the quarter of this file: no quarter column",
                                code="unknown_vintage")
    if estimate_quarter is None:
        warnings.append(f"{table.header[estimate]!r} names no quarter: taken as of {vintage}")
    columns = {
        "name": _require(table, file, "nom commune"),
        "epci_siren": table.find("siren epci"),
        "logements": table.find("logements"),
        "etablissements": table.find("etablissements"),
        "premises": estimate,
        "committed_operators": table.find("engagements l. 33-13", prefix=True),
        "oi": oi,
    }
    records = _commune_records(table, columns, coll, warnings)
    insee_by_row = {r["source_row"]: r["insee"] for r in records}
    progress = [observation for row_number, cells in table.rows for observation in
                _observations(table, row_number, cells, insee_by_row[row_number], quarters, coll)]
    for record in records:
        record.update(premises_method="best_estimate",
                      premises_as_of=estimate_quarter or vintage)
    return _communes_frame(records), _progress_frame(progress), vintage


def _commune_records(
    table: _Table,
    columns: dict[str, int | None],
    coll: ProblemCollector,
    warnings: list[str],
) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    padded = 0
    for row_number, cells in table.rows:
        insee, was_padded = _insee(table, row_number, cells, seen, coll)
        padded += was_padded
        record: dict[str, object] = {"insee": insee, "source_row": row_number}
        for name, index in columns.items():
            value = None if index is None else cells[index]
            if name in _INT_COLUMNS:
                record[name] = _count(table, row_number, index, value, coll)
            elif name in ("committed_operators", "oi"):
                record[name] = _codes(table, row_number, index, value, coll)
            elif name == "epci_siren":
                record[name] = _epci(value)
            else:
                record[name] = clean_cell(value)
        records.append(record)
    if padded:
        warnings.append(f"{padded} INSEE codes had lost their leading zero and were padded")
    return records


def _read_deployment_2018(
    table: _Table, coll: ProblemCollector, warnings: list[str]
) -> tuple[pd.DataFrame, dt.date]:
    champ = table.keys.index("champ")
    quarters = table.quarter_columns()
    if not quarters:
        raise InputError.single(coll.file, f"sheet {table.name!r} has no quarter column "
                                "('T1 2018' or '2018 T1')", code="missing_column")
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    unknown: set[str] = set()
    for row_number, cells in table.rows:
        kind = normalise_header(cells[champ])
        if kind in _IGNORED_FIELDS:
            continue
        if kind != _CONNECTABLE_FIELD:
            unknown.add(clean_cell(cells[champ]))
            continue
        insee, _ = _insee(table, row_number, cells, seen, coll)
        rows += _observations(table, row_number, cells, insee, quarters, coll)
    if unknown:
        warnings.append(f"rows with an unknown 'Champ' ignored: {sorted(unknown)}")
    return _progress_frame(rows), max(q for _, q in quarters)


def _observations(
    table: _Table, row_number: int, cells: list[object], insee: str | None,
    quarters: list[tuple[int, dt.date]], coll: ProblemCollector,
) -> list[dict[str, object]]:
    """One observation per filled quarter column; blank cells are no data, not zero."""
    out: list[dict[str, object]] = []
    for index, observed_on in quarters:
        connectable = _count(table, row_number, index, cells[index], coll)
        if insee is not None and connectable is not None:
            out.append({"insee": insee, "observed_on": observed_on, "connectable": connectable,
                        "source_row": row_number, "source_column": table.header[index]})
    return out


def _insee(
    table: _Table, row_number: int, cells: list[object], seen: dict[str, int],
    coll: ProblemCollector,
) -> tuple[str | None, bool]:
    raw = cells[table.code_index]
    column = table.header[table.code_index]
    try:
        insee = normalise_insee(raw)
    except ValueError as exc:
        coll.add(str(exc), row=row_number, column=column, value=clean_cell(raw))
        return None, False
    if insee in seen:
        coll.add(f"duplicate commune (first on row {seen[insee]})", row=row_number,
                 column=column, value=insee)
        return None, False
    seen[insee] = row_number
    return insee, isinstance(raw, str) and len(clean_cell(raw)) == 4


def _count(
    table: _Table, row_number: int, index: int | None, value: object, coll: ProblemCollector
) -> int | None:
    if index is None:
        return None
    try:
        # ARCEP writes '-' for zero (FORMATS.md §2, traps).
        count = parse_count(value)
    except ValueError as exc:
        coll.add(str(exc), row=row_number, column=table.header[index], value=clean_cell(value))
        return None
    if count is not None and count > MAX_COUNT:
        coll.add(f"more than {MAX_COUNT:,} premises in one commune".replace(",", " "),
                 row=row_number, column=table.header[index], value=clean_cell(value))
        return None
    return count


def _codes(table: _Table, row_number: int, index: int | None, value: object,
           coll: ProblemCollector) -> str:
    """Operator codes joined by '-' ('FRTE - SFR0' -> 'FRTE-SFR0'; '-' -> '')."""
    codes = [t.strip() for t in clean_cell(value).split("-") if t.strip()]
    for code in codes:
        if not is_code(code, ["fixed"]):
            coll.add(refusal(["fixed"]), row=row_number, column=table.header[index], value=code)
    return "-".join(codes)


def _epci(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_cell(value)
    return None if text in ("", "-") else text


def _communes_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=COMMUNE_COLUMNS)
    for name in _INT_COLUMNS:
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _progress_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    frame["connectable"] = pd.array(frame["connectable"].tolist(), dtype="Int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
