"""Parsing of the textual conventions shared by French open-data files.

Encodings (UTF-8 or cp1252/latin-1), separators, numbers written with spaces,
NBSP or U+202F as thousands separators and a comma as decimal mark, ``-`` for
zero, dates in ISO or French order, quarters written ``T1 2018`` or ``2018 T1``.
Every parser raises :class:`ValueError` with a user-safe reason.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import re
from pathlib import Path

_SPACES = "\u00a0\u202f\u2009 \t"
_QUARTER_RE = re.compile(r"^\s*(?:T([1-4])\s*(\d{4})|(\d{4})\s*T([1-4]))\s*$", re.IGNORECASE)
_QUARTER_SEARCH_RE = re.compile(r"(?:T([1-4])\s*(\d{4})|(\d{4})\s*T([1-4]))", re.IGNORECASE)
_FR_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_SHARE_RE = re.compile(r"^\s*([+-]?[0-9]+(?:[.,][0-9]+)?)\s*(%?)\s*$")


def detect_encoding(sample: bytes) -> str:
    """Return ``utf-8-sig`` when the bytes decode as UTF-8, else ``cp1252`` or ``latin-1``.

    cp1252 is what French Windows exports use; latin-1 is the fallback for the
    few bytes cp1252 leaves undefined.
    """
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8-sig"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_file_encoding(path: str | Path, sample_size: int = 1 << 20) -> str:
    """Detect the encoding of a text file from its first megabyte."""
    with open(path, "rb") as fh:
        return detect_encoding(fh.read(sample_size))


def sniff_delimiter(line: str, candidates: str = ";,\t|") -> str:
    """Guess the separator of a header line: the most frequent candidate outside quotes."""
    counts = {c: line.count(c) for c in candidates}
    best = max(counts, key=lambda c: counts[c])
    if counts[best] == 0:
        try:
            return csv.Sniffer().sniff(line, delimiters=candidates).delimiter
        except csv.Error:
            return ","
    return best


def clean_cell(value: object) -> str:
    """Strip spaces (including NBSP and U+202F) around a cell value."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip(_SPACES + "\r\n")


def parse_count(value: object, *, dash_is_zero: bool = True) -> int | None:
    """Parse a non-negative integer count as ARCEP writes it.

    ``" 133 879    "`` -> 133879, ``"1\u202f880"`` -> 1880, ``"-"`` -> 0, ``""`` -> None.
    """
    if isinstance(value, bool):
        raise ValueError("expected a count, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a count cannot be negative")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if not value.is_integer():
            raise ValueError("a count must be a whole number")
        if value < 0:
            raise ValueError("a count cannot be negative")
        return int(value)
    text = clean_cell(value)
    if text == "":
        return None
    if text in {"-", "–", "—"}:
        if dash_is_zero:
            return 0
        raise ValueError("'-' is not a number here")
    for sep in _SPACES:
        text = text.replace(sep, "")
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[0-9]+[.,]0+", text):
        return int(re.split(r"[.,]", text)[0])
    if text.startswith("-") and re.fullmatch(r"-[0-9]+", text):
        raise ValueError("a count cannot be negative")
    raise ValueError("not a whole number")


def parse_decimal(value: object) -> float | None:
    """Parse a decimal number written with a comma or a point; empty -> None."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        text = clean_cell(value)
        if text == "":
            return None
        for sep in _SPACES:
            text = text.replace(sep, "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            result = float(text)
        except ValueError:
            raise ValueError("not a number") from None
    if math.isnan(result):
        return None
    if math.isinf(result):
        raise ValueError("not a finite number")
    return result


def parse_share(value: object) -> float:
    """Parse a share written ``0.92``, ``0,92``, ``92 %`` or ``92%`` into 0.92."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("not a finite number")
        return float(value)
    text = clean_cell(value).replace("\u00a0", " ").replace("\u202f", " ")
    match = _SHARE_RE.match(text)
    if not match:
        raise ValueError("not a share (expected 0.92, 0,92 or 92 %)")
    number = float(match.group(1).replace(",", "."))
    return number / 100.0 if match.group(2) else number


def parse_date(value: object) -> dt.date:
    """Parse an ISO (``2020-12-31``) or French (``31/12/2020``) date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_cell(value)
    if not text:
        raise ValueError("empty date")
    match = _ISO_DATE_RE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _FR_DATE_RE.match(text)
        if not match:
            raise ValueError("not a date (expected YYYY-MM-DD or DD/MM/YYYY)")
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("not a valid calendar date") from None


def quarter_end(label: object) -> dt.date:
    """Return the last day of the quarter labelled ``T1 2018`` or ``2018 T1``."""
    match = _QUARTER_RE.match(clean_cell(label))
    if not match:
        raise ValueError("not a quarter (expected 'T1 2018' or '2018 T1')")
    quarter = int(match.group(1) or match.group(4))
    year = int(match.group(2) or match.group(3))
    return _end_of_quarter(year, quarter)


def find_quarter(text: str) -> dt.date | None:
    """Return the end of the first quarter mentioned anywhere in ``text``, if any."""
    match = _QUARTER_SEARCH_RE.search(text)
    if not match:
        return None
    quarter = int(match.group(1) or match.group(4))
    year = int(match.group(2) or match.group(3))
    return _end_of_quarter(year, quarter)


def is_quarter_label(label: object) -> bool:
    """True for a header cell that names a quarter (``T3 2017``, ``2025 T1``)."""
    return bool(_QUARTER_RE.match(clean_cell(label)))


def _end_of_quarter(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def normalise_header(name: object) -> str:
    """Lower-case, unaccented, single-spaced form of a header used for matching."""
    import unicodedata

    text = unicodedata.normalize("NFKD", clean_cell(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().lower()


_INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def normalise_insee(value: object) -> str:
    """Return a 5-character INSEE commune code (``1001`` -> ``01001``, ``2a004`` -> ``2A004``).

    Spreadsheets and DBFs store codes as numbers and drop the leading zero of
    départements 01-09; Corsica (2A/2B) codes are never numbers.
    """
    if isinstance(value, bool):
        raise ValueError("not an INSEE commune code (expected 5 characters, e.g. 59350 or 2A004)")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = f"{value:05d}" if 0 < value <= 99999 else str(value)
    else:
        text = clean_cell(value).upper()
        if re.fullmatch(r"[0-9]{4,5}\.0+", text):
            text = text.split(".")[0]
        if re.fullmatch(r"[0-9]{4}", text):
            text = "0" + text
    if not _INSEE_RE.match(text):
        raise ValueError("not an INSEE commune code (expected 5 characters, e.g. 59350 or 2A004)")
    return text


NUL_REASON = ("NUL character: a binary file, or text saved as UTF-16/UTF-32 "
              "(save it as UTF-8 or cp1252)")


def nul_line(text: str) -> int | None:
    """1-based line of the first NUL character (raw or JSON-escaped), else ``None``.

    NUL is never part of a French open-data text file, and PostgreSQL refuses it in text
    columns: readers refuse the file with :data:`NUL_REASON` instead.
    """
    at = text.find("\x00")
    if at < 0:
        at = text.find("\\u0000")
    return None if at < 0 else text.count("\n", 0, at) + 1
