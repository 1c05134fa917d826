"""Bounds on what a reader inflates and parses, so a hostile file is refused, not obeyed.

Every archive member is inflated as a stream and counted; every CSV reader uses the same
field limit; every JSON document is checked for its nesting depth before it is parsed. A file
past a bound is an :class:`InputError` like any bad input (exit 2, a ``rejected`` batch).

Settings (environment, read when a file is read):

- ``ROLLOUT_UNZIP_MAX_MB`` (512): the most one member of an archive (ANFR zip, XLSX
  workbook, zipped Shapefile) may inflate to. The largest table we read whole, a national
  ANFR ``SUP_EMETTEUR``, is a few hundred MB; past that, memory, not data, is the limit.
- ``ROLLOUT_UNZIP_MAX_RATIO`` (100): the most a member may inflate relative to its
  compressed size, once past 1 MB. CSV tables and XLSX sheets compress 5 to 30 times;
  decompression bombs 1,000 times and more.
- ``ROLLOUT_CSV_FIELD_MAX_KB`` (1024): the longest CSV cell. Python's own default (128 KB)
  is too short for a long road's GeoJSON geometry in a works CSV; a 60 MB line is no cell.
- ``ROLLOUT_JSON_MAX_DEPTH`` (64): the deepest JSON nesting. GeoJSON needs 7 levels (a
  multipolygon's coordinates in a feature collection), WZDx and CIFS fewer than 12.
"""

from __future__ import annotations

import csv
import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from geodata.errors import InputError

_CHUNK = 1 << 20
_RATIO_FLOOR = 1 << 20
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def setting(name: str, default: int) -> int:
    """A positive whole-number setting from the environment; ``default`` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} was {raw!r}; expected a positive whole number")
    return int(raw)


def unzip_max_bytes() -> int:
    return setting("ROLLOUT_UNZIP_MAX_MB", 512) << 20


def unzip_max_ratio() -> int:
    return setting("ROLLOUT_UNZIP_MAX_RATIO", 100)


def csv_field_limit() -> int:
    return setting("ROLLOUT_CSV_FIELD_MAX_KB", 1024) << 10


def json_max_depth() -> int:
    return setting("ROLLOUT_JSON_MAX_DEPTH", 64)


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
              keep: bool) -> bytes:
    cap, ratio = unzip_max_bytes(), unzip_max_ratio()
    packed = max(info.compress_size, 1)
    out, size = bytearray(), 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise InputError.single(
                    label, f"inflates past {cap >> 20} MB (ROLLOUT_UNZIP_MAX_MB): refused as "
                           "a possible decompression bomb", code="too_large")
            if size > _RATIO_FLOOR and size > ratio * packed:
                raise InputError.single(
                    label, f"inflates more than {ratio} times its compressed size "
                           "(ROLLOUT_UNZIP_MAX_RATIO): refused as a possible decompression "
                           "bomb", code="too_large")
            if keep:
                out += chunk
    return bytes(out)


def read_member(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    """The bytes of member ``name``, inflated as a stream within the size and ratio caps."""
    return _inflated(archive, archive.getinfo(name), label, keep=True)


def check_archive(path: Path, file: str) -> None:
    """Inflate every member of the zip ``path`` (discarding it) within the caps, before a
    library that trusts the archive (openpyxl, GDAL) opens it; a file that is no zip at all
    is left to that library to refuse in its own words."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    _inflated(archive, info, f"{file}:{info.filename}", keep=False)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
            NotImplementedError) as exc:
        raise InputError.single(file, f"unreadable zip archive ({exc})",
                                code="bad_archive") from None


def csv_rows(lines: Iterable[str], **options: Any) -> Iterator[list[str]]:
    """``csv.reader`` with the shared field limit (``csv.field_size_limit`` is global)."""
    csv.field_size_limit(csv_field_limit())
    return csv.reader(lines, **options)


def check_lines(data: bytes, file: str) -> None:
    """Refuse a text table with a line longer than twice the field limit, before decoding it
    (decoded and split, a 60 MB line costs more than ten times its size)."""
    limit = 2 * csv_field_limit()
    if len(data) <= limit:
        return
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.diff(np.concatenate((starts, [len(data)])))
    longest = int(np.argmax(lengths))
    if lengths[longest] > limit:
        raise InputError.single(
            file, f"a line is longer than {limit >> 10} KB (twice ROLLOUT_CSV_FIELD_MAX_KB): "
                  "not a table row", row=longest + 1, code="too_large")


def csv_problem(exc: csv.Error, file: str, row: int | None) -> InputError:
    """The InputError for a CSV the parser gave up on: field past the limit or malformed."""
    if "field larger than field limit" in str(exc):
        return InputError.single(
            file, f"a field is longer than {csv_field_limit() >> 10} KB "
                  "(ROLLOUT_CSV_FIELD_MAX_KB): not a table cell", row=row, code="too_large")
    return InputError.single(file, f"malformed CSV: {exc}", row=row, code="malformed_csv")


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON ``data`` (brackets in strings aside)."""
    codes = np.frombuffer(_JSON_STRING.sub(b'""', data), np.uint8)
    brackets = codes[np.isin(codes, _OPEN) | np.isin(codes, _CLOSE)]
    if not len(brackets):
        return 0
    steps = np.where(np.isin(brackets, _OPEN), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def parse_json(text: str, file: str) -> Any:
    """``json.loads`` of ``text`` once its depth is within ROLLOUT_JSON_MAX_DEPTH."""
    limit = json_max_depth()
    depth = json_depth(text.encode("utf-8", errors="replace"))
    if depth > limit:
        raise InputError.single(
            file, f"JSON nested {depth} levels deep, more than {limit} "
                  "(ROLLOUT_JSON_MAX_DEPTH): refused as a possible parser bomb",
            code="too_deep")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(file, f"not valid JSON ({exc.msg}, column {exc.colno})",
                                row=exc.lineno, code="bad_json") from None
