"""Compliance reports: builders -> one document model -> PDF / XLSX / CSV / HTML renderers.

The CLI (``rollout report …``) and the web downloads call the three ``*_report`` functions.
Unknown operators and communes raise :class:`geodata.errors.InputError`. Every report is
French by default and English with ``lang="en"`` (:mod:`reports.i18n`): same figures, same
report id, words and number formats in the chosen language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reports.i18n import check_language
from reports.model import Document
from rollout import progress

OPERATOR_DELAY_FORMATS = ("pdf", "xlsx", "csv", "html")
COMMUNE_SHEET_FORMATS = ("pdf", "html")
COUNCIL_FORMATS = ("pdf", "xlsx")


def _render(document: Document, fmt: str, allowed: tuple[str, ...], compact: bool = False) -> bytes:
    if fmt not in allowed:
        raise ValueError(f"format was {fmt!r}; expected one of {list(allowed)}")
    if fmt in ("pdf", "html"):
        document = _printed(document)
    if fmt == "pdf":
        from reports import render_pdf

        return render_pdf.render(document, compact=compact)
    if fmt == "xlsx":
        from reports import render_xlsx

        return render_xlsx.render(document)
    if fmt == "csv":
        from reports import render_csv

        return render_csv.render(document)
    from reports import render_html

    return render_html.render(document)


def _printed(document: Document) -> Document:
    """Long tables cut for reading (national reports): the full rows stay in XLSX and CSV."""
    from reports.i18n import Words
    from reports.model import PRINTED_ROWS, printed

    tr = Words(document.lang)
    return printed(document, lambda total, sheet: tr(
        "Les {shown} premières lignes sur {total} sont imprimées ; toutes figurent dans la "
        "feuille « {sheet} » du classeur XLSX de ce rapport (même identifiant).",
        shown=tr.value(PRINTED_ROWS, "int"), total=tr.value(total, "int"), sheet=sheet))


@dataclass(frozen=True)
class Rendered:
    """A rendered report and the id printed in its footer (cited in the audit log)."""

    report_id: str
    payload: bytes


def operator_delay_report(session: Session, operator_code: str, as_of: dt.date,
                          fmt: str, lang: str = "fr") -> Rendered:
    """Operator-delay report (legal staff) as ``pdf``, ``xlsx``, ``csv`` or ``html``.

    The CSV is the same in both languages: machine column names and values.
    """
    from reports import operator_delay

    check_language(lang)
    with progress.bar(f"rapport {fmt}", 2, "étapes") as advance:
        document = operator_delay.build(session, operator_code, as_of,
                                        with_charts=fmt in ("pdf", "html"), lang=lang)
        advance(1)
        payload = _render(document, fmt, OPERATOR_DELAY_FORMATS)
        advance(1)
    return Rendered(document.report_id, payload)


def commune_sheet_report(session: Session, insee: str, as_of: dt.date, fmt: str,
                         lang: str = "fr") -> Rendered:
    """One-page commune sheet (elected officials) as ``pdf`` or ``html``."""
    from reports import commune_sheet

    check_language(lang)
    with progress.bar(f"fiche {fmt}", 2, "étapes") as advance:
        document = commune_sheet.build(session, insee, as_of, lang)
        advance(1)
        payload = _render(document, fmt, COMMUNE_SHEET_FORMATS, compact=True)
        advance(1)
    return Rendered(document.report_id, payload)


def council_report(session: Session, as_of: dt.date, fmt: str, lang: str = "fr") -> Rendered:
    """Council summary (all communes ranked) as ``pdf`` or ``xlsx``."""
    from reports import council

    check_language(lang)
    with progress.bar(f"conseil {fmt}", 2, "étapes") as advance:
        document = council.build(session, as_of, with_charts=fmt == "pdf", lang=lang)
        advance(1)
        payload = _render(document, fmt, COUNCIL_FORMATS)
        advance(1)
    return Rendered(document.report_id, payload)


def render_operator_delay(session: Session, operator_code: str, as_of: dt.date, fmt: str,
                          lang: str = "fr") -> bytes:
    """The bytes of :func:`operator_delay_report`."""
    return operator_delay_report(session, operator_code, as_of, fmt, lang).payload


def render_commune_sheet(session: Session, insee: str, as_of: dt.date, fmt: str,
                         lang: str = "fr") -> bytes:
    """The bytes of :func:`commune_sheet_report`."""
    return commune_sheet_report(session, insee, as_of, fmt, lang).payload


def render_council(session: Session, as_of: dt.date, fmt: str, lang: str = "fr") -> bytes:
    """The bytes of :func:`council_report`."""
    return council_report(session, as_of, fmt, lang).payload
