"""Sign a Flask test client in as a user of a given role (created in the app's database if
missing), for web tests of pages that are not public."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from rollout import accounts
from rollout.db import session_scope
from webmap.auth import SESSION_USER

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
    with client.session_transaction() as session:
        session[SESSION_USER] = username
    return username


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path`` (a GET through the client's session)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, f"no CSRF token in the form of {path}"
    return found.group(1)
