"""The audit trail: who imported which file, generated which report, signed in, changed users.

Events are appended in the caller's transaction, so an event exists exactly when what it
describes was committed (an import killed half-way leaves neither data nor event). The
``username`` is ``None`` for the command line and the system. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.models import AuditEvent

ACTIONS = frozenset({
    "import", "report", "export", "login", "login_failed", "logout", "user_added",
    "role_changed", "user_removed", "password_changed", "sessions_ended", "backup", "restore",
    "challenge_submitted", "challenge_step", "challenge_purged", "challenge_import",
    "challenge_export",
})
REPORT_KINDS = frozenset({"operator-delay", "commune", "council"})
EVENT_COLUMNS = ["id", "at", "username", "action", "target", "details"]
_MAX_TARGET = 256
_MAX_USERNAME = 64


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _jsonable(value: object) -> object:
    """Dates, decimals and paths as text, so details survive the JSON column on both backends."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | PurePath):
        return str(value)
    raise TypeError(f"audit details value {value!r} of type {type(value).__name__} is not JSON")


def record(
    session: Session,
    action: str,
    username: str | None = None,
    target: object = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log in ``session``'s transaction and return it."""
    if action not in ACTIONS:
        raise ValueError(f"audit action was {action!r}; expected one of {sorted(ACTIONS)}")
    event = AuditEvent(
        at=_utcnow(),
        username=None if username is None else str(username)[:_MAX_USERNAME],
        action=action,
        target=None if target is None else str(target)[:_MAX_TARGET],
        details=None if details is None else json.loads(json.dumps(dict(details),
                                                                   default=_jsonable)),
    )
    session.add(event)
    session.flush()
    return event


def record_report(
    session: Session,
    kind: str,
    params: Mapping[str, Any],
    report_id: str,
    fingerprint: str,
    username: str | None = None,
) -> AuditEvent:
    """Record that a report was generated.

    Parameters
    ----------
    kind : ``operator-delay``, ``commune`` or ``council``.
    params : what the report was asked for, e.g. ``{"operator": "FRTE", "as_of": date,
        "format": "pdf"}`` or ``{"commune": "59350", ...}``.
    report_id : the id printed in the report's footer (the event's target).
    fingerprint : digest of the data the report was computed from.
    username : who asked for it; ``None`` for the command line.
    """
    if kind not in REPORT_KINDS:
        raise ValueError(f"report kind was {kind!r}; expected one of {sorted(REPORT_KINDS)}")
    details = {"kind": kind, **params, "fingerprint": fingerprint}
    return record(session, "report", username, report_id, details)


def list_events(
    session: Session,
    *,
    action: str | None = None,
    username: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Events newest first: ``id`` (int), ``at`` (naive UTC), ``username``, ``action``,
    ``target`` (str or None) and ``details`` (dict or None)."""
    query = select(AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.action,
                   AuditEvent.target, AuditEvent.details).order_by(AuditEvent.id.desc())
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if username is not None:
        query = query.where(AuditEvent.username == username)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=EVENT_COLUMNS, dtype=object)
    return frame.astype({"id": "int64"}) if len(frame) else frame
