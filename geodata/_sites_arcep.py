"""Reader of ARCEP "Mon réseau mobile" sites CSV files (``YYYY_Tn_sites_Metropole.csv``).

One row per site with 2G..5G and 5G band flags, located in WGS84 or Lambert-93.
"""

from __future__ import annotations

from pathlib import Path

from pyproj import Transformer

from geodata._input_files import read_input_bytes
from geodata._sites_frame import SitesRead, _frame, _insee, _optional_date, _parse_table
from geodata.errors import InputError, ProblemCollector
from geodata.operator_codes import is_code, refusal
from geodata.text import clean_cell, normalise_header, parse_decimal

_ARCEP_BANDS = {f"site_5g_{mhz}_m_hz": f"NR {mhz}" for mhz in (700, 800, 1800, 2100, 3500)}
_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def read_arcep_sites(path: str | Path) -> SitesRead:
    """Read an ARCEP "Mon réseau mobile" ``YYYY_Tn_sites_Metropole.csv`` file."""
    path = Path(path)
    data = read_input_bytes(path)
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
        code = clean_cell(rec["code_op"])
        if not is_code(code, ["mobile"]):
            problems.add(refusal(["mobile"]), row=line, column="code_op", value=code)
        rows.append(
            {
                "station_id": station,
                "operator_code": code,
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
