"""Report downloads: a thin adapter over :mod:`reports` (404 unknown operator or commune,
400 bad ``as_of``). The app factory registers ``reports_bp``; it reads the engine from
``app.extensions["rollout_engine"]``.

Every download is written to the audit log (issue 7): the report id printed in its footer,
and as fingerprint the sha256 of the delivered file (reports are deterministic, so the same
data and as-of give the same file and digest). The row is written in its own short write
transaction once the report is built (issue 13): the long read holds no write lock, and a
busy database never fails a download that was otherwise served.
Reports follow the page language (:func:`webmap.i18n.current_language`: ``?lang=``, cookie,
Accept-Language, French); English downloads are audited with ``lang: en``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, request

from geodata.errors import InputError
from rollout import audit, known_at
from rollout.dates import reference_date
from rollout.db import session_scope
from webmap import ratelimit
from webmap.auth import allowed, current_user, requires, write_after
from webmap.disposition import content_disposition
from webmap.i18n import current_language, translate
from webmap.page_cache import respond

reports_bp = Blueprint("reports", __name__)

MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",  # werkzeug adds "; charset=utf-8" to text types itself
    "html": "text/html",
    "zip": "application/zip",
}


def _as_of(name: str = "as_of") -> dt.date:
    """``?as_of=`` (:func:`rollout.dates.reference_date`'s forms and range), today (UTC) when
    absent; 400 naming the parameter otherwise."""
    raw = request.args.get(name, "")
    if raw == "":
        return dt.datetime.now(dt.UTC).date()
    try:
        return reference_date(raw)
    except ValueError as exc:
        abort(400, description=f"{name}: {exc}")


def _known_at() -> dt.date | None:
    """``?known_at=YYYY-MM-DD`` (:mod:`rollout.known_at`): for legal staff only (403 else)."""
    if not request.args.get("known_at"):
        return None
    if not allowed("evidence"):
        abort(403, description=translate("Votre rôle ne donne pas accès à cette page."))
    return _as_of("known_at")


def _send(build: Callable, kind: str, key: dict[str, str], name: str, fmt: str,
          allowed: tuple[str, ...]) -> Response:
    if fmt not in allowed:
        abort(404, description=f"format {fmt!r} not offered; expected one of {list(allowed)}")
    from reports.i18n import recorded_language

    as_of, lang, known_day = _as_of(), current_language(), _known_at()
    user = current_user()

    def render() -> tuple[Response, dict]:
        if user is None:
            refused = ratelimit.refusal()
            if refused is not None:
                return refused, {}
        try:
            with known_at.scope(known_day), \
                    session_scope(current_app.extensions["rollout_engine"]) as session:
                rendered = build(session, as_of, fmt, lang)
        except InputError as exc:
            abort(404, description=str(exc.problems[0].reason))
        response = Response(rendered.payload, mimetype=MIMETYPES[fmt], headers={
            "Content-Disposition": content_disposition(f"{name}-{as_of.isoformat()}.{fmt}",
                                                       inline=fmt in ("pdf", "html"))})
        return response, {"report_id": rendered.report_id,
                          "sha256": hashlib.sha256(rendered.payload).hexdigest()}

    # Deterministic: the same request on the same data version is served from the cache
    # (legal reports are no-store all the same: webmap.security.cache_policy).
    response, meta = respond((kind, tuple(sorted(key.items())), as_of, known_day, fmt), render)
    if response.status_code == 200:
        asked = {**key, "as_of": as_of, "format": fmt, "via": "web", **recorded_language(lang),
                 **({"known_at": known_day} if known_day is not None else {})}
        write_after(lambda db: audit.record_report(db, kind, asked, meta["report_id"],
                                                   meta["sha256"],
                                                   user.username if user is not None else None),
                    "report download")
    return response


@reports_bp.get("/operators/<code>/evidence-bundle.zip")
@requires("operator_delay_reports")
def evidence_bundle(code: str) -> Response:
    """The delay report with every source and a manifest (``rollout verify``): legal staff."""
    from reports.evidence_bundle import build_bundle

    url = current_app.config["DATABASE_URL"]
    return _send(lambda session, as_of, fmt, lang: build_bundle(session, url, code, as_of, lang),
                 "operator-delay", {"operator": code, "bundle": "true"}, f"dossier-{code}",
                 "zip", ("zip",))


@reports_bp.get("/operators/<code>/delay-report.<fmt>")
@requires("operator_delay_reports")
def operator_delay(code: str, fmt: str) -> Response:
    """Operator-delay report (pdf, xlsx, csv, html): legal staff only."""
    from reports import OPERATOR_DELAY_FORMATS, operator_delay_report

    return _send(lambda session, as_of, fmt, lang: operator_delay_report(session, code, as_of,
                                                                         fmt, lang),
                 "operator-delay", {"operator": code}, f"retard-{code}", fmt,
                 OPERATOR_DELAY_FORMATS)


@reports_bp.get("/communes/<insee>/sheet.<fmt>")
@requires("sheets")
def commune_sheet(insee: str, fmt: str) -> Response:
    """One-page commune sheet (pdf, html)."""
    from reports import COMMUNE_SHEET_FORMATS, commune_sheet_report

    return _send(lambda session, as_of, fmt, lang: commune_sheet_report(session, insee, as_of,
                                                                        fmt, lang),
                 "commune", {"commune": insee}, f"commune-{insee}", fmt, COMMUNE_SHEET_FORMATS)


@reports_bp.get("/council.<fmt>")
@requires("sheets")
def council(fmt: str) -> Response:
    """Council summary (pdf, xlsx)."""
    from reports import COUNCIL_FORMATS, council_report

    return _send(council_report, "council", {}, "conseil", fmt, COUNCIL_FORMATS)
