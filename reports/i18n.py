"""French first, English available: the reports' words and number formats in one language.

As in :mod:`webmap.i18n`, the French text is the message key and
:data:`reports.translations.EN` maps it to English. Builders receive a :class:`Words` and
write ``tr("Échéance")`` or ``tr("Jalons au statut « {label} »", label=...)``; values are
formatted by :func:`value_text` through Babel (:mod:`rollout.figures`: French ``3 545``,
``86,5 %``, ``30/09/2026``; English ``3,545``, ``86.5%``, ``2026-09-30``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.translations import EN
from rollout import figures
from rollout.compliance import METRIC_LABELS_FR, STATUS_LABELS_FR
from rollout.figures import MISSING, missing

LANGUAGES = ("fr", "en")
KINDS = ("text", "int", "share", "date", "datetime", "days", "euros", "number", "flag", "hash")
NO_MILESTONE_FR = "sans jalon suivi"
# Per language: days and euros around a formatted integer; yes, no.
_WORDS: dict[str, tuple[str, str, str, str]] = {
    "fr": ("{} j", "{} €", "oui", "non"),
    "en": ("{} days", "€{}", "yes", "no"),
}


def check_language(lang: str) -> str:
    """``lang`` if the reports speak it, else a ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang was {lang!r}; expected one of {list(LANGUAGES)}")
    return lang


def recorded_language(lang: str) -> dict[str, str]:
    """A report's audited ``lang``: none for French (the default, as in older events), else it."""
    return {} if check_language(lang) == "fr" else {"lang": lang}


def value_text(value: Any, kind: str, lang: str = "fr") -> str:
    """A raw value of ``kind`` as text in ``lang`` (missing values read ``–``)."""
    days, euros, yes, no = _WORDS[check_language(lang)]
    if kind in ("text", "hash"):
        return MISSING if missing(value) else str(value)
    if kind == "datetime":
        return figures.fmt_datetime(value, lang)
    if kind == "int":
        return figures.fmt_int(value, lang)
    if kind == "share":
        return figures.fmt_share(value, lang)
    if kind == "date":
        return figures.fmt_date(value, lang)
    if kind == "days":
        return MISSING if missing(value) else days.format(figures.fmt_int(value, lang))
    if kind == "euros":
        return MISSING if missing(value) else euros.format(figures.fmt_int(value, lang))
    if kind == "number":
        return figures.fmt_number(value, lang)
    if kind == "flag":
        return yes if bool(value) and not missing(value) else no
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
        return figures.fmt_signed(value, self.lang, digits)

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
