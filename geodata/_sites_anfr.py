"""Reader of the ANFR "installations radioélectriques" tables (SUP_*.txt, zip or folder).

Stations are placed by their first support, named after their licensee (mapped to
an MCC-MNC code) and described by their emitters' systems, bands and 5G dates.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from geodata._sites_frame import (
    SitesRead,
    _frame,
    _insee,
    _optional_date,
    _parse_table,
    _Table,
)
from geodata.errors import InputError, ProblemCollector
from geodata.limits import read_member
from geodata.text import clean_cell, normalise_header, parse_decimal

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
                or f"ADM{re.sub(r'[^A-Z0-9]+', '', adm_id.upper())}"[:16]
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
                        label = f"{path.name}:{member}"
                        found[table] = (label, read_member(archive, member, label))
        except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile, RuntimeError,
                NotImplementedError) as exc:
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
