"""Planned public works from GeoJSON, GeoPackage or CSV files; the frame all works readers return.

Minimum schema of a works file (one feature or row per work; column names are
matched without regard to case or accents; French open-data portal names in
brackets are accepted too):

- ``id`` (``identifiant``, ``gid``, ``objectid``): unique in the file; row number if absent.
- ``title`` (``objet``, ``libelle``, ``intitule``, ``nom``): what is being done.
- ``kind`` (``type``, ``nature``): ``work-zone`` (default), ``road-closed``, ``detour``...
- ``owner`` (``maitre_ouvrage``, ``maitre_d_ouvrage``, ``gestionnaire``): who orders the works.
- ``start`` (``date_debut``, ``debut``): required; ISO 8601 or ``DD/MM/YYYY [HH:MM]``.
- ``end`` (``date_fin``, ``fin``): empty = open-ended.
- the geometry: the feature's own (GeoJSON, GeoPackage), else a ``wkt`` column (WKT),
  ``geo_shape`` (GeoJSON geometry text), ``geo_point_2d`` (``"lat, lon"``) or ``lon``/``lat``.
- ``commune`` (``insee``, ``code_insee``): optional INSEE code, kept as a hint.
- ``types_of_work`` (``nature_travaux``): optional, values separated by ``;`` or ``,``.
- ``street`` (``rue``, ``voie``, ``road name``): optional road name; ``description``: optional.

Header names are folded before matching (case, accents, spaces, ``_``, ``-`` and
apostrophes), and the usual names of French open-data works datasets are known too,
e.g. a Paris OpenDataSoft export: ``Référence Chantier`` (id), ``Synthèse - Nature du
chantier`` (title), ``Maîtrise d'ouvrage principale`` (owner), ``Date début du chantier``
and ``Date fin du chantier``. Any other header is mapped with ``columns``
(``{"start": "Début prévu"}``; the CLI's ``--column start="Début prévu"``).
``skip_invalid`` (third-party feeds only) leaves bad rows out instead of refusing the
file; they come back as :attr:`WorksRead.rejected`.

Times without an offset are Europe/Paris local time (a warning says so); a date
alone starts at 00:00 and ends at 23:59:59 local time. Everything is stored in UTC.

Canonical frame (:attr:`WorksRead.frame`, a GeoDataFrame in EPSG:4326): ``source_id``
str, ``source_format`` (``geojson`` for any vector file, ``csv``, ``wzdx``, ``cifs``),
``title`` str, ``kind`` str, ``owner`` str or None, ``start_at`` datetime64[ns, UTC],
``end_at`` datetime64[ns, UTC] (NaT = open-ended), ``start_verified`` and
``end_verified`` nullable boolean, ``types_of_work`` list[str], ``commune`` str or
None, ``source_row`` int (1-based line or feature number), ``road_names`` list[str] or
None, ``description``, ``direction`` and ``vehicle_impact`` str or None (what the WZDx and
CIFS feeds carry besides the title), ``geometry``.

The frame and what every works reader shares to build it live in
:mod:`geodata._works_frame`, the reading of a whole file's bytes or JSON in
:mod:`geodata._input_files`; all their public names are importable from here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj.exceptions import CRSError
from shapely.errors import ShapelyError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from geodata._input_files import load_json, read_input_bytes
from geodata._works_frame import (
    COLUMNS,
    LOCAL_TZ,
    WorksRead,
    keep_valid,
    lonlat_problem,
    parse_instant,
    works_frame,
)
from geodata.errors import InputError, ProblemCollector
from geodata.limits import check_lines, csv_problem, csv_rows
from geodata.text import (
    NUL_REASON,
    clean_cell,
    detect_encoding,
    normalise_header,
    nul_line,
    sniff_delimiter,
)

__all__ = [
    "COLUMNS",
    "LOCAL_TZ",
    "Row",
    "FIELDS",
    "WorksRead",
    "check_columns",
    "load_json",
    "lonlat_problem",
    "parse_instant",
    "read_input_bytes",
    "read_works",
    "read_works_file",
    "works_frame",
]

_ALIASES = {
    "id": ("id", "identifiant", "gid", "objectid", "reference chantier",
           "identifiant chantier", "id chantier", "numero chantier"),
    "title": ("title", "objet", "libelle", "intitule", "nom", "titre",
              "synthese nature du chantier", "objet des travaux", "objet du chantier",
              "libelle chantier", "description"),
    "kind": ("kind", "type", "nature", "type de chantier"),
    "owner": ("owner", "maitre ouvrage", "maitre d ouvrage", "maitrise d ouvrage",
              "maitrise d ouvrage principale", "gestionnaire", "responsable du chantier",
              "concessionnaire", "intervenant"),
    "start": ("start", "date debut", "debut", "date debut du chantier", "date de debut",
              "debut des travaux", "date debut travaux", "datedebut", "date debut chantier"),
    "end": ("end", "date fin", "fin", "date fin du chantier", "date de fin", "fin des travaux",
            "date fin travaux", "datefin", "date fin chantier"),
    "commune": ("commune", "insee", "code insee", "code commune", "code insee commune"),
    "types_of_work": ("types of work", "nature travaux", "nature des travaux",
                      "type de travaux", "types de travaux"),
    "street": ("street", "rue", "voie", "road name"),
    "description": ("description",),
    "wkt": ("wkt", "geometry", "geom"),
    "geo_shape": ("geo shape",),
    "geo_point_2d": ("geo point 2d",),
    "lon": ("lon", "longitude", "lng"),
    "lat": ("lat", "latitude"),
}
# What ``columns`` may map: every field of the minimum schema.
FIELDS = tuple(_ALIASES)


def read_works(
    path: str | Path,
    fmt: str | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
) -> WorksRead:
    """Read a works file; ``fmt`` is ``geojson``, ``csv``, ``wzdx`` or ``cifs``, else guessed.

    ``columns`` maps fields of the minimum schema to the file's headers (GeoJSON, GeoPackage
    and CSV files only); ``skip_invalid`` leaves bad rows out (see the module docstring).
    """
    from geodata.cifs import read_cifs
    from geodata.wzdx import read_wzdx

    path = Path(path)
    readers = {"geojson": read_works_file, "csv": read_works_file, "wzdx": read_wzdx,
               "cifs": read_cifs}
    if fmt is not None and fmt not in readers:
        raise ValueError(f"format was {fmt!r}; expected one of {sorted(readers)}")
    chosen = fmt or _guess_format(path)
    if chosen in ("wzdx", "cifs"):
        if columns:
            raise InputError.single(path.name, f"this is a {chosen.upper()} feed, whose fields "
                                    "are fixed: --column applies to GeoJSON, GeoPackage and "
                                    "CSV files", code="bad_mapping")
        return readers[chosen](path, skip_invalid=skip_invalid)
    return read_works_file(path, columns=columns, skip_invalid=skip_invalid)


def _guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "cifs"
    if suffix in {".json", ".geojson"}:
        doc = load_json(path)
        if isinstance(doc, dict) and ("feed_info" in doc or "road_event_feed_info" in doc):
            return "wzdx"
        if isinstance(doc, list) or (isinstance(doc, dict) and "incidents" in doc):
            return "cifs"
    return "geojson"


def read_works_file(
    path: str | Path, *, columns: Mapping[str, str] | None = None, skip_invalid: bool = False
) -> WorksRead:
    """Read works from a GeoJSON, GeoPackage (or other OGR vector file) or CSV file."""
    path = Path(path)
    mapping = check_columns(columns)
    problems = ProblemCollector(path.name)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        rows, fmt = _csv_rows(path), "csv"
    elif suffix in {".json", ".geojson"}:
        rows, fmt = _geojson_rows(path, problems), "geojson"
    else:
        rows, fmt = _ogr_rows(path), "geojson"
    return _works_from_rows(path.name, rows, fmt, mapping, problems, skip_invalid)


def fold_header(name: object) -> str:
    """A header as it is matched: no case, accents, ``_``/``-``/apostrophes or extra spaces."""
    return re.sub(r"[\s_\-'’.()]+", " ", normalise_header(name)).strip()


@cache
def _folded_aliases() -> dict[str, tuple[str, ...]]:
    return {key: tuple(fold_header(a) for a in names) for key, names in _ALIASES.items()}


def check_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """``columns`` with folded headers; a field outside the schema is a ValueError."""
    unknown = sorted(set(columns or {}) - set(FIELDS))
    if unknown:
        raise ValueError(f"column mapping names {unknown[0]!r}; expected fields among "
                         f"{list(FIELDS)}")
    return {field: fold_header(header) for field, header in (columns or {}).items()}


Row = tuple[int, dict[str, str], BaseGeometry | None]


def _csv_rows(path: Path) -> list[Row]:
    data = read_input_bytes(path)
    check_lines(data, path.name)
    text = data.decode(detect_encoding(data[: 1 << 20]), errors="replace").lstrip("\ufeff")
    if (line := nul_line(text)) is not None:
        raise InputError.single(path.name, NUL_REASON, row=line, code="bad_encoding")
    reader = csv_rows(
        io.StringIO(text, newline=""), delimiter=sniff_delimiter(text.split("\n", 1)[0])
    )
    try:
        header = [clean_cell(h) for h in next(reader, [])]
        if not any(header):
            raise InputError.single(path.name, "empty file or no header", code="empty_file")
        rows = [
            (reader.line_num, dict(zip(header, row, strict=False)), None)
            for row in reader
            if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise csv_problem(exc, path.name, reader.line_num) from None
    return rows


def _geojson_rows(path: Path, problems: ProblemCollector) -> list[Row]:
    doc = load_json(path)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise InputError.single(path.name, "not a GeoJSON FeatureCollection", code="bad_geojson")
    crs = doc.get("crs")
    crs_props = crs.get("properties") if isinstance(crs, dict) else None
    crs_name = str(crs_props.get("name", "")) if isinstance(crs_props, dict) else ""
    rows: list[Row] = []
    for number, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        geom = None
        if geometry:
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError, ShapelyError):
                problems.add(
                    "invalid GeoJSON geometry",
                    row=number,
                    column="geometry",
                    value=json.dumps(geometry)[:60],
                )
        cells = {k: _cell(v) for k, v in (props or {}).items()}
        if isinstance(feature, dict) and feature.get("id") is not None:
            cells.setdefault("id", _cell(feature["id"]))
        rows.append((number, cells, geom))
    if crs_name and not re.search(r"(CRS84|4326)$", crs_name):
        try:
            series = gpd.GeoSeries([r[2] for r in rows], crs=crs_name).to_crs(4326)
        except CRSError:
            raise InputError.single(
                path.name,
                "unknown CRS in the 'crs' member",
                column="crs",
                value=crs_name,
                code="bad_crs",
            ) from None
        rows = [(n, p, g) for (n, p, _), g in zip(rows, series, strict=True)]
    return rows


def _ogr_rows(path: Path) -> list[Row]:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, datetime_as_string=True)
    except Exception as exc:  # pyogrio raises many GDAL error types for unreadable files
        message = str(exc)
        if "not recognized as" in message or "supported file format" in message:
            # GDAL's own words name the server's path and advise on driver prefixes.
            message = "not a format GDAL reads: expected GeoJSON, GeoPackage, CSV, WZDx or CIFS"
        raise InputError.single(
            path.name, f"unreadable vector file ({message[:120]})", code="unreadable"
        ) from None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    props = frame.drop(columns="geometry")
    return [
        (n, {k: _cell(v) for k, v in rec.items()}, g)
        for n, (rec, g) in enumerate(
            zip(props.to_dict("records"), frame.geometry, strict=True), start=1
        )
    ]


def _cell(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return clean_cell(value)


def _works_from_rows(
    file: str,
    rows: list[Row],
    fmt: str,
    mapping: dict[str, str],
    problems: ProblemCollector,
    skip_invalid: bool,
) -> WorksRead:
    """Map the minimum schema (or portal names, or ``mapping``) onto the canonical frame."""
    names = {fold_header(k) for _, props, _ in rows[:1] for k in props}
    header_row = 1 if fmt == "csv" else None
    for field, header in mapping.items():
        if rows and header not in names:
            raise InputError.single(file, f"no column {header!r} to read {field!r} from",
                                    row=header_row, column=field, value=header,
                                    code="missing_column")
    starts = {mapping["start"]} if "start" in mapping else set(_folded_aliases()["start"])
    if rows and not names & starts:
        raise InputError.single(
            file,
            "no start date column (expected 'start', 'date_debut', 'Date début du chantier'… "
            "or map one with --column start=HEADER)",
            row=header_row,
            code="missing_column",
        )
    broken = {p.row for p in problems.problems}  # unreadable geometries, already reported
    warnings: list[str] = []
    records, seen, local_times = [], {}, 0
    for number, props, geom in rows:
        get = _getter(props, mapping)
        source_id = get("id") or str(number)
        if source_id in seen:
            problems.add(
                f"duplicate id (first on row {seen[source_id]})",
                row=number,
                column="id",
                value=source_id,
            )
        seen[source_id] = number
        times = []
        for key, is_end in (("start", False), ("end", True)):
            raw = get(key)
            if not raw:
                if not is_end:
                    problems.add("missing start date", row=number, column="start")
                times.append(None)
                continue
            try:
                stamp, local = parse_instant(raw, end=is_end)
            except ValueError as exc:
                problems.add(str(exc), row=number, column=key, value=raw)
                stamp, local = None, False
            local_times += local
            times.append(stamp)
        if times[0] is not None and times[1] is not None and times[1] < times[0]:
            problems.add("end is before start", row=number, column="end", value=get("end"))
        geom = geom if geom is not None else _geometry_from_columns(get, number, problems)
        reason = None if geom is None else lonlat_problem(geom)
        if geom is None and number not in broken:
            problems.add(
                "no geometry (expected a geometry, wkt, geo_shape or geo_point_2d)", row=number
            )
        elif reason:
            problems.add(reason, row=number, column="geometry", value=geom.wkt[:60])
        kind = re.sub(r"[\s_]+", "-", (get("kind") or "work-zone").lower())
        records.append(
            {
                "source_id": source_id,
                "source_format": fmt,
                "title": get("title") or source_id,
                "kind": kind,
                "owner": get("owner") or None,
                "start_at": times[0],
                "end_at": times[1],
                "start_verified": None,
                "end_verified": None,
                "types_of_work": [
                    t.strip() for t in re.split(r"[;,]", get("types_of_work")) if t.strip()
                ],
                "commune": get("commune") or None,
                "source_row": number,
                "road_names": [get("street")] if get("street") else None,
                "description": get("description") or None,
                "geometry": geom,
            }
        )
    records, rejected = keep_valid(records, problems, skip_invalid)
    if local_times:
        warnings.append(f"{local_times} date(s) without a UTC offset read as {LOCAL_TZ} local time")
    return WorksRead(works_frame(records), fmt, warnings, rejected=rejected)


def _getter(props: dict[str, str], mapping: dict[str, str]) -> Callable[[str], str]:
    by_name = {fold_header(k): v for k, v in props.items()}

    def get(key: str) -> str:
        for alias in (mapping[key],) if key in mapping else _folded_aliases()[key]:
            value = by_name.get(alias)
            if value:
                return clean_cell(value)
        return ""

    return get


def _geometry_from_columns(
    get: Callable[[str], str], number: int, problems: ProblemCollector
) -> BaseGeometry | None:
    """Geometry from WKT, GeoJSON text, a "lat, lon" pair or lon/lat columns."""
    for key in ("wkt", "geo_shape", "geo_point_2d", "lon"):
        raw = get(key)
        if not raw:
            continue
        try:
            if key == "wkt":
                return shapely.from_wkt(raw)
            if key == "geo_shape":
                doc = json.loads(raw)
                return shape(doc["geometry"] if doc.get("type") == "Feature" else doc)
            if key == "geo_point_2d":
                # Portals write the point latitude first: "50.63, 3.06".
                lat, lon = (float(v) for v in raw.replace(";", ",").split(","))
                return Point(lon, lat)
            return Point(float(raw.replace(",", ".")), float(get("lat").replace(",", ".")))
        except (ValueError, TypeError, KeyError, AttributeError, ShapelyError, RecursionError):
            problems.add(f"unreadable {key} geometry", row=number, column=key, value=raw)
            return None
    return None
