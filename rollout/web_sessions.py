"""Server-side web sessions (issue 12 item 5): every sign-in is a row that can be ended.

The browser's cookie carries only a random token (256 bits); the database keeps its sha256,
so a copy of the database gives no usable cookie. A session is valid while ``ended_at`` is
NULL: logout, "sign out everywhere" (web page or ``rollout users signout``), a password or
role change, and the idle timeout end it, and a copied cookie is then worth nothing.

``last_seen_at`` moves forward at most once per :data:`TOUCH_INTERVAL` per session, each in
its own short transaction that gives up at once when another writer holds the database (an
import): reading pages never queues behind writers. The idle timeout is therefore measured
to within that interval. Times are naive UTC, like the rest of the schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session

from rollout.db import SQLITE_BUSY_TIMEOUT_MS
from rollout.models import UserAccount, UserSession

TOUCH_INTERVAL = dt.timedelta(minutes=1)
# Legal and admin sessions reach reports, evidence, imports and accounts: they end after half
# an hour without a request; viewers and planners (published figures) after a working day.
DEFAULT_IDLE_MINUTES = {"viewer": 480, "planner": 480, "legal": 30, "admin": 30}
END_REASONS = frozenset({"logout", "everywhere", "idle", "password", "role"})
_TOUCH_BUSY_MS = 200  # how long a last-seen update waits for another writer before skipping
_MAX_AGENT = 256
_MAX_ADDRESS = 45  # the longest textual IPv6 address


def utcnow() -> dt.datetime:
    """Now, naive UTC to the second (the schema's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def token_digest(token: str) -> str:
    """What the database stores for a cookie's token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    """A valid session and its account, as one request sees them."""

    id: int
    username: str
    role: str
    last_seen_at: dt.datetime


def idle_timeouts(raw: str | None) -> dict[str, int]:
    """Minutes of inactivity after which a session ends, per role.

    ``ROLLOUT_IDLE_TIMEOUT_MINUTES``: unset keeps :data:`DEFAULT_IDLE_MINUTES`; a number sets
    every role; ``legal=15,admin=15`` sets those roles only. Anything else is a ValueError
    naming the variable.
    """
    limits = dict(DEFAULT_IDLE_MINUTES)
    text = (raw or "").strip()
    if not text:
        return limits
    expected = ("expected minutes (e.g. 30) or role=minutes pairs (e.g. legal=15,admin=15) "
                f"with roles among {sorted(limits)}")
    if text.isdigit():
        return dict.fromkeys(limits, _minutes(text, raw, expected))
    for part in text.split(","):
        role, sep, value = (p.strip() for p in part.partition("="))
        if not sep or role not in limits:
            raise ValueError(f"ROLLOUT_IDLE_TIMEOUT_MINUTES was {raw!r}; {expected}")
        limits[role] = _minutes(value, raw, expected)
    return limits


def _minutes(value: str, raw: str | None, expected: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ROLLOUT_IDLE_TIMEOUT_MINUTES was {raw!r}; {expected}")
    return int(value)


def start(db: Session, user: UserAccount, *, now: dt.datetime, client_address: str | None,
          user_agent: str | None) -> str:
    """Open a session for ``user`` in ``db``'s transaction; return the cookie's token.

    The account's ended sessions are deleted first, so the table holds at most the open
    sessions plus the ones that ended since each account's last sign-in.
    """
    db.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                         UserSession.ended_at.is_not(None)))
    token = secrets.token_urlsafe(32)
    db.add(UserSession(
        token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
        client_address=(client_address or None) and client_address[:_MAX_ADDRESS],
        user_agent=(user_agent or None) and user_agent[:_MAX_AGENT]))
    db.flush()
    return token


def find(db: Session, token: str) -> ActiveSession | None:
    """The open session of ``token`` whose account is active, else None."""
    row = db.execute(
        select(UserSession.id, UserSession.last_seen_at, UserAccount.username,
               UserAccount.role)
        .join(UserAccount, UserAccount.id == UserSession.user_id)
        .where(UserSession.token_hash == token_digest(token), UserSession.ended_at.is_(None),
               UserAccount.active.is_(True))
    ).first()
    return None if row is None else ActiveSession(row.id, row.username, row.role,
                                                  row.last_seen_at)


def end(db: Session, session_id: int, reason: str, now: dt.datetime) -> None:
    """End one session (no effect if it has ended already)."""
    _check_reason(reason)
    db.execute(update(UserSession)
               .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
               .values(ended_at=now, end_reason=reason))


def end_all(db: Session, user_id: int, reason: str, now: dt.datetime) -> int:
    """End every open session of an account; return how many were open."""
    _check_reason(reason)
    result = db.execute(update(UserSession)
                        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason))
    return result.rowcount


def _check_reason(reason: str) -> None:
    if reason not in END_REASONS:
        raise ValueError(f"session end reason was {reason!r}; expected one of "
                         f"{sorted(END_REASONS)}")


def open_sessions(db: Session, username: str) -> list[UserSession]:
    """The open sessions of ``username``, most recently seen first."""
    return list(db.scalars(
        select(UserSession).join(UserAccount, UserAccount.id == UserSession.user_id)
        .where(UserAccount.username == username, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def is_idle(active: ActiveSession, limits: dict[str, int], now: dt.datetime) -> bool:
    """Whether ``active`` has gone unused longer than its role's idle timeout."""
    minutes = limits.get(active.role, min(limits.values()))
    return now - active.last_seen_at > dt.timedelta(minutes=minutes)


def needs_touch(active: ActiveSession, now: dt.datetime) -> bool:
    """Whether ``last_seen_at`` is old enough to be written again."""
    return now - active.last_seen_at >= TOUCH_INTERVAL


def touch(engine: Engine, session_id: int, now: dt.datetime) -> bool:
    """Move ``last_seen_at`` to ``now`` in a transaction of its own; False if skipped."""
    return _quick_write(engine, update(UserSession)
                        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                        .values(last_seen_at=now))


def end_quietly(engine: Engine, session_id: int, reason: str, now: dt.datetime) -> bool:
    """:func:`end` in a transaction of its own (the idle timeout); False if skipped: the
    session is refused either way, the row only records why."""
    _check_reason(reason)
    return _quick_write(engine, update(UserSession)
                        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason))


def _quick_write(engine: Engine, statement) -> bool:
    """Run one bookkeeping ``statement`` in its own short transaction.

    It waits at most :data:`_TOUCH_BUSY_MS` for another writer (SQLite busy timeout,
    PostgreSQL lock timeout) and gives up quietly then, or on a read-only database: the next
    request tries again, and no page fails for it.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if sqlite:
            driver.execute(f"PRAGMA busy_timeout = {_TOUCH_BUSY_MS}")
        try:
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{_TOUCH_BUSY_MS}ms'")
                conn.execute(statement)
        except (OperationalError, InternalError):  # busy, locked or read-only
            return False
        finally:
            if sqlite:
                driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return True
