"""Sign-in, sign-out and who may see what (issue 7, "Access").

Every view declares the permission it needs with :func:`requires` (``None``: open to all,
like the login page); a view without a declaration is refused (default deny), so a new
route cannot leak by omission. Permissions and roles are :mod:`rollout.accounts`'. In public
mode (``PUBLIC_MODE``) anonymous visitors get the viewer's permissions — the map, commune
pages and sheets — never exports, gaps, operator-delay reports, imports or the audit log.

Refusals: an anonymous visitor is sent to the login page (302) or gets a 401 JSON error
under ``/api/``; a signed-in user without the permission gets 403.

Sessions live on the server (:mod:`rollout.web_sessions`, issue 12 item 5): the signed
cookie carries a random session id and nothing else about the user. Logout, "sign out
everywhere" (``/account/sessions`` or ``rollout users signout``), the idle timeout
(``IDLE_TIMEOUT_MINUTES``) and a new password or role end them on the server, so a cookie
copied before is refused. A cookie from before server sessions (no id) signs in again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
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
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from rollout import accounts, audit, web_sessions
from rollout.db import session_scope
from rollout.models import UserAccount
from webmap.i18n import translate
from webmap.limiter import LoginLimiter

bp = Blueprint("auth", __name__)

SESSION_ID = "sid"
# Keys of cookies signed before server-side sessions: their holders sign in again.
LEGACY_KEYS = ("user", "credential")
PUBLIC_PERMISSIONS = accounts.ROLES["viewer"]
# The app's own background warm-up request (create_app) may build the map without a user;
# WSGI environ keys without the HTTP_ prefix cannot be set by a client.
WARM_UP_ENVIRON = "rollout.warm_up"
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in account of this request."""

    username: str
    role: str


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


def signed_in_user() -> CurrentUser:
    """The user of a view whose permission only roles grant (``@requires`` let them in)."""
    user = current_user()
    if user is None:
        abort(403)
    return user


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


def _clock() -> Callable[[], datetime]:
    return current_app.extensions["rollout_clock"]


def start_session(db, user: UserAccount) -> None:
    """Open a server session for ``user`` (in ``db``'s transaction) and put its id, alone,
    in a fresh cookie session (new CSRF token too)."""
    token = web_sessions.start(db, user, now=_clock()(), client_address=request.remote_addr,
                               user_agent=request.user_agent.string)
    session.clear()
    session[SESSION_ID] = token
    session.permanent = True


def _forget() -> None:
    session.pop(SESSION_ID, None)
    for key in LEGACY_KEYS:
        session.pop(key, None)


def _load_user() -> None:
    """Look the session up on every signed-in request (one read): an ended, idle or removed
    session, or a deactivated account, is anonymous at once; the role is the current one.
    ``last_seen_at`` is written at most once a minute, in its own short transaction."""
    token = session.get(SESSION_ID)
    if not isinstance(token, str) or not token:
        if any(key in session for key in LEGACY_KEYS):
            _forget()
        return
    engine = current_app.extensions["rollout_engine"]
    now = _clock()()
    with session_scope(engine) as db:
        active = web_sessions.find(db, token)
    if active is None:
        _forget()
        return
    if web_sessions.is_idle(active, current_app.config["IDLE_TIMEOUT_MINUTES"], now):
        web_sessions.end_quietly(engine, active.id, "idle", now)
        _forget()
        return
    if web_sessions.needs_touch(active, now):
        web_sessions.touch(engine, active.id, now)
    g.user = CurrentUser(active.username, active.role)
    g.session_id = active.id


def _refuse() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        if current_user() is None:
            return jsonify({"error": "authentication required: sign in at /login",
                            "parameter": None}), 401
        return jsonify({"error": "your role does not give access to this resource",
                        "parameter": None}), 403
    if current_user() is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403, description=translate("Votre rôle ne donne pas accès à cette page."))


def _enforce() -> ResponseReturnValue | None:
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


def write_after(work: Callable[[Session], object], what: str) -> None:
    """Run ``work`` in its own short write transaction, after the request's reads; a failure
    is logged, never turned into an error for a response that was otherwise served."""
    try:
        with session_scope(current_app.extensions["rollout_engine"], write=True) as db:
            work(db)
    except SQLAlchemyError:
        current_app.logger.exception("could not record %s", what)


def _audit(action: str, username: str | None, target: str | None = None,
           details: dict | None = None) -> None:
    write_after(lambda db: audit.record(db, action, username, target, details),
                f"audit event {action}")


@bp.route("/login", methods=["GET", "POST"])
@requires(None)
def login() -> Response | tuple[str, int]:
    """The sign-in form; 429 after too many failures for one username (from one address,
    or from all of them: see :mod:`webmap.limiter`)."""
    form = LoginForm()
    target = safe_next(request.args.get("next"))
    error = None
    if form.validate_on_submit():
        key = (form.username.data.strip().lower()[:64], request.remote_addr or "")
        limiter: LoginLimiter = current_app.extensions["rollout_login_limiter"]
        wait = limiter.retry_after(key)
        if wait is not None:
            _audit("login_failed", key[0], details={"reason": "rate_limited"})
            return _too_many_tries(wait, "login.html", form=form)
        engine = current_app.extensions["rollout_engine"]
        # The slow password check in a read transaction; the writes (session, last sign-in,
        # audit) in a short write transaction after it, waiting for other writers (issue 13).
        with session_scope(engine) as db:
            attempt = accounts.check_sign_in(db, form.username.data, form.password.data)
        if attempt.refusal is None:
            with session_scope(engine, write=True) as db:
                user = db.get(UserAccount, attempt.user_id)
                if user is not None and user.active:
                    accounts.record_sign_in(db, attempt)
                    start_session(db, user)
            if user is not None and user.active:
                limiter.reset(key)
                return redirect(target)
        else:
            write_after(lambda db: accounts.record_sign_in(db, attempt), "failed sign-in")
        limiter.failed(key)
        error = translate("Identifiant ou mot de passe incorrect.")
    return render_template("login.html", form=form, error=error), 200


@bp.post("/logout")
@requires(None)
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign a user out): the
    server session ends, so a copy of the cookie is refused from now on."""
    user, session_id = current_user(), g.get("session_id")
    session.clear()
    if user is not None:
        with session_scope(current_app.extensions["rollout_engine"], write=True) as db:
            web_sessions.end(db, session_id, "logout", _clock()())
            audit.record(db, "logout", user.username)
    return redirect(url_for("pages.index"))


@bp.route("/account/sessions", methods=["GET", "POST"])
@requires(None)
def sessions() -> Response | tuple[str, int]:
    """One's open sessions (browser, address, last request); POST (CSRF token) signs every
    one of them out, this one included."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.path))
    if request.method == "POST":  # CSRFProtect has checked the token
        with session_scope(current_app.extensions["rollout_engine"], write=True) as db:
            accounts.sign_out_everywhere(db, user.username, actor=user.username)
        session.clear()
        return redirect(url_for("auth.login"))
    with session_scope(current_app.extensions["rollout_engine"]) as db:
        rows = web_sessions.open_sessions(db, user.username)
    return render_template("sessions.html", rows=rows, current=g.get("session_id")), 200


# French messages for refused password changes (accounts.change_password's codes).
_CHANGE_REFUSALS = {
    "wrong_password": "Mot de passe actuel incorrect.",
    "weak_password": "Le nouveau mot de passe doit compter au moins {minimum} caractères.",
    "same_password": "Le nouveau mot de passe doit différer de l'actuel.",
}


@bp.route("/account/password", methods=["GET", "POST"])
@requires(None)
def change_password() -> Response | tuple[str, int]:
    """Any signed-in user changes their own password; every session of theirs ends and
    this browser gets a new one.

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
            _audit("login_failed", user.username, details={"reason": "rate_limited"})
            return _too_many_tries(wait, "password.html", form=form,
                                   minimum=accounts.MIN_PASSWORD_LENGTH)
        try:
            with session_scope(current_app.extensions["rollout_engine"], write=True) as db:
                changed = accounts.change_password(
                    db, user.username, form.current.data, form.new.data)
                start_session(db, changed)  # every old session ended: this browser stays in
        except accounts.AccountError as refused:
            if refused.code == "wrong_password":
                limiter.failed(key)
                _audit("login_failed", user.username,
                       details={"reason": "wrong_current_password"})
            error = translate(_CHANGE_REFUSALS[refused.code]).format(
                minimum=accounts.MIN_PASSWORD_LENGTH)
        else:
            limiter.reset(key)
            flash(translate("Mot de passe modifié. Vos autres sessions ont été fermées."))
            return redirect(url_for("auth.change_password"))
    return render_template("password.html", form=form, error=error,
                           minimum=accounts.MIN_PASSWORD_LENGTH), 200


def init_app(app: Flask) -> None:
    """Register the login blueprint, the rate limiter, the session clock and the
    per-request access check."""
    max_failures, window = app.config.get("LOGIN_RATE_LIMIT", (5, 900))
    app.extensions["rollout_login_limiter"] = LoginLimiter(max_failures, window)
    app.extensions.setdefault("rollout_clock", web_sessions.utcnow)
    app.register_blueprint(bp)

    @app.before_request
    def _audit_client() -> None:  # every audit event of this request carries the address
        g.audit_client = audit.set_web_client(request.remote_addr or "unknown")

    @app.teardown_request
    def _audit_client_done(_exc: BaseException | None) -> None:
        if "audit_client" in g:
            audit.reset_web_client(g.pop("audit_client"))

    app.before_request(_enforce)
    app.jinja_env.globals.update(current_user=current_user, may_view=may_view,
                                 allowed=allowed)
