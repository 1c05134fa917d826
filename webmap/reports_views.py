"""Report downloads: a thin adapter over :mod:`reports` (404 unknown operator or commune,
400 bad ``as_of``). The app factory registers ``reports_bp``; it reads the engine from
``app.extensions["rollout_engine"]``."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, abort, current_app, request

from geodata.errors import InputError
from rollout.db import session_scope

reports_bp = Blueprint("reports", __name__)

MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_of() -> dt.date:
    """``?as_of=YYYY-MM-DD``, today (UTC) when absent; 400 naming the parameter otherwise."""
    raw = request.args.get("as_of", "")
    if raw == "":
        return dt.datetime.now(dt.UTC).date()
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"as_of was {raw!r}; expected a calendar date written YYYY-MM-DD")


def _send(render, name: str, fmt: str, allowed: tuple[str, ...], *args) -> Response:
    if fmt not in allowed:
        abort(404, description=f"format {fmt!r} not offered; expected one of {list(allowed)}")
    as_of = _as_of()
    try:
        with session_scope(current_app.extensions["rollout_engine"]) as session:
            payload = render(session, *args, as_of, fmt)
    except InputError as exc:
        abort(404, description=str(exc.problems[0].reason))
    disposition = "inline" if fmt in ("pdf", "html") else "attachment"
    return Response(payload, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{name}-{as_of.isoformat()}.{fmt}"'})


@reports_bp.get("/operators/<code>/delay-report.<fmt>")
def operator_delay(code: str, fmt: str) -> Response:
    """Operator-delay report (pdf, xlsx, csv, html)."""
    from reports import OPERATOR_DELAY_FORMATS, render_operator_delay

    return _send(render_operator_delay, f"retard-{code}", fmt, OPERATOR_DELAY_FORMATS, code)


@reports_bp.get("/communes/<insee>/sheet.<fmt>")
def commune_sheet(insee: str, fmt: str) -> Response:
    """One-page commune sheet (pdf, html)."""
    from reports import COMMUNE_SHEET_FORMATS, render_commune_sheet

    return _send(render_commune_sheet, f"commune-{insee}", fmt, COMMUNE_SHEET_FORMATS, insee)


@reports_bp.get("/council.<fmt>")
def council(fmt: str) -> Response:
    """Council summary (pdf, xlsx)."""
    from reports import COUNCIL_FORMATS, render_council

    return _send(render_council, "conseil", fmt, COUNCIL_FORMATS)
