"""Sign-in, sign-out and who may see what (issue 7, "Access").

Every view declares the permission it needs with :func:`requires` (``None``: open to all,
like the login page); a view without a declaration is refused (default deny), so a new
route cannot leak by omission. Permissions and roles are :mod:`rollout.accounts`'. In public
mode (``PUBLIC_MODE``) anonymous visitors get the viewer's permissions — the map, commune
pages and sheets — never exports, gaps, operator-delay reports, imports or the audit log.

Refusals: an anonymous visitor is sent to the login page (302) or gets a 401 JSON error
under ``/api/``; a signed-in user without the permission gets 403.

A session carries a stamp of its account's password hash: a new password (web page or
``rollout users set-password``) ends every other session of that account. A session without
a stamp (signed in before stamps existed) must sign in again.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from rollout import accounts, audit
from rollout.db import session_scope
from rollout.models import UserAccount
from webmap.i18n import translate

bp = Blueprint("auth", __name__)

SESSION_USER = "user"
SESSION_CREDENTIAL = "credential"
PUBLIC_PERMISSIONS = accounts.ROLES["viewer"]
# The app's own background warm-up request (create_app) may build the map without a user;
# WSGI environ keys without the HTTP_ prefix cannot be set by a client.
WARM_UP_ENVIRON = "rollout.warm_up"
View = TypeVar("View", bound=Callable)


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in account of this request."""

    username: str
    role: str


class LoginLimiter:
    """Failed sign-ins per (username, client address) over a sliding window.

    Kept in this process's memory (shared by waitress threads, reset by a restart, not shared
    between processes): enough to stop online password guessing against one account.
    """

    def __init__(self, max_failures: int = 5, window_seconds: float = 900,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_keys = max_keys
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, key: tuple[str, str]) -> int | None:
        """Seconds until ``key`` may try again, or None if it may try now."""
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return None
            return max(1, int(times[0] + self.window - now) + 1)

    def failed(self, key: tuple[str, str]) -> None:
        """Count one failure of ``key``."""
        with self._lock:
            now = self.clock()
            if key not in self._failures and len(self._failures) >= self.max_keys:
                self._prune(now)
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def reset(self, key: tuple[str, str]) -> None:
        """Forget ``key``'s failures (after a successful sign-in)."""
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, t in self._failures.items() if not self._recent(k, now)]:
            del self._failures[key]
        while len(self._failures) >= self.max_keys:  # still full: drop the oldest keys
            del self._failures[next(iter(self._failures))]


class LoginForm(FlaskForm):
    """Username and password (CSRF token included by Flask-WTF)."""

    username = StringField("Identifiant", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Mot de passe", validators=[DataRequired(), Length(max=1024)])


class PasswordChangeForm(FlaskForm):
    """Current password and the new one twice (CSRF token included by Flask-WTF)."""

    current = PasswordField("Mot de passe actuel", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("Nouveau mot de passe", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField("Confirmer", validators=[DataRequired(), Length(max=1024)])


def requires(permission: str | None) -> Callable[[View], View]:
    """Declare the permission a view needs (``None``: open to every visitor)."""
    if permission is not None:
        accounts.can(None, permission)  # refuses an unknown permission name at import time

    def declare(view: View) -> View:
        view.required_permission = permission  # type: ignore[attr-defined]
        return view

    return declare


def current_user() -> CurrentUser | None:
    """The signed-in user of this request, or None."""
    return g.get("user")


def allowed(permission: str) -> bool:
    """Whether this request may use ``permission`` (its user's role, or public mode)."""
    user = current_user()
    if user is not None and accounts.can(user.role, permission):
        return True
    return bool(current_app.config.get("PUBLIC_MODE")) and permission in PUBLIC_PERMISSIONS


def permission_key() -> tuple[str, ...]:
    """This request's permission set (sorted): part of the key of every cached page, so a
    page built for one set of permissions is never served to another."""
    return tuple(sorted(p for p in accounts.PERMISSIONS if allowed(p)))


def may_view(endpoint: str) -> bool:
    """Whether this request may open ``endpoint`` (templates hide links it may not)."""
    view = current_app.view_functions.get(endpoint)
    if view is None or not hasattr(view, "required_permission"):
        return False
    return view.required_permission is None or allowed(view.required_permission)


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else (``//evil``,
    ``https://…``) becomes the home page, so the login page is no open redirect."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return url_for("pages.index")
    return target


def credential_stamp(password_hash: str) -> str:
    """A digest of a password hash keyed by the app's secret: it changes with every new
    password and, the session cookie being signed but readable, reveals nothing of the hash."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def _sign_in(name: str, password_hash: str) -> None:
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session[SESSION_USER] = name
    session[SESSION_CREDENTIAL] = credential_stamp(password_hash)
    session.permanent = True


def _load_user() -> None:
    """Look the session's user up on every request: removal, deactivation or a new password
    takes effect at once, and the role is always the current one."""
    name = session.get(SESSION_USER)
    if not name:
        return
    with session_scope(current_app.extensions["rollout_engine"]) as db:
        row = db.execute(select(UserAccount.role, UserAccount.active, UserAccount.password_hash)
                         .where(UserAccount.username == name)).first()
    stamp = None if row is None else credential_stamp(row.password_hash)
    # A session without a stamp (signed in before stamps existed) is signed out like a stale
    # one: adopting the current stamp would let a cookie unused since a password change
    # outlive that change.
    if (stamp is None or not row.active
            or not hmac.compare_digest(session.get(SESSION_CREDENTIAL, ""), stamp)):
        session.pop(SESSION_USER, None)
        session.pop(SESSION_CREDENTIAL, None)
        return
    g.user = CurrentUser(name, row.role)


def _refuse() -> Response:
    if request.path.startswith("/api/"):
        if current_user() is None:
            return jsonify({"error": "authentication required: sign in at /login",
                            "parameter": None}), 401
        return jsonify({"error": "your role does not give access to this resource",
                        "parameter": None}), 403
    if current_user() is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403, description=translate("Votre rôle ne donne pas accès à cette page."))


def _enforce() -> Response | None:
    _load_user()
    if request.endpoint is None or request.endpoint == "static":
        return None  # unknown URL (404 follows) or a static asset
    view = current_app.view_functions[request.endpoint]
    if not hasattr(view, "required_permission"):
        abort(403)  # default deny: the view declared nothing
    permission = view.required_permission
    if permission is None or allowed(permission):
        return None
    if permission == "map" and request.environ.get(WARM_UP_ENVIRON):
        return None
    return _refuse()


def _too_many_tries(wait: int, template: str, **context: object) -> Response:
    """The 429 page of the rate limiter, saying when to try again."""
    message = translate("Trop d'essais. Réessayez dans {minutes} minutes.").format(
        minutes=-(-wait // 60))
    response = current_app.make_response(
        (render_template(template, error=message, **context), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _audit(action: str, username: str, details: dict | None = None) -> None:
    with session_scope(current_app.extensions["rollout_engine"]) as db:
        audit.record(db, action, username, None, details)


@bp.route("/login", methods=["GET", "POST"])
@requires(None)
def login() -> Response | tuple[str, int]:
    """The sign-in form; 429 after too many failures for one username from one address."""
    form = LoginForm()
    target = safe_next(request.args.get("next"))
    error = None
    if form.validate_on_submit():
        key = (form.username.data.strip().lower()[:64], request.remote_addr or "")
        limiter: LoginLimiter = current_app.extensions["rollout_login_limiter"]
        wait = limiter.retry_after(key)
        if wait is not None:
            _audit("login_failed", key[0], {"reason": "rate_limited"})
            return _too_many_tries(wait, "login.html", form=form)
        with session_scope(current_app.extensions["rollout_engine"]) as db:
            user = accounts.verify_password(db, form.username.data, form.password.data)
            signed = None if user is None else (user.username, user.password_hash)
        if signed is not None:
            limiter.reset(key)
            _sign_in(*signed)
            return redirect(target)
        limiter.failed(key)
        error = translate("Identifiant ou mot de passe incorrect.")
    return render_template("login.html", form=form, error=error), 200


@bp.post("/logout")
@requires(None)
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign a user out)."""
    user = current_user()
    session.clear()
    if user is not None:
        _audit("logout", user.username)
    return redirect(url_for("pages.index"))


# French messages for refused password changes (accounts.change_password's codes).
_CHANGE_REFUSALS = {
    "wrong_password": "Mot de passe actuel incorrect.",
    "weak_password": "Le nouveau mot de passe doit compter au moins {minimum} caractères.",
    "same_password": "Le nouveau mot de passe doit différer de l'actuel.",
}


@bp.route("/account/password", methods=["GET", "POST"])
@requires(None)
def change_password() -> Response | tuple[str, int]:
    """Any signed-in user changes their own password; their other sessions end.

    Wrong current passwords count in the login rate limiter (same username and address), so
    a borrowed session cannot be used to guess the password.
    """
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.path))
    form = PasswordChangeForm()
    error = None
    if request.method == "POST" and not form.validate():
        error = translate("Remplissez les trois champs.")
    elif request.method == "POST" and form.new.data != form.confirm.data:
        error = translate("Les deux saisies du nouveau mot de passe diffèrent.")
    elif request.method == "POST":
        key = (user.username, request.remote_addr or "")
        limiter: LoginLimiter = current_app.extensions["rollout_login_limiter"]
        wait = limiter.retry_after(key)
        if wait is not None:
            _audit("login_failed", user.username, {"reason": "rate_limited"})
            return _too_many_tries(wait, "password.html", form=form,
                                   minimum=accounts.MIN_PASSWORD_LENGTH)
        try:
            with session_scope(current_app.extensions["rollout_engine"]) as db:
                new_hash = accounts.change_password(
                    db, user.username, form.current.data, form.new.data).password_hash
        except accounts.AccountError as refused:
            if refused.code == "wrong_password":
                limiter.failed(key)
                _audit("login_failed", user.username, {"reason": "wrong_current_password"})
            error = translate(_CHANGE_REFUSALS[refused.code]).format(
                minimum=accounts.MIN_PASSWORD_LENGTH)
        else:
            limiter.reset(key)
            _sign_in(user.username, new_hash)  # this session stays, with the new stamp
            flash(translate("Mot de passe modifié. Vos autres sessions ont été fermées."))
            return redirect(url_for("auth.change_password"))
    return render_template("password.html", form=form, error=error,
                           minimum=accounts.MIN_PASSWORD_LENGTH), 200


def init_app(app: Flask) -> None:
    """Register the login blueprint, the rate limiter and the per-request access check."""
    max_failures, window = app.config.get("LOGIN_RATE_LIMIT", (5, 900))
    app.extensions["rollout_login_limiter"] = LoginLimiter(max_failures, window)
    app.register_blueprint(bp)
    app.before_request(_enforce)
    app.jinja_env.globals.update(current_user=current_user, may_view=may_view,
                                 allowed=allowed)
