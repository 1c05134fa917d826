"""Reader of commune boundaries from any OGR vector format (FORMATS.md §1).

GeoJSON, GeoPackage, Shapefile or zipped Shapefile, in any CRS; returns
MultiPolygons in EPSG:4326 keyed by 5-character INSEE codes.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import InputError, ProblemCollector
from geodata.limits import check_archive
from geodata.text import NUL_REASON, normalise_insee, nul_line, parse_count

# Candidate field names, matched case-insensitively, in order of preference.
ID_FIELDS = ("code_insee", "insee_com", "insee", "codgeo", "code_commune", "code")
NAME_FIELDS = ("name", "nom", "nom_com", "libelle", "nom_commune")
EPCI_FIELDS = ("epci_siren", "siren_epci")
# Population: municipale before totale (the legal figure INSEE publishes), latest vintage
# first; IGN's POPULATION is the municipale one. A year suffix ranks by year.
POPULATION_PATTERNS = (
    r"population_municipale_(\d{4})", r"population_municipale", r"pmun(?:_?(\d{4}))?",
    r"population", r"population_totale_(\d{4})", r"population_totale", r"ptot(?:_?(\d{4}))?",
)
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
# Encodings to retry a Shapefile DBF with, named as GDAL knows them.
DBF_FALLBACKS = ("CP1252", "ISO-8859-1")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
LAMBERT93_X, LAMBERT93_Y = (-400_000, 1_400_000), (6_000_000, 7_200_000)

# Far above any commune (Paris: 2.1 M); also keeps populations within 32-bit integers.
MAX_POPULATION = 100_000_000


@dataclass
class CommunesRead:
    """Communes in canonical form, with how they were read.

    ``frame``: insee (str), name (str), population (Int64, NA when absent),
    epci_siren (str, NA when absent), source_row (1-based feature number),
    geometry (MultiPolygon, EPSG:4326).
    """

    frame: gpd.GeoDataFrame
    repaired: int
    source_crs: str
    id_field: str
    name_field: str
    population_field: str | None
    warnings: list[str] = field(default_factory=list)


def read_communes(
    path: str | Path,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
) -> CommunesRead:
    """Read commune boundaries and their INSEE codes, names, populations and EPCI.

    Parameters
    ----------
    path
        Any OGR vector file; a ``.zip`` is read through GDAL's ``/vsizip/``.
    id_field, name_field
        Field names overriding the auto-detection (``ID_FIELDS``, ``NAME_FIELDS``).
    layer
        Layer to read when the file holds several (GeoPackage, zip of Shapefiles).
    """
    path = Path(path)
    file = path.name
    if not path.is_file():
        raise InputError.single(file, "no such file", code="unreadable")
    warnings: list[str] = []
    source, layer = _source(path, file, layer)
    raw = _read(source, file, layer, warnings)
    if path.suffix.lower() in (".geojson", ".json") and (
            line := nul_line(path.read_bytes().decode("utf-8", errors="replace"))) is not None:
        # GDAL cuts text at a NUL: "a\u0000b" would be stored as "a".
        raise InputError.single(file, NUL_REASON, row=line, code="bad_encoding")
    fields = [c for c in raw.columns if c != raw.geometry.name]
    chosen_id = _field(fields, file, id_field, ID_FIELDS, "INSEE code")
    chosen_name = _field(fields, file, name_field, NAME_FIELDS, "commune name")
    chosen_population = _population_field(fields)
    chosen_epci = next((f for c in EPCI_FIELDS for f in fields if f.lower() == c), None)
    raw, source_crs = _to_wgs84(raw, file, warnings)

    coll = ProblemCollector(file)
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    repaired = 0
    for position, (code, name, population, epci, geometry) in enumerate(zip(
        raw[chosen_id], raw[chosen_name],
        raw[chosen_population] if chosen_population else [None] * len(raw),
        raw[chosen_epci] if chosen_epci else [None] * len(raw),
        raw.geometry, strict=True,
    )):
        row = position + 1
        insee = _insee(code, row, chosen_id, seen, coll)
        if _is_blank(name):
            coll.add("empty commune name", row=row, column=chosen_name)
        geometry, was_repaired = _multipolygon(geometry, row, coll)
        repaired += was_repaired
        records.append({
            "insee": insee,
            "name": None if _is_blank(name) else str(name).strip(),
            "population": _population(population, row, chosen_population, coll),
            "epci_siren": _epci(epci),
            "source_row": row,
            "geometry": geometry,
        })
    coll.raise_if_any()
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    frame["population"] = pd.array(frame["population"].tolist(), dtype="Int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return CommunesRead(frame, repaired, source_crs, chosen_id, chosen_name,
                        chosen_population, warnings)


def _source(path: Path, file: str, layer: str | None) -> tuple[str, str | None]:
    """Return the GDAL path to open and the layer to read."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist()
                           if m.lower().endswith(VECTOR_SUFFIXES) and "__MACOSX" not in m]
        except zipfile.BadZipFile:
            raise InputError.single(file, "not a readable zip archive", code="unreadable") from None
        check_archive(path, file)
        if layer is not None:
            members = [m for m in members if Path(m).stem == layer] or members
        if not members:
            raise InputError.single(file, "the zip holds no Shapefile, GeoPackage or GeoJSON",
                                    code="unsupported_format")
        if len(members) > 1:
            raise InputError.single(
                file, f"the zip holds several layers, choose one with --layer: "
                f"{sorted(Path(m).stem for m in members)}", code="ambiguous_layer")
        member = members[0]
        source = f"/vsizip/{path.resolve()}/{member}"
        return source, layer if member.lower().endswith(".gpkg") else None
    return str(path), layer


def _read(source: str, file: str, layer: str | None, warnings: list[str]) -> gpd.GeoDataFrame:
    try:
        layers = [str(name) for name, kind in pyogrio.list_layers(source) if kind is not None]
        if layer is None and len(layers) > 1:
            raise InputError.single(file, f"several layers, choose one with --layer: {layers}",
                                    code="ambiguous_layer")
        if layer is not None and layer not in layers:
            raise InputError.single(file, f"no layer {layer!r}; layers: {layers}",
                                    code="unknown_layer")
        if not layers:
            raise InputError.single(file, "no layer with geometries", code="unsupported_format")
        chosen = layer or layers[0]
        info = pyogrio.read_info(source, layer=chosen)
        frame = _read_text_fields(source, chosen, info["driver"], warnings)
    except (DataSourceError, DataLayerError) as exc:
        reason = str(exc).split(";")[0].replace(source, file)
        raise InputError.single(file, f"not a readable vector file: {reason}",
                                code="unreadable") from None
    except UnicodeDecodeError:
        raise InputError.single(file, "not a readable vector file: text is not valid UTF-8",
                                code="unreadable") from None
    except shapely.errors.GEOSException as exc:
        # e.g. a ring whose first and last points differ (one of them NaN): GEOS refuses it.
        reason = str(exc).split(": ", 1)[-1]
        raise InputError.single(file, f"a geometry cannot be read: {reason}",
                                code="bad_geometry") from None
    if frame.empty:
        raise InputError.single(file, f"layer {chosen!r} has no features", code="empty_file")
    return frame


def _read_text_fields(
    source: str, layer: str, driver: str, warnings: list[str]
) -> gpd.GeoDataFrame:
    """Read a layer; for Shapefiles, retry the DBF in another encoding when names look wrong.

    DBFs are often latin-1/cp1252 even when the .cpg says UTF-8 (FORMATS.md §1), and
    UTF-8 DBFs declared latin-1 come out as mojibake ('Ã©').
    """
    try:
        frame = pyogrio.read_dataframe(source, layer=layer)
    except UnicodeDecodeError:
        if driver != "ESRI Shapefile":
            raise DataSourceError("text fields are not valid UTF-8") from None
        frame = None
    if driver != "ESRI Shapefile" or (frame is not None and not _looks_misdecoded(frame)):
        return frame
    retries = ("UTF-8", *DBF_FALLBACKS) if frame is not None else DBF_FALLBACKS
    for encoding in retries:
        try:
            candidate = pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_misdecoded(candidate):
            warnings.append(f"the DBF text was not in its declared encoding: read as {encoding}")
            return candidate
    raise DataSourceError("the DBF text fields are in no known encoding (UTF-8, CP1252, latin-1)")


def _looks_misdecoded(frame: gpd.GeoDataFrame) -> bool:
    """True when text holds C1 control characters or UTF-8 read as a single-byte code."""
    for column in frame.columns:
        if column == frame.geometry.name or not pd.api.types.is_string_dtype(frame[column]):
            continue
        for text in frame[column].dropna():
            text = str(text)
            if _C1_CONTROLS.search(text) or "\ufffd" in text:
                return True
            if not text.isascii() and _is_utf8_mojibake(text):
                return True
    return False


def _is_utf8_mojibake(text: str) -> bool:
    for single_byte in ("cp1252", "latin-1"):
        try:
            return text.encode(single_byte).decode("utf-8") != text
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return False


def _field(fields: list[str], file: str, given: str | None,
           candidates: tuple[str, ...], what: str) -> str:
    if given is not None:
        if given in fields:
            return given
        raise InputError.single(file, f"no field {given!r} for the {what}; fields: {fields}",
                                code="missing_field")
    lowered = {f.lower(): f for f in fields}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    raise InputError.single(
        file, f"no {what} field: expected one of {list(candidates)} (or name it with "
        f"--{'id' if what == 'INSEE code' else 'name'}-field); fields: {fields}",
        code="missing_field")


def _population_field(fields: list[str]) -> str | None:
    for pattern in POPULATION_PATTERNS:
        matches = [(m, f) for f in fields if (m := re.fullmatch(pattern, f, re.IGNORECASE))]
        if matches:
            # Latest vintage first; an undated field ranks after dated ones.
            return max(matches, key=lambda mf: int(mf[0].group(1) or 0) if mf[0].groups()
                       else 0)[1]
    return None


def _to_wgs84(frame: gpd.GeoDataFrame, file: str, warnings: list[str]
              ) -> tuple[gpd.GeoDataFrame, str]:
    if frame.crs is None:
        xmin, ymin, xmax, ymax = frame.total_bounds
        if (LAMBERT93_X[0] <= xmin and xmax <= LAMBERT93_X[1]
                and LAMBERT93_Y[0] <= ymin and ymax <= LAMBERT93_Y[1]):
            frame = frame.set_crs("EPSG:2154")
            warnings.append("no CRS in the file: coordinates look like Lambert-93, "
                            "EPSG:2154 assumed")
        elif -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90:
            frame = frame.set_crs("EPSG:4326")
            warnings.append("no CRS in the file: coordinates look like longitude/latitude, "
                            "EPSG:4326 assumed")
        else:
            raise InputError.single(
                file, f"no CRS in the file and coordinates {[xmin, ymin, xmax, ymax]} are "
                "neither Lambert-93 nor longitude/latitude: add a .prj or reproject",
                code="unknown_crs")
    epsg = frame.crs.to_epsg()
    source_crs = f"EPSG:{epsg}" if epsg else frame.crs.to_string()
    return frame.to_crs("EPSG:4326"), source_crs


def _insee(value: object, row: int, column: str, seen: dict[str, int],
           coll: ProblemCollector) -> str | None:
    try:
        # Numeric fields drop the leading zero of départements 01-09: pad back.
        insee = normalise_insee(None if _is_blank(value) else value)
    except ValueError as exc:
        coll.add(str(exc), row=row, column=column, value=value)
        return None
    if insee in seen:
        coll.add(f"duplicate INSEE code (first on feature {seen[insee]})", row=row,
                 column=column, value=insee)
        return None
    seen[insee] = row
    return insee


def _multipolygon(geometry: object, row: int, coll: ProblemCollector
                  ) -> tuple[MultiPolygon | None, bool]:
    """Return the polygonal part of a geometry as a MultiPolygon, repairing it if invalid."""
    if geometry is None or shapely.is_empty(geometry):
        coll.add("empty or missing geometry", row=row, column="geometry")
        return None, False
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        coll.add("coordinates that are not finite numbers (NaN or infinite)", row=row,
                 column="geometry")
        return None, False
    repaired = not shapely.is_valid(geometry)
    if repaired:
        geometry = shapely.make_valid(geometry)
    polygons = [p for part in shapely.get_parts(geometry)
                for p in shapely.get_parts(part) if isinstance(p, Polygon) and not p.is_empty]
    if not polygons:
        coll.add(f"not a polygon ({geometry.geom_type})", row=row, column="geometry")
        return None, False
    return shapely.force_2d(MultiPolygon(polygons)), repaired


def _population(value: object, row: int, column: str | None,
                coll: ProblemCollector) -> int | None:
    if column is None or _is_blank(value):
        return None
    try:
        count = parse_count(value)
    except ValueError as exc:
        coll.add(str(exc), row=row, column=column, value=value)
        return None
    if count is not None and count > MAX_POPULATION:
        coll.add(f"population over {MAX_POPULATION:,} is not a commune's".replace(",", " "),
                 row=row, column=column, value=value)
        return None
    return count


def _epci(value: object) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or (
        isinstance(value, str) and not value.strip())
