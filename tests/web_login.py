"""Sign a Flask test client in as a user of a given role (created in the app's database if
missing), for web tests of pages that are not public."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from rollout import accounts, web_sessions
from rollout.db import session_scope
from rollout.models import UserAccount
from webmap.auth import LEGACY_KEYS, SESSION_ID

PASSWORD = "correct horse battery staple"


def ensure_user(client: FlaskClient, username: str, role: str) -> None:
    """Create ``username`` with ``role`` and :data:`PASSWORD` unless it exists."""
    engine = client.application.extensions["rollout_engine"]
    with session_scope(engine) as session:
        if username not in set(accounts.list_users(session)["username"]):
            accounts.add_user(session, username, PASSWORD, role)


def sign_in(client: FlaskClient, role: str = "admin") -> str:
    """Put the user ``test-<role>`` in the client's session; returns the username."""
    username = f"test-{role}"
    ensure_user(client, username, role)
    put_in_session(client, username)
    return username


def put_in_session(client: FlaskClient, username: str, legacy: bool = False) -> None:
    """Sign ``username`` in as the login form does: a server session and its id in the
    cookie (or, ``legacy``, the name alone, as cookies from before server sessions)."""
    app = client.application
    if legacy:
        with client.session_transaction() as session:
            session[LEGACY_KEYS[0]] = username
        return
    with session_scope(app.extensions["rollout_engine"]) as db:
        user = db.scalar(select(UserAccount).where(UserAccount.username == username))
        token = web_sessions.start(db, user, now=app.extensions["rollout_clock"](),
                                   client_address="127.0.0.1", user_agent="test")
    with client.session_transaction() as session:
        session[SESSION_ID] = token


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path`` (a GET through the client's session)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, f"no CSRF token in the form of {path}"
    return found.group(1)
