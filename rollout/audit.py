"""The audit trail: who imported which file, generated which report, signed in, changed users.

Events are appended in the caller's transaction, so an event exists exactly when what it
describes was committed (an import killed half-way leaves neither data nor event). The
``username`` is ``None`` for the command line, the system and anonymous web visitors; the
web app sets the client's address for the request (:func:`set_web_client`), which every event
it records carries, so anonymous web actions are told apart from the command line. Times are
naive UTC.

Logged text is data an adversary may choose (a username typed in the login form, a file
name): a username that is not a valid account name is stored as a placeholder
(:data:`INVALID_USERNAME` and a digest, so repeated attempts can still be matched), and
every output escapes control and invisible characters (:func:`visible`) so that nothing
reaches an administrator's terminal or page as an escape sequence.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.formatting import visible as visible_text
from rollout.models import AuditEvent

ACTIONS = frozenset({
    "import", "report", "export", "login", "login_failed", "logout", "user_added",
    "role_changed", "user_removed", "password_changed", "sessions_ended", "backup", "restore",
    "challenge_submitted", "challenge_step", "challenge_purged", "challenge_import",
    "challenge_export",
})
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
INVALID_USERNAME = "(invalide)"
ANONYMOUS_WEB = "anonyme (web)"
COMMAND_LINE = "(CLI)"
REPORT_KINDS = frozenset({"operator-delay", "commune", "council"})
EVENT_COLUMNS = ["id", "at", "username", "action", "target", "details", "client_address"]
_MAX_TARGET = 256
_MAX_ADDRESS = 45
_CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client",
                                                                     default=None)


def set_web_client(address: str | None) -> contextvars.Token:
    """Until :func:`reset_web_client`, recorded events carry ``address`` as the web client's
    (the web app's before/teardown request hooks)."""
    return _CLIENT.set((address or "")[:_MAX_ADDRESS] or None)


def reset_web_client(token: contextvars.Token) -> None:
    _CLIENT.reset(token)


def visible(value: object) -> object:
    """``value`` with control, bidi and zero-width characters written as visible escapes
    (``\\x1b``, ``\\u202e``: :func:`rollout.formatting.visible`); dicts and lists
    element-wise, other values as they are."""
    if isinstance(value, str):
        return visible_text(value)
    if isinstance(value, dict):
        return {visible(k): visible(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible(v) for v in value]
    return value


def actor(username: str | None, client_address: str | None) -> str:
    """Who did it, in French (the web page translates): the username (escaped), else
    "anonyme (web)" for a web client, else "(CLI)"."""
    if username:
        return str(visible(username))
    return ANONYMOUS_WEB if client_address else COMMAND_LINE


def safe_username(username: str | None) -> str | None:
    """``username`` if it is a valid account name, else a placeholder with a digest."""
    if username is None:
        return None
    name = str(username)
    if USERNAME_PATTERN.fullmatch(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{INVALID_USERNAME} {digest}"


def _no_nul(value: object) -> object:
    """PostgreSQL stores no NUL in text or JSON: write it as a visible escape."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


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
        username=safe_username(username),
        action=action,
        target=None if target is None else _no_nul(str(target))[:_MAX_TARGET],
        details=None if details is None else _no_nul(json.loads(json.dumps(
            dict(details), default=_jsonable))),
        client_address=_CLIENT.get(),
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
    ``target`` (str or None), ``details`` (dict or None) and ``client_address`` (None: the
    command line). Values are as stored: escape them with :func:`visible` to show them."""
    query = select(AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.action,
                   AuditEvent.target, AuditEvent.details, AuditEvent.client_address
                   ).order_by(AuditEvent.id.desc())
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if username is not None:
        query = query.where(AuditEvent.username == username)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=EVENT_COLUMNS, dtype=object)
    return frame.astype({"id": "int64"}) if len(frame) else frame
