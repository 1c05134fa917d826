"""Streaming reader of per-building FTTH status files: IPE and ARCEP buildings (FORMATS.md §3).

National files are gigabytes: :meth:`PremisesFile.chunks` yields one canonical
frame per ``chunksize`` rows and never holds more. Conversions are vectorised
per chunk: each parser runs once per distinct value of a column (statuses,
communes, dates and counts repeat), never in a per-row loop.

The cell rules those conversions apply live in :mod:`geodata._premises_values`,
the detection of a file's format and date in :mod:`geodata._premises_layout`;
their public names are importable from here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geodata._premises_layout import _detect_format, as_of_from_name
from geodata._premises_values import (
    _PROJECTIONS,
    _insee,
    _ipe_premises,
    _number,
    _per_value,
    _Problems,
    _projection_epsg,
    _transformer,
    clean_text,
    insee_code,
    size_class_premises,
    status_day,
    status_key,
)
from geodata.errors import InputError
from geodata.limits import csv_field_limit, csv_rows
from geodata.operator_codes import is_code, refusal
from geodata.text import NUL_REASON, detect_encoding, nul_line

__all__ = [
    "CANONICAL_COLUMNS",
    "RAD_STATUSES",
    "STATUSES",
    "STATUS_DTYPE",
    "STATUS_KEYS",
    "SUMMARY_COLUMNS",
    "PremisesFile",
    "as_of_from_name",
    "clean_text",
    "insee_code",
    "open_premises",
    "size_class_premises",
    "status_day",
    "status_key",
    "summarise_chunk",
]

STATUSES = (
    "cible", "signe", "en_cours_deploiement", "deploye",
    "raccordable_demande", "rad_en_cours_deploiement", "abandonne",
)
STATUS_DTYPE = pd.CategoricalDtype(list(STATUSES))
_IPE_STATUS_NAMES = [
    "CIBLE", "SIGNE", "EN COURS DE DEPLOIEMENT", "DEPLOYE", "RACCORDABLE DEMANDE",
    "RAD EN COURS DE DEPLOIEMENT", "ABANDONNE",
]
RAD_STATUSES = ("raccordable_demande", "rad_en_cours_deploiement")
CANONICAL_COLUMNS = [
    "building_id", "operator_code", "insee", "lon", "lat", "premises",
    "premises_estimated", "status", "status_date", "source_row",
]
SUMMARY_COLUMNS = [
    "insee", "operator_code", "premises_total", "connectable", "rad", "abandoned", "buildings",
]

# EtatImmeuble / imb_etat as keyed by status_key -> canonical status (see STATUSES).
STATUS_KEYS = {
    "cible": "cible", "signe": "signe", "en cours deploiement": "en_cours_deploiement",
    "deploye": "deploye", "raccordable demande": "raccordable_demande",
    "rad en cours deploiement": "rad_en_cours_deploiement", "abandonne": "abandonne",
}
# Valid extent of Lambert-93 (EPSG:2154 area of use, rounded outwards): a point
# outside it is not a metropolitan building and would reproject to nonsense.
_L93_X = (-400_000.0, 1_400_000.0)
_L93_Y = (6_000_000.0, 7_300_000.0)
_PARSER_LINE_RE = re.compile(r"\b(line|row) (\d+)")

# The width of premises_point.building_id: a longer identifier is no building's.
BUILDING_ID_MAX = 64


@dataclass
class PremisesFile:
    """An opened IPE or ARCEP building file; iterate :meth:`chunks` to read it.

    ``warnings`` counts recoverable oddities (estimated premises, unreadable
    status dates, guessed projections, blank lines) as rows are streamed.
    """

    path: Path
    format: str
    encoding: str
    delimiter: str
    as_of: dt.date
    chunksize: int
    columns: dict[str, str]
    warnings: Counter[str] = field(default_factory=Counter)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Yield canonical frames of at most ``chunksize`` rows (see CANONICAL_COLUMNS).

        Raises InputError at the end of the first chunk holding bad values.
        """
        first_row = 2  # line 1 is the header
        try:
            reader = pd.read_csv(
                self.path, sep=self.delimiter, encoding=self.encoding, dtype=str,
                usecols=list(self.columns.values()), chunksize=self.chunksize,
                keep_default_na=False, na_values=[""], skip_blank_lines=False,
            )
            with reader:
                for raw in reader:
                    frame = self._convert(raw, first_row)
                    first_row += len(raw)
                    yield frame
        except UnicodeDecodeError:
            raise self._decode_error() from None
        except pd.errors.ParserError as exc:
            raise self._parser_error(exc) from None

    def _convert(self, raw: pd.DataFrame, first_row: int) -> pd.DataFrame:
        problems = _Problems(self.path.name)
        rows = pd.Series(np.arange(first_row, first_row + len(raw), dtype="int64"), index=raw.index)
        blank = raw.isna().all(axis=1)
        if blank.any():
            # Blank lines are kept by the parser so that line numbers stay true.
            self.warnings["blank lines skipped"] += int(blank.sum())
            raw, rows = raw[~blank], rows[~blank]
        cols = {key: _per_value(raw[name], clean_text) for key, name in self.columns.items()}
        name = self.columns.get
        building_id = cols["building_id"]
        problems.add_mask(building_id.isna(), rows, name("building_id"), building_id,
                          "missing building identifier")
        problems.add_mask(building_id.str.len() > BUILDING_ID_MAX, rows, name("building_id"),
                          building_id, f"longer than {BUILDING_ID_MAX} characters")
        lon, lat = self._coordinates(cols, rows, problems)
        if self.format == "ipe":
            premises, estimated = _ipe_premises(cols["premises"], rows, name("premises"), problems)
        else:
            premises, estimated = self._size_class_premises(cols.get("size_class"), rows.index)
        operator = cols.get("operator_code", pd.Series(None, index=rows.index, dtype=object))
        upper = _per_value(operator, str.upper)
        bad = upper.isin([c for c in upper.dropna().unique() if not is_code(c, ["fixed"])])
        problems.add_mask(bad, rows, name("operator_code"), operator, refusal(["fixed"]))
        out = pd.DataFrame({
            "building_id": building_id.astype("str"),
            "operator_code": upper.astype("str"),
            "insee": _insee(cols.get("insee"), rows, name("insee"), problems),
            "lon": lon, "lat": lat, "premises": premises, "premises_estimated": estimated,
            "status": _status(cols["status"], rows, name("status"), problems),
            "status_date": _status_date(cols.get("status_date"), rows, name("status_date"),
                                        problems),
            "source_row": rows,
        }, index=rows.index)
        problems.raise_if_any()
        return out.reset_index(drop=True)

    def _coordinates(
        self, cols: dict[str, pd.Series], rows: pd.Series, problems: _Problems
    ) -> tuple[pd.Series, pd.Series]:
        xcol, ycol = self.columns["x"], self.columns["y"]
        x = _number(cols["x"], rows, xcol, problems)
        y = _number(cols["y"], rows, ycol, problems)
        shown = cols["x"].fillna("") + " " + cols["y"].fillna("")
        lon = pd.Series(np.nan, index=rows.index, dtype="float64")
        lat = lon.copy()
        epsg = self._epsg(cols, x, rows, problems)
        for code in epsg.dropna().unique():
            mask = (epsg == code) & x.notna() & y.notna()
            if code == 4326:
                lon[mask], lat[mask] = x[mask], y[mask]
                continue
            if code == 2154:
                bad = mask & ~(x.between(*_L93_X) & y.between(*_L93_Y))
                problems.add_mask(bad, rows, f"{xcol}/{ycol}", shown,
                                  "coordinates outside the Lambert-93 (EPSG:2154) extent")
                mask &= ~bad
            transformer = _transformer(int(code))
            lon[mask], lat[mask] = transformer.transform(x[mask].to_numpy(), y[mask].to_numpy())
        out = (lon.abs() > 180) | (lat.abs() > 90) | ~np.isfinite(lon.fillna(0) + lat.fillna(0))
        problems.add_mask(out, rows, f"{xcol}/{ycol}", shown,
                          "coordinates out of range (longitude -180..180, latitude -90..90)")
        return lon, lat

    def _epsg(
        self, cols: dict[str, pd.Series], x: pd.Series, rows: pd.Series, problems: _Problems
    ) -> pd.Series:
        if self.format == "arcep_immeubles":
            # FORMATS.md §3: ARCEP x, y are WGS84 longitude/latitude despite their names.
            return pd.Series(4326.0, index=rows.index)
        projection = cols.get("projection", pd.Series(None, index=rows.index, dtype=object))
        codes = _per_value(projection, _projection_epsg).astype("float64")
        problems.add_mask(projection.notna() & codes.isna(), rows, self.columns.get("projection"),
                          projection, "unknown projection; expected one of"
                          f" {sorted(_PROJECTIONS)} or an EPSG code")
        missing = projection.isna() & x.notna()
        if missing.any():
            # No projection given: metres can only be Lambert-93, degrees only WGS84.
            self.warnings["projection guessed from coordinate magnitude"] += int(missing.sum())
            codes = codes.where(~missing, np.where(x.abs() > 180, 2154.0, 4326.0))
        return codes

    def _size_class_premises(
        self, size_class: pd.Series | None, index: pd.Index
    ) -> tuple[pd.Series, pd.Series]:
        if size_class is None:
            size_class = pd.Series(None, index=index, dtype=object)
        counts = _per_value(size_class, size_class_premises).astype("float64")
        unknown = counts.isna()
        if unknown.any():
            self.warnings["unknown building size class counted as 1 premises"] += int(unknown.sum())
        self.warnings["premises estimated from building size class"] += len(index)
        premises = counts.fillna(1).astype("int32")
        return premises, pd.Series(True, index=index, dtype="bool")

    def _decode_error(self) -> InputError:
        line = _first_undecodable_line(self.path, self.encoding)
        return InputError.single(
            self.path.name, f"cannot be decoded as {self.encoding} (detected from the first"
            " megabyte); re-save the file in UTF-8", code="bad_encoding", row=line)

    def _parser_error(self, exc: Exception) -> InputError:
        # The C tokenizer counts "line N" from 1 but "row N" from 0 (header = row 0).
        match = _PARSER_LINE_RE.search(str(exc))
        row = None if not match else int(match.group(2)) + (match.group(1) == "row")
        reason = str(exc).splitlines()[0] if str(exc) else "unreadable"
        return InputError.single(self.path.name, f"malformed CSV: {reason}", code="malformed_csv",
                                 row=row)


def open_premises(
    path: str | Path, *, as_of: dt.date | None = None, chunksize: int = 250_000
) -> PremisesFile:
    """Open an IPE or ARCEP building file: detect encoding, separator, format and as-of date."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            sample = fh.read(1 << 20)
    except OSError as exc:
        reason = f"cannot be read: {exc.strerror}"
        raise InputError.single(path.name, reason, code="unreadable") from None
    if not sample.strip():
        raise InputError.single(path.name, "the file is empty", code="empty_file")
    encoding = detect_encoding(sample)
    if sample.startswith(b"\xef\xbb\xbf") and encoding != "utf-8-sig":
        raise InputError.single(path.name, "starts with a UTF-8 byte-order mark but its bytes "
                                "are not UTF-8: re-save the file in UTF-8",
                                row=_first_undecodable_line(path, "utf-8-sig"),
                                code="bad_encoding")
    if (line := nul_line(sample.decode(encoding, errors="replace"))) is not None:
        raise InputError.single(path.name, NUL_REASON, row=line, code="bad_encoding")
    header_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    if len(header_line) >= csv_field_limit() or b"\n" not in sample and len(sample) == 1 << 20:
        raise InputError.single(path.name, "the first line is longer than 1 MB: not a header "
                                "row (a one-line or binary file?)", row=1, code="too_large")
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    header = next(csv_rows([header_line], delimiter=delimiter))
    fmt, columns = _detect_format(path.name, header)
    if as_of is None:
        as_of = as_of_from_name(path.name, fmt)
    if chunksize < 1:
        raise ValueError(f"chunksize was {chunksize}; expected a positive number of rows")
    return PremisesFile(path, fmt, encoding, delimiter, as_of, chunksize, columns)


def _status_date(text: pd.Series | None, rows: pd.Series, column: str | None,
                 problems: _Problems) -> pd.Series:
    """Status dates; a written date that is no calendar day (31/02/2020) is a bad row, as in
    the ARCEP and commitments readers."""
    if text is None:
        return pd.Series(pd.NaT, index=rows.index, dtype="datetime64[s]")
    dates = _per_value(text, status_day).astype("datetime64[s]")
    problems.add_mask(text.notna() & dates.isna(), rows, column, text,
                      "not a date (expected DD/MM/YYYY, YYYY-MM-DD or YYYYMMDD)")
    return dates


def summarise_chunk(df: pd.DataFrame) -> pd.DataFrame:
    """Premises totals by (insee, operator_code) of one canonical chunk; sum them over chunks.

    ``premises_total`` counts every building whatever its status (abandoned ones
    included; ``abandoned`` lets the importer subtract them), ``connectable`` the
    premises of ``deploye`` buildings, ``rad`` those connectable on demand.
    """
    premises = df["premises"].astype("int64")
    status = df["status"].astype("object")
    frame = pd.DataFrame({
        "insee": df["insee"], "operator_code": df["operator_code"],
        "premises_total": premises,
        "connectable": premises.where(status == "deploye", 0),
        "rad": premises.where(status.isin(RAD_STATUSES), 0),
        "abandoned": premises.where(status == "abandonne", 0),
        "buildings": np.ones(len(df), dtype="int64"),
    })
    grouped = frame.groupby(["insee", "operator_code"], dropna=False, sort=True).sum()
    return grouped.reset_index()[SUMMARY_COLUMNS]


def _status(text: pd.Series, rows: pd.Series, column: str, problems: _Problems) -> pd.Series:
    status = _per_value(text, lambda v: STATUS_KEYS.get(status_key(v)))
    problems.add_mask(text.isna(), rows, column, text, "missing building status")
    problems.add_mask(text.notna() & status.isna(), rows, column, text,
                      f"unknown building status; expected one of {_IPE_STATUS_NAMES}")
    return status.astype(STATUS_DTYPE)


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None
