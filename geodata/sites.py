"""Radio sites (5G and older systems) from ANFR tables or ARCEP "Mon réseau mobile" CSV.

Canonical frame (one row per station), :attr:`SitesRead.frame`:

``station_id`` str, ``operator_code`` str (MCC-MNC such as ``20801``, or a code
derived from the name for other licensees), ``operator_name`` str, ``insee`` str
or None, ``lon``/``lat`` float (WGS84), ``systems`` list[str] (``5G NR 3500``,
``LTE 800`` for ANFR; ``2G``..``5G`` for ARCEP), ``bands`` list[str] (``NR 3500``,
``LTE 800``), ``has_5g`` bool, ``in_service_on`` date or None (earliest 5G
in-service date for 5G sites, else the station's), ``station_in_service_on``
date or None, ``source_row`` int (1-based line), ``source_table`` str.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyproj import Transformer

from geodata.errors import InputError, ProblemCollector
from geodata.text import (
    NUL_REASON,
    clean_cell,
    detect_encoding,
    normalise_header,
    normalise_insee,
    nul_line,
    parse_date,
    parse_decimal,
    sniff_delimiter,
)

COLUMNS = (
    "station_id operator_code operator_name insee lon lat systems bands has_5g in_service_on"
    " station_in_service_on source_row source_table"
).split()
# Mobile network codes (MCC-MNC) of the four metropolitan operators, matched by name.
OPERATOR_CODES = {"ORANGE": "20801", "SFR": "20810", "FREE MOBILE": "20815"}
OPERATOR_CODES["BOUYGUES TELECOM"] = "20820"
_NAME_ALIASES = {"FREE": "FREE MOBILE", "BOUYGUES": "BOUYGUES TELECOM"}
_NAME_ALIASES["SOCIETE FRANCAISE DU RADIOTELEPHONE"] = "SFR"
ANFR_TABLES = {
    "SUP_SUPPORT": (
        "SUP_ID STA_NM_ANFR COR_NB_DG_LAT COR_NB_MN_LAT COR_NB_SC_LAT COR_CD_NS_LAT"
        " COR_NB_DG_LON COR_NB_MN_LON COR_NB_SC_LON COR_CD_EW_LON COM_CD_INSEE"
    ).split(),
    "SUP_STATION": "STA_NM_ANFR ADM_ID DTE_EN_SERVICE".split(),
    "SUP_EMETTEUR": "EMR_ID EMR_LB_SYSTEME STA_NM_ANFR EMR_DT_SERVICE".split(),
    "SUP_EXPLOITANT": "ADM_ID ADM_LB_NOM".split(),
}
_BAND_RE = re.compile(r"^(?:[2-5]G\s+)?(GSM|UMTS|LTE|NR)\s*([0-9]+)", re.IGNORECASE)
_ARCEP_BANDS = {f"site_5g_{mhz}_m_hz": f"NR {mhz}" for mhz in (700, 800, 1800, 2100, 3500)}
_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


@dataclass
class SitesRead:
    """Sites read from one file, the source family and recoverable oddities."""

    frame: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Table:
    file: str
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]

    def records(self) -> list[tuple[int, dict[str, str]]]:
        return [
            (line, dict(zip(self.columns, row, strict=True)))
            for line, row in zip(self.lines, self.rows, strict=True)
        ]


def read_sites(path: str | Path) -> SitesRead:
    """Read an ANFR export (zip or folder of tables) or an ARCEP sites CSV, chosen by content."""
    path = Path(path)
    if path.is_dir() or zipfile.is_zipfile(path):
        return read_anfr(path)
    if not path.is_file():
        raise InputError.single(str(path), "file not found", code="not_found")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    first = head.decode(detect_encoding(head), errors="replace").splitlines()[:1]
    if first and "code_op" in normalise_header(first[0]):
        return read_arcep_sites(path)
    raise InputError.single(
        path.name,
        "not a radio-site file: expected an ANFR zip or folder of "
        "SUP_*.txt tables, or an ARCEP sites CSV with a 'code_op' column",
        code="unknown_layout",
    )


def operator_code(name: str) -> str | None:
    """MCC-MNC of the mobile operator named ``name`` (case, accents, legal form ignored)."""
    words = re.sub(r"[^A-Z0-9]+", " ", normalise_header(name).upper()).split()
    text = " ".join(w for w in words if w not in {"SA", "SAS", "FRANCE"})
    text = _NAME_ALIASES.get(text, text)
    for known, code in OPERATOR_CODES.items():
        if text == known or text.startswith(known + " "):
            return code
    return None


def read_anfr(path: str | Path) -> SitesRead:
    """Read the ANFR "installations radioélectriques" tables from a zip or a folder."""
    path = Path(path)
    tables = _load_anfr_tables(path)
    warnings: list[str] = []
    operators = {
        r["ADM_ID"]: clean_cell(r["ADM_LB_NOM"]) for _, r in tables["SUP_EXPLOITANT"].records()
    }
    problems = ProblemCollector(tables["SUP_SUPPORT"].file)
    station_problems = ProblemCollector(tables["SUP_STATION"].file)
    emitter_problems = ProblemCollector(tables["SUP_EMETTEUR"].file)
    stations = _anfr_stations(tables["SUP_STATION"], station_problems)
    emitters = _anfr_emitters(tables["SUP_EMETTEUR"], emitter_problems)
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    unknown_ops: dict[str, int] = {}
    orphans = 0
    for line, rec in tables["SUP_SUPPORT"].records():
        sta = clean_cell(rec["STA_NM_ANFR"])
        if sta in seen:
            continue  # a station on several supports: the first support row places it
        lat = _dms(rec, "LAT", line, problems)
        lon = _dms(rec, "LON", line, problems)
        if sta not in stations:
            orphans += 1
            continue
        seen.add(sta)
        adm_id, station_date = stations[sta]
        name = operators.get(adm_id)
        if name is None:
            problems.add(
                f"operator ADM_ID {adm_id!r} of station {sta} is not in SUP_EXPLOITANT",
                row=line,
                column="STA_NM_ANFR",
                value=sta,
            )
            continue
        code = operator_code(name)
        if code is None:
            # 16 characters: the width of radio_site.operator_code.
            code = (
                re.sub(r"[^A-Z0-9]+", "_", normalise_header(name).upper())[:16].strip("_")
                or f"ADM{adm_id}"
            )
            unknown_ops[name] = unknown_ops.get(name, 0) + 1
        systems, bands, first_5g = emitters.get(sta, ([], [], None))
        has_5g = any(s.upper().startswith("5G") or s.upper().startswith("NR") for s in systems)
        rows.append(
            {
                "station_id": sta,
                "operator_code": code,
                "operator_name": name,
                "insee": _insee(rec.get("COM_CD_INSEE", ""), line, warnings),
                "lon": lon,
                "lat": lat,
                "systems": systems,
                "bands": bands,
                "has_5g": has_5g,
                "in_service_on": first_5g if has_5g else station_date,
                "station_in_service_on": station_date,
                "source_row": line,
                "source_table": "SUP_SUPPORT",
            }
        )
    found = station_problems.problems + emitter_problems.problems + problems.problems
    if found:
        raise InputError(found, code="bad_value")
    for name, count in sorted(unknown_ops.items()):
        warnings.append(
            f"{count} station(s) of {name!r}, not one of the four mobile operators: "
            "kept with a code derived from the name"
        )
    if orphans:
        warnings.append(f"{orphans} support row(s) name a station absent from SUP_STATION: skipped")
    missing = set(stations) - seen
    if missing:
        warnings.append(
            f"{len(missing)} station(s) of SUP_STATION without a SUP_SUPPORT row (no location): "
            "skipped"
        )
    return SitesRead(_frame(rows), "anfr", warnings)


def _load_anfr_tables(path: Path) -> dict[str, _Table]:
    """Find and parse the needed SUP_* tables in a zip or a folder."""
    wanted = list(ANFR_TABLES)
    found: dict[str, tuple[str, bytes]] = {}
    if path.is_dir():
        for member in sorted(path.rglob("*")):
            table = _table_name(member.name, wanted)
            if table and member.is_file():
                found.setdefault(
                    table, (f"{path.name}/{member.relative_to(path)}", member.read_bytes())
                )
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    table = _table_name(member.rsplit("/", 1)[-1], wanted)
                    if table and table not in found:
                        found[table] = (f"{path.name}:{member}", archive.read(member))
        except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as exc:
            raise InputError.single(
                path.name, f"unreadable zip archive ({exc})", code="bad_archive"
            ) from None
    missing = [t for t in wanted if t not in found]
    if missing:
        raise InputError.single(
            path.name,
            "missing ANFR table(s) "
            + ", ".join(missing)
            + " (expected files named like SUP_SUPPORT.txt)",
            code="missing_table",
        )
    return {t: _parse_table(name, data, ANFR_TABLES[t], ";") for t, (name, data) in found.items()}


def _table_name(filename: str, wanted: list[str]) -> str | None:
    stem = filename.rsplit(".", 1)[0].upper()
    for table in wanted:
        if re.search(rf"(?:^|[^A-Z0-9]){table}$", stem):
            return table
    return None


def _parse_table(file: str, data: bytes, required: list[str], delimiter: str | None) -> _Table:
    """Decode and split a delimited text table; header names are kept as written (stripped)."""
    if not data.strip():
        raise InputError.single(file, "empty file", code="empty_file")
    text = data.decode(detect_encoding(data[: 1 << 20]), errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError.single(file, "empty file", code="empty_file")
    if (line := nul_line(text)) is not None:
        raise InputError.single(file, NUL_REASON, row=line, code="bad_encoding")
    sep = delimiter or sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [clean_cell(h) for h in next(reader)]
    while header and header[-1] == "":
        header.pop()  # a trailing separator at the end of every line
    missing = [c for c in required if c.upper() not in {h.upper() for h in header}]
    if missing:
        raise InputError.single(
            file,
            f"missing column(s) {', '.join(missing)}; header was {'; '.join(header)[:200]!r}",
            row=1,
            code="missing_column",
        )
    problems = ProblemCollector(file)
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        while len(row) > len(header) and row[-1] == "":
            row.pop()
        if len(row) != len(header):
            problems.add(f"expected {len(header)} fields, found {len(row)}", row=reader.line_num)
            continue
        rows.append(row)
        lines.append(reader.line_num)
    problems.raise_if_any("bad_row")
    canonical = {h.upper(): h for h in required}
    return _Table(file, [canonical.get(h.upper(), h) for h in header], rows, lines)


def _anfr_stations(
    table: _Table, problems: ProblemCollector
) -> dict[str, tuple[str, dt.date | None]]:
    out: dict[str, tuple[str, dt.date | None]] = {}
    for line, rec in table.records():
        when = _optional_date(rec["DTE_EN_SERVICE"], line, "DTE_EN_SERVICE", problems)
        out.setdefault(clean_cell(rec["STA_NM_ANFR"]), (clean_cell(rec["ADM_ID"]), when))
    return out


def _anfr_emitters(
    table: _Table, problems: ProblemCollector
) -> dict[str, tuple[list[str], list[str], dt.date | None]]:
    """Per station: sorted distinct systems and bands, earliest 5G in-service date."""
    systems: dict[str, set[str]] = {}
    first_5g: dict[str, dt.date] = {}
    for line, rec in table.records():
        sta = clean_cell(rec["STA_NM_ANFR"])
        system = re.sub(r"\s+", " ", clean_cell(rec["EMR_LB_SYSTEME"]))
        if not system:
            continue
        systems.setdefault(sta, set()).add(system)
        when = _optional_date(rec["EMR_DT_SERVICE"], line, "EMR_DT_SERVICE", problems)
        # ANFR lists authorised emitters before they are switched on: no date = not in service.
        if (
            when
            and system.upper().startswith("5G")
            and (sta not in first_5g or when < first_5g[sta])
        ):
            first_5g[sta] = when
    out = {}
    for sta, labels in systems.items():
        bands = sorted(
            {f"{m.group(1).upper()} {m.group(2)}" for s in labels if (m := _BAND_RE.match(s))}
        )
        out[sta] = (sorted(labels), bands, first_5g.get(sta))
    return out


def _optional_date(
    value: str, line: int, column: str, problems: ProblemCollector
) -> dt.date | None:
    text = clean_cell(value)
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        problems.add(str(exc), row=line, column=column, value=text)
        return None


def _dms(rec: dict[str, str], axis: str, line: int, problems: ProblemCollector) -> float:
    """Degrees, minutes, seconds (decimal comma allowed) and hemisphere letter -> signed degrees."""
    hemi_col = "COR_CD_NS_LAT" if axis == "LAT" else "COR_CD_EW_LON"
    limit = 90 if axis == "LAT" else 180
    parts = []
    for unit, word, below in (
        ("DG", "degrees", limit + 1),
        ("MN", "minutes", 60),
        ("SC", "seconds", 60),
    ):
        column = f"COR_NB_{unit}_{axis}"
        raw = clean_cell(rec[column])
        try:
            number = parse_decimal(raw)
        except ValueError:
            number = None
        if number is None or not 0 <= number < below:
            problems.add(
                f"not a valid number of {word} (expected 0 to less than {below})",
                row=line,
                column=column,
                value=raw,
            )
            return float("nan")
        parts.append(number)
    hemi = clean_cell(rec[hemi_col]).upper()
    signs = {"N": 1, "S": -1} if axis == "LAT" else {"E": 1, "W": -1, "O": -1}  # O = Ouest
    if hemi not in signs:
        problems.add(
            f"hemisphere must be one of {'/'.join(signs)}", row=line, column=hemi_col, value=hemi
        )
        return float("nan")
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if value > limit:
        problems.add(
            f"coordinate beyond {limit} degrees",
            row=line,
            column=f"COR_NB_DG_{axis}",
            value=rec[f"COR_NB_DG_{axis}"],
        )
    return signs[hemi] * value


def _insee(value: str, line: int, warnings: list[str]) -> str | None:
    text = clean_cell(value)
    if not text:
        return None
    try:
        return normalise_insee(text)
    except ValueError:
        warnings.append(f"row {line}: INSEE code {text!r} not recognised; commune left empty")
        return None


def read_arcep_sites(path: str | Path) -> SitesRead:
    """Read an ARCEP "Mon réseau mobile" ``YYYY_Tn_sites_Metropole.csv`` file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot read file ({exc.strerror})", code="not_found"
        ) from None
    table = _parse_table(path.name, data, ["code_op", "nom_op", "num_site", "site_5g"], None)
    table.columns = [normalise_header(c) for c in table.columns]
    has_wgs = {"latitude", "longitude"} <= set(table.columns)
    if not has_wgs and not {"x", "y"} <= set(table.columns):
        raise InputError.single(
            path.name,
            "no coordinates: expected latitude/longitude or x/y (Lambert-93) columns",
            row=1,
            code="missing_column",
        )
    problems = ProblemCollector(path.name)
    warnings: list[str] = []
    rows = []
    for line, rec in table.records():
        lon, lat = _arcep_position(rec, has_wgs, line, problems)
        flags = {
            c: _flag(rec, c, line, problems)
            for c in ("site_2g", "site_3g", "site_4g", "site_5g", *_ARCEP_BANDS)
        }
        systems = [g.upper()[-2:] for g in ("site_2g", "site_3g", "site_4g", "site_5g") if flags[g]]
        bands = [band for col, band in _ARCEP_BANDS.items() if flags[col]]
        opened = _optional_date(
            rec.get("date_ouverturecommerciale_5g", ""),
            line,
            "date_ouverturecommerciale_5g",
            problems,
        )
        station = clean_cell(rec.get("id_station_anfr", "")) or clean_cell(rec["num_site"])
        rows.append(
            {
                "station_id": station,
                "operator_code": clean_cell(rec["code_op"]),
                "operator_name": clean_cell(rec["nom_op"]),
                "insee": _insee(rec.get("insee_com", ""), line, warnings),
                "lon": lon,
                "lat": lat,
                "systems": systems,
                "bands": bands,
                "has_5g": flags["site_5g"],
                "in_service_on": opened if flags["site_5g"] else None,
                "station_in_service_on": None,
                "source_row": line,
                "source_table": path.name,
            }
        )
    problems.raise_if_any()
    no_date = sum(1 for r in rows if r["has_5g"] and r["in_service_on"] is None)
    if no_date:
        warnings.append(
            f"{no_date} 5G site(s) without date_ouverturecommerciale_5g: not counted as in service"
        )
    return SitesRead(_frame(rows), "arcep", warnings)


def _flag(rec: dict[str, str], column: str, line: int, problems: ProblemCollector) -> bool:
    raw = clean_cell(rec.get(column, ""))
    if raw in {"", "0", "0.0", "0,0"}:
        return False
    if raw in {"1", "1.0", "1,0"}:
        return True
    problems.add("expected 0 or 1", row=line, column=column, value=raw)
    return False


def _arcep_position(
    rec: dict[str, str], has_wgs: bool, line: int, problems: ProblemCollector
) -> tuple[float, float]:
    """Longitude/latitude from the WGS84 columns, else from Lambert-93 x/y."""
    names = ("longitude", "latitude") if has_wgs and clean_cell(rec["latitude"]) else ("x", "y")
    values = []
    for column in names:
        raw = rec.get(column, "")
        try:
            number = parse_decimal(raw)
        except ValueError:
            number = None
        if number is None:
            problems.add("missing or non-numeric coordinate", row=line, column=column, value=raw)
            return float("nan"), float("nan")
        values.append(number)
    lon, lat = values if names[0] == "longitude" else _TO_WGS84.transform(*values)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.add(
            "coordinates outside WGS84 range",
            row=line,
            column=names[1],
            value=f"{values[0]} {values[1]}",
        )
    return float(lon), float(lat)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("station_id", "operator_code", "operator_name", "insee", "source_table"):
        frame[column] = frame[column].astype("string")
    frame["lon"] = frame["lon"].astype("float64")
    frame["lat"] = frame["lat"].astype("float64")
    frame["has_5g"] = frame["has_5g"].astype(bool)
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
