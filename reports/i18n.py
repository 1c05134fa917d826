"""French first, English available: the reports' words and number formats in one language.

As in :mod:`webmap.i18n`, the French text is the message key and
:data:`reports.translations.EN` maps it to English. Builders receive a :class:`Words` and
write ``tr("Échéance")`` or ``tr("Jalons au statut « {label} »", label=...)``; values are
formatted by :func:`value_text` (French ``3 545``, ``86,5 %``, ``30/09/2026``; English
``3,545``, ``86.5%``, ``2026-09-30``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reports.translations import EN
from rollout import formatting
from rollout.compliance import METRIC_LABELS_FR, STATUS_LABELS_FR

LANGUAGES = ("fr", "en")
KINDS = ("text", "int", "share", "date", "datetime", "days", "euros", "number", "flag", "hash")
NO_MILESTONE_FR = "sans jalon suivi"
# Per language: int, share, number, date formatters; datetime pattern; days, euros; yes, no.
_STYLES: dict[str, tuple] = {
    "fr": (formatting.fr_int, formatting.fr_share, formatting.fr_number, formatting.fr_date,
           "%d/%m/%Y %H:%M", "{} j", "{} €", "oui", "non"),
    "en": (formatting.en_int, formatting.en_share, formatting.en_number, formatting.en_date,
           "%Y-%m-%d %H:%M", "{} days", "€{}", "yes", "no"),
}


def check_language(lang: str) -> str:
    """``lang`` if the reports speak it, else a ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang was {lang!r}; expected one of {list(LANGUAGES)}")
    return lang


def recorded_language(lang: str) -> dict[str, str]:
    """A report's audited ``lang``: none for French (the default, as in older events), else it."""
    return {} if check_language(lang) == "fr" else {"lang": lang}


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def value_text(value: Any, kind: str, lang: str = "fr") -> str:
    """A raw value of ``kind`` as text in ``lang`` (missing values read ``–``)."""
    to_int, to_share, to_number, to_date, stamp, days, euros, yes, no = _STYLES[lang]
    if kind in ("text", "hash"):
        return "–" if _missing(value) else str(value)
    if kind == "datetime":
        return "–" if _missing(value) else value.strftime(stamp)
    if kind == "int":
        return to_int(value)
    if kind == "share":
        return to_share(value)
    if kind == "date":
        return to_date(value)
    if kind == "days":
        return "–" if _missing(value) else days.format(to_int(value))
    if kind == "euros":
        return "–" if _missing(value) else euros.format(to_int(value))
    if kind == "number":
        return to_number(value)
    if kind == "flag":
        return yes if bool(value) and not _missing(value) else no
    raise ValueError(f"kind was {kind!r}; expected one of {KINDS}")


@dataclass(frozen=True)
class Words:
    """The reports' words in ``lang``: call it with the French text (and its ``{fields}``)."""

    lang: str = "fr"

    def __post_init__(self) -> None:
        check_language(self.lang)

    def __call__(self, text: str, **fields: Any) -> str:
        # A missing English entry falls back to the French text (tests list every key).
        if self.lang == "en":
            text = EN.get(text, text)
        return text.format(**fields) if fields else text

    def value(self, value: Any, kind: str) -> str:
        """``value`` of ``kind`` formatted for this language."""
        return value_text(value, kind, self.lang)

    def date(self, value: Any) -> str:
        """A date: ``30/09/2026`` in French, ``2026-09-30`` in English."""
        return value_text(value, "date", self.lang)

    def signed(self, value: float, digits: int = 1) -> str:
        """A signed decimal: ``+1,5`` in French, ``+1.5`` in English."""
        text = f"{value:+.{digits}f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def status(self, status: str | None) -> str:
        """A milestone status; communes without any milestone read « sans jalon suivi »."""
        return self(STATUS_LABELS_FR.get(status, NO_MILESTONE_FR) if status else NO_MILESTONE_FR)

    def metric(self, metric: str) -> str:
        """A milestone metric in words (its code when unknown)."""
        return self(METRIC_LABELS_FR[metric]) if metric in METRIC_LABELS_FR else metric

    def label(self, labels: dict[str, str], key: Any, default: str = "–") -> str:
        """``labels[key]`` (French) in this language; ``default`` when absent."""
        return self(labels[key]) if key in labels else default


FRENCH = Words("fr")
