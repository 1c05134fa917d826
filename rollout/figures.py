"""Every figure a user reads, in the reader's language, through Babel's CLDR formatters.

French keeps the bytes the project has always printed: ``59 696``, ``42,1 %``, ``30/09/2026``
with a plain space (U+0020) as thousands separator and before ``%``. CLDR's French groups with a
narrow no-break space (U+202F); :data:`_FRENCH` is Babel's ``fr`` locale with that one symbol
set back to U+0020, so that the demo reports, their CSV and the tests reading them stay
byte-identical. English is CLDR ``en`` (``59,696``, ``42.1%``); English dates stay ISO 8601
(``2026-09-30``: one reading on both sides of the Channel and the Atlantic).

Values are given to Babel as the exact :class:`~decimal.Decimal` of the float (not its
``str``), so rounding is the one Python's own ``f"{x:.1f}"`` does (half-even on the binary
value). A missing value (None, NaN, NaT) reads ``–`` in both languages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("fr", "en")
MISSING = "–"


class _PlainSpaceFrench(Locale):
    """Babel's ``fr`` with U+0020 (the project's historic separator) as group symbol."""

    @property
    def number_symbols(self) -> dict[str, dict[str, str]]:  # type: ignore[override]
        latn = dict(super().number_symbols["latn"])
        latn["group"] = " "
        return {"latn": latn}


_FRENCH = _PlainSpaceFrench("fr")
_LOCALES: dict[str, Locale] = {"fr": _FRENCH, "en": Locale("en")}
# Per language: share suffix, date pattern, date-time pattern (CLDR/LDML pattern syntax).
_SHARE = {"fr": " %", "en": "%"}
_DATE = {"fr": "dd/MM/yyyy", "en": "yyyy-MM-dd"}
_STAMP = {"fr": "dd/MM/yyyy HH:mm", "en": "yyyy-MM-dd HH:mm"}


def locale(lang: str) -> Locale:
    """The Babel locale of ``lang`` (``fr`` or ``en``), a ValueError otherwise."""
    if lang not in _LOCALES:
        raise ValueError(f"lang was {lang!r}; expected one of {list(LANGUAGES)}")
    return _LOCALES[lang]


def missing(value: Any) -> bool:
    """Whether ``value`` is a missing scalar (None, NaN, pandas NA or NaT)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _exact(value: Any) -> Decimal:
    return Decimal(float(value))


def fmt_int(value: Any, lang: str = "fr") -> str:
    """``59696`` -> ``59 696`` / ``59,696``; a float is truncated as ``int()`` does."""
    if missing(value):
        return MISSING
    return format_decimal(int(value), format="#,##0", locale=locale(lang))


def fmt_number(value: Any, lang: str = "fr", digits: int = 2) -> str:
    """``1234.5`` -> ``1 234,50`` / ``1,234.50`` (``digits`` decimals)."""
    if missing(value):
        return MISSING
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(_exact(value), format=pattern, locale=locale(lang),
                          decimal_quantization=True)


def fmt_share(value: Any, lang: str = "fr", digits: int = 1) -> str:
    """``0.4213`` -> ``42,1 %`` / ``42.1%`` (a share of 1, not a percentage, is given)."""
    if missing(value):
        return MISSING
    pattern = ("0." + "0" * digits if digits else "0") + _SHARE[lang]
    # Babel scales a percent pattern by 10² with Decimal.scaleb (exact): scaling the float
    # first and back keeps the rounding of the float product, as the project always did.
    scaled = Decimal(float(value) * 100).scaleb(-2)
    return format_percent(scaled, format=pattern, locale=locale(lang))


def fmt_signed(value: float, lang: str = "fr", digits: int = 1) -> str:
    """A signed decimal without grouping: ``+1,5`` / ``+1.5``, ``-0,3`` / ``-0.3``."""
    body = "0." + "0" * digits if digits else "0"
    return format_decimal(_exact(value), format=f"+{body};-{body}", locale=locale(lang))


def _day(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def fmt_date(value: Any, lang: str = "fr") -> str:
    """``2018-03-31`` (date, Timestamp or ISO text) -> ``31/03/2018`` / ``2018-03-31``."""
    if missing(value):
        return MISSING
    return format_date(_day(value), format=_DATE[lang], locale=locale(lang))


def fmt_datetime(value: Any, lang: str = "fr") -> str:
    """A date and time as written in ``value``'s own zone: ``30/09/2026 08:00``."""
    if missing(value):
        return MISSING
    naive = value.replace(tzinfo=None)
    return format_datetime(naive, format=_STAMP[lang], tzinfo=dt.UTC,
                           locale=locale(lang))
