"""User accounts, roles and what each role may do.

Passwords are stored as werkzeug scrypt hashes, never in clear. Usernames are
case-insensitive (stored in lower case). Every change is written to the audit log in the
same transaction as the change itself; a sign-in is checked in a read transaction (the slow
scrypt comparison holds no lock) and recorded in a short write transaction after it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from rollout import audit, web_sessions
from rollout.models import UserAccount, UserSession

_VIEWER = frozenset({"map", "commune_pages", "sheets"})
_PLANNER = _VIEWER | {"exports", "gaps", "dig_once"}
_LEGAL = _PLANNER | {"operator_delay_reports", "evidence"}
_ADMIN = _LEGAL | {"imports", "users", "audit_log"}
# Each role has the permissions of the one before it (issue 7, "Access").
ROLES: Mapping[str, frozenset[str]] = {
    "viewer": _VIEWER, "planner": _PLANNER, "legal": _LEGAL, "admin": _ADMIN,
}
PERMISSIONS = _ADMIN
MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B minimum for user-chosen secrets
USERNAME_PATTERN = audit.USERNAME_PATTERN
USER_COLUMNS = ["username", "role", "active", "created_at", "last_login_at"]


class AccountError(ValueError):
    """A refused account operation; ``code`` is stable, the message is user-safe."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def can(role: str | None, permission: str) -> bool:
    """Whether ``role`` (``None``: anonymous) has ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"permission was {permission!r}; expected one of {sorted(PERMISSIONS)}")
    if role is None:
        return False
    return permission in _role_permissions(role)


def _role_permissions(role: str) -> frozenset[str]:
    if role not in ROLES:
        raise AccountError(f"role was {role!r}; expected one of {list(ROLES)}", "bad_role")
    return ROLES[role]


def _normalise(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"username was {username!r}; expected 1 to 64 letters, digits or . _ @ - "
            "(starting with a letter or digit)", "bad_username",
        )
    return name


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def get_user(session: Session, username: str) -> UserAccount:
    """The account named ``username`` (any case); ``AccountError`` ``unknown_user`` if none."""
    user = session.scalar(select(UserAccount).where(UserAccount.username == _normalise(username)))
    if user is None:
        raise AccountError(f"no user named {username!r}", "unknown_user")
    return user


def check_password_policy(password: str) -> None:
    """Refuse a password too short to be a secret; every new password passes this one rule."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password has {len(password)} characters; at least {MIN_PASSWORD_LENGTH} needed",
            "weak_password",
        )


def add_user(
    session: Session, username: str, password: str, role: str, *, actor: str | None = None
) -> UserAccount:
    """Create an active account; ``actor`` is who did it (``None``: the command line)."""
    name = _normalise(username)
    _role_permissions(role)
    check_password_policy(password)
    if session.scalar(select(UserAccount.id).where(UserAccount.username == name)) is not None:
        raise AccountError(f"user {name!r} already exists", "user_exists")
    user = UserAccount(username=name, password_hash=generate_password_hash(password), role=role,
                       active=True, created_at=_utcnow())
    session.add(user)
    session.flush()
    audit.record(session, "user_added", actor, name, {"role": role})
    return user


def list_users(session: Session) -> pd.DataFrame:
    """Accounts by username: ``username``, ``role``, ``active`` (bool), ``created_at`` and
    ``last_login_at`` (naive UTC, ``None`` if never signed in); never the hashes."""
    rows = session.execute(
        select(UserAccount.username, UserAccount.role, UserAccount.active,
               UserAccount.created_at, UserAccount.last_login_at)
        .order_by(UserAccount.username)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=USER_COLUMNS, dtype=object)


def _check_not_last_admin(session: Session, user: UserAccount) -> None:
    """Refuse to leave the site without an active admin (nobody could manage users then)."""
    if user.role != "admin" or not user.active:
        return
    admins = session.execute(
        select(func.count()).select_from(UserAccount)
        .where(UserAccount.role == "admin", UserAccount.active.is_(True))
    ).scalar_one()
    if admins <= 1:
        raise AccountError(f"{user.username!r} is the last active admin", "last_admin")


def remove_user(session: Session, username: str, *, actor: str | None = None) -> None:
    """Delete an account and its web sessions; its past audit events keep the username."""
    user = get_user(session, username)
    _check_not_last_admin(session, user)
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.delete(user)
    session.flush()
    audit.record(session, "user_removed", actor, user.username, {"role": user.role})


def set_role(
    session: Session, username: str, role: str, *, actor: str | None = None
) -> UserAccount:
    """Change an account's role; its web sessions end (it signs in again with the new one)."""
    _role_permissions(role)
    user = get_user(session, username)
    if user.role == role:
        return user
    if role != "admin":
        _check_not_last_admin(session, user)
    before, user.role = user.role, role
    session.flush()
    web_sessions.end_all(session, user.id, "role", _utcnow())
    audit.record(session, "role_changed", actor, user.username, {"from": before, "to": role})
    return user


def set_password(
    session: Session, username: str, password: str, *, actor: str | None = None
) -> UserAccount:
    """Give an account a new password without asking the old one (an administrator's reset).

    Every web session of the account ends (:mod:`rollout.web_sessions`).
    """
    user = get_user(session, username)
    check_password_policy(password)
    return _store_password(session, user, password, actor, reset=True)


def change_password(session: Session, username: str, current: str, new: str) -> UserAccount:
    """A user replaces their own password; ``current`` must match.

    Refusals (``AccountError`` codes): ``wrong_password``, ``weak_password`` and
    ``same_password`` (the new one is the current one); nothing is stored then.
    """
    user = get_user(session, username)
    if not check_password_hash(user.password_hash, current):
        raise AccountError("the current password is wrong", "wrong_password")
    check_password_policy(new)
    if new == current:
        raise AccountError("the new password is the current one", "same_password")
    return _store_password(session, user, new, user.username, reset=False)


def _store_password(
    session: Session, user: UserAccount, password: str, actor: str | None, *, reset: bool
) -> UserAccount:
    user.password_hash = generate_password_hash(password)
    session.flush()
    web_sessions.end_all(session, user.id, "password", _utcnow())
    audit.record(session, "password_changed", actor, user.username, {"reset": reset})
    return user


def sign_out_everywhere(session: Session, username: str, *, actor: str | None = None) -> int:
    """End every web session of ``username``; return how many were open (audited)."""
    user = get_user(session, username)
    count = web_sessions.end_all(session, user.id, "everywhere", _utcnow())
    audit.record(session, "sessions_ended", actor, user.username, {"sessions": count})
    return count


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class SignInAttempt:
    """A checked sign-in (:func:`check_sign_in`), to record with :func:`record_sign_in`."""

    username: str
    user_id: int | None
    role: str | None
    password_hash: str | None
    refusal: str | None  # None: signed in; else unknown_user | inactive | wrong_password


def check_sign_in(session: Session, username: str, password: str) -> SignInAttempt:
    """Read-only half of a sign-in: the slow password check, outside any write lock.

    An unknown or inactive user costs the same scrypt computation as a wrong password, so
    response times do not reveal which usernames exist.
    """
    try:
        name = _normalise(username)
    except AccountError:
        name = None
    user = None if name is None else session.scalar(
        select(UserAccount).where(UserAccount.username == name)
    )
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        reason = ("unknown_user" if user is None else "inactive" if not user.active
                  else "wrong_password")
        return SignInAttempt(name or username.strip()[:64], None, None, None, reason)
    return SignInAttempt(user.username, user.id, user.role, user.password_hash, None)


def record_sign_in(session: Session, attempt: SignInAttempt) -> None:
    """Write half of a sign-in (a short write transaction): last sign-in time and audit."""
    if attempt.refusal is not None:
        audit.record(session, "login_failed", attempt.username, None,
                     {"reason": attempt.refusal})
        return
    user = session.get(UserAccount, attempt.user_id)
    if user is not None:
        user.last_login_at = _utcnow()
    audit.record(session, "login", attempt.username, None, {"role": attempt.role})


def verify_password(session: Session, username: str, password: str) -> UserAccount | None:
    """The active account if the password matches, else ``None``; audited either way
    (both halves in ``session``, which must then be a writer)."""
    attempt = check_sign_in(session, username, password)
    record_sign_in(session, attempt)
    return None if attempt.refusal is not None else session.get(UserAccount, attempt.user_id)
