"""Admin pages: upload a source file for import, the accounts (read-only), the audit log."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import DBAPIError
from wtforms import SelectField

from geodata.errors import InputError, Problem
from rollout import accounts, audit
from rollout.db_errors import is_disk_full
from rollout.importing import KINDS, ImportOutcome, ImportRejected
from webmap import db_session, uploads, warm_in_background, warms
from webmap.auth import requires, signed_in_user
from webmap.i18n import translate

bp = Blueprint("admin", __name__, url_prefix="/admin")

DISK_FULL = ("Le disque du serveur est plein : le fichier n'a pas été importé et rien n'a "
             "changé. Prévenez l'administrateur du serveur, puis recommencez.")
AUDIT_LIMIT = 200
AUDIT_LIMIT_MAX = 5000


class UploadForm(FlaskForm):
    """The kind of source and the file (CSRF token included by Flask-WTF)."""

    kind = SelectField("Type", choices=list(KINDS))
    file = FileField("Fichier", validators=[FileRequired()])


def import_upload(kind: str, stream, filename: str | None, username: str
                  ) -> tuple[ImportOutcome | None, list[Problem]]:
    """Check, keep and import one uploaded file with the CLI's import service.

    Returns the outcome (None when the file was refused before import) and the problems
    to show, each with file, row, column, value and reason like the CLI's stderr lines.
    """
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    try:
        stored = uploads.store(stream, filename, kind, folder)
    except InputError as exc:
        return None, list(exc.problems)
    loader = importlib.import_module(f"rollout.importers.{kind}").load
    engine = current_app.extensions["rollout_engine"]
    try:
        outcome = loader(engine, stored.path, imported_by=username,
                         display_name=stored.path.name,
                         stored_path=str(stored.path))
    except ImportRejected as exc:
        outcome = exc.outcome
    except InputError as exc:
        return None, list(exc.problems)
    if outcome.status == "loaded" and warms(current_app):
        warm_in_background(current_app._get_current_object())  # type: ignore[attr-defined]
    return outcome, list(outcome.problems)


@bp.route("/upload", methods=["GET", "POST"])
@requires("imports")
def upload() -> tuple[str, int]:
    """Upload form; the result of the import below it (422 when the file was refused)."""
    form = UploadForm()
    outcome: ImportOutcome | None = None
    problems: list[Problem] = []
    status = 200
    if form.validate_on_submit():
        data = form.file.data
        try:
            outcome, problems = import_upload(form.kind.data, data.stream, data.filename,
                                              signed_in_user().username)
        except (OSError, DBAPIError) as exc:
            if not is_disk_full(exc):
                raise
            return render_template("error.html", title=translate("Disque plein"),
                                   message=translate(DISK_FULL)), 507
        if outcome is None or outcome.status == "rejected":
            status = 422
    elif request.method == "POST":
        status = 400
    return render_template("upload.html", form=form, outcome=outcome, problems=problems,
                           suffixes=uploads.accepted_suffixes(KINDS),
                           max_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) >> 20,
                           ), status


@bp.route("/users")
@requires("users")
def users() -> str:
    """Accounts and roles (changes go through ``rollout users``)."""
    with db_session() as session:
        table = accounts.list_users(session)
    return render_template("users.html", users=table, roles=accounts.ROLES)


def _audit_filters() -> tuple[str | None, str | None, int]:
    action = request.args.get("action") or None
    if action is not None and action not in audit.ACTIONS:
        abort(400, description=f"action was {action[:40]!r}; expected one of "
                               f"{sorted(audit.ACTIONS)}")
    username = (request.args.get("username") or "").strip().lower()[:64] or None
    raw = request.args.get("limit") or str(AUDIT_LIMIT)
    if not raw.isdigit() or not 1 <= int(raw) <= AUDIT_LIMIT_MAX:
        abort(400, description=f"limit was {raw[:20]!r}; expected 1 to {AUDIT_LIMIT_MAX}")
    return action, username, int(raw)


@bp.route("/audit")
@requires("audit_log")
def audit_log() -> str:
    """The audit trail, newest first, filtered by action and user."""
    action, username, limit = _audit_filters()
    with db_session() as session:
        events = audit.list_events(session, action=action, username=username, limit=limit)
    return render_template("audit.html", events=events, actions=sorted(audit.ACTIONS),
                           action=action, username=username or "", limit=limit)
