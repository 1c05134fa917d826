"""Signalements on the web: the form, ``POST /api/challenges``, the public status page, the
planners' queue with its workflow steps, evidence download and the export per operator.

Thin adapters over :mod:`rollout.challenges`. Who may submit: anyone in public mode, else a
signed-in user (permission ``commune_pages``); the queue, steps and exports need ``exports``
(planners and above). The status page is open to whoever holds its unguessable URL. Limits:
``CHALLENGES_PER_ADDRESS`` (``ROLLOUT_CHALLENGES_PER_ADDRESS``, default 10 a day per client
address), ``CHALLENGES_PER_DAY`` (``ROLLOUT_CHALLENGES_PER_DAY``, default 1 000 a day in all),
``CHALLENGE_EVIDENCE_BYTES`` (``ROLLOUT_CHALLENGE_EVIDENCE_BYTES``, default 5 MB).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from rollout import audit, challenge_mail, challenges
from rollout.challenges_io import export_csv, export_frame, export_geojson, store_evidence
from rollout.db import session_scope
from webmap import db_session
from webmap.auth import current_user, requires, signed_in_user
from webmap.disposition import content_disposition
from webmap.i18n import translate

bp = Blueprint("challenges", __name__)
MAX_JSON_BYTES = 64 * 1024


class ChallengeForm(FlaskForm):
    """A signalement (CSRF token included by Flask-WTF)."""

    category = SelectField("Catégorie", choices=list(challenges.CATEGORIES))
    commune_insee = StringField("Commune (code INSEE)", validators=[Optional(), Length(max=5)])
    target_ref = StringField("Identifiant", validators=[Optional(), Length(max=64)])
    operator_code = StringField("Opérateur", validators=[Optional(), Length(max=16)])
    text = TextAreaField("Description", validators=[Length(max=challenges.MAX_TEXT)])
    email = StringField("E-mail", validators=[Optional(), Length(max=254)])
    email_consent = BooleanField("Consentement")
    evidence = FileField("Pièce justificative")
    lon = HiddenField()
    lat = HiddenField()
    source = HiddenField()


class StepForm(FlaskForm):
    """One workflow step of the queue (CSRF token included)."""

    to_status = SelectField("Étape", choices=list(challenges.STATUSES))
    note = TextAreaField("Note", validators=[Length(max=challenges.MAX_NOTE)])
    batch_id = StringField("Lot d'import", validators=[Optional(), Length(max=12)])


def _limit(name: str, env: str, default: int) -> int:
    return int(current_app.config.get(name) or os.environ.get(env) or default)


def _engine():
    return current_app.extensions["rollout_engine"]


def _evidence_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "challenges"


def _submit(data: dict, channel: str, evidence=None) -> tuple[challenges.Challenge, str]:
    """Rate limit, then store: one transaction (writers wait for each other)."""
    user = current_user()
    address = challenges.address_digest(request.remote_addr, current_app.config["SECRET_KEY"])
    with session_scope(_engine(), write=True) as session:
        challenges.check_rate(
            session, address, None,
            _limit("CHALLENGES_PER_ADDRESS", "ROLLOUT_CHALLENGES_PER_ADDRESS",
                   challenges.DEFAULT_PER_ADDRESS_PER_DAY),
            _limit("CHALLENGES_PER_DAY", "ROLLOUT_CHALLENGES_PER_DAY",
                   challenges.DEFAULT_PER_DAY))
        return challenges.submit(session, data, channel=channel,
                                 username=user.username if user else None,
                                 address_hash=address, evidence=evidence)


@bp.route("/api/challenges", methods=["POST"])
@requires("commune_pages")
def api_submit() -> tuple[Response, int]:
    """JSON in, ``{"id", "status", "status_url"}`` out (201); 400/413/415/429 otherwise."""
    if (request.content_length or 0) > MAX_JSON_BYTES:
        return jsonify(error=f"body over {MAX_JSON_BYTES} bytes", parameter=None), 413
    if not request.is_json:
        return jsonify(error="expected Content-Type: application/json", parameter=None), 415
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="the body is not a JSON object", parameter=None), 400
    data = {k: (str(v) if isinstance(v, bool | int | float) and k != "email_consent" else v)
            for k, v in data.items()}
    data["email_consent"] = data.get("email_consent") is True
    try:
        challenge, token = _submit(data, "api")
    except challenges.ChallengeError as exc:
        status = 429 if exc.code == "rate_limited" else 400
        return jsonify(error=str(exc), parameter=exc.field), status
    url = url_for("challenges.status", token=token, _external=True)
    challenge_mail.received(challenge, url)
    return jsonify(id=challenge.id, status=challenge.status, status_url=url), 201


@bp.route("/challenges/new", methods=["GET", "POST"])
@requires("commune_pages")
def new() -> BaseResponse | tuple[str, int]:
    """The form (prefilled from ``?commune_insee=&category=&target_ref=&lon=&lat=``)."""
    form = ChallengeForm(data=request.args.to_dict() if request.method == "GET" else None)
    error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = translate("Formulaire invalide, veuillez réessayer."), 400
        else:
            try:
                evidence = None
                if form.evidence.data and form.evidence.data.filename:
                    evidence = store_evidence(
                        form.evidence.data.stream, form.evidence.data.filename,
                        _evidence_folder(), _limit("CHALLENGE_EVIDENCE_BYTES",
                                                   "ROLLOUT_CHALLENGE_EVIDENCE_BYTES",
                                                   5 * 1024 * 1024))
                data = {name: getattr(form, name).data for name in (
                    "category", "commune_insee", "target_ref", "operator_code", "text", "email",
                    "lon", "lat")}
                data["email_consent"] = form.email_consent.data
                channel = "map" if form.source.data == "map" else "web"
                challenge, token = _submit(data, channel, evidence)
                challenge_mail.received(challenge, url_for("challenges.status", token=token,
                                                           _external=True))
                return redirect(url_for("challenges.status", token=token), code=303)
            except challenges.ChallengeError as exc:
                error = str(exc)
                status = 429 if exc.code == "rate_limited" else 400
    return render_template("challenge_form.html", form=form, error=error,
                           categories=challenges.CATEGORIES), status


@bp.route("/challenges/status/<token>")
@requires(None)
def status(token: str) -> Response:
    """What became of one challenge (no author names, no personal data)."""
    with db_session() as session:
        challenge = challenges.by_token(session, token)
        if challenge is None:
            abort(404)
        steps = challenges.steps(session, challenge.id)
    response = Response(render_template("challenge_status.html", c=challenge, steps=steps,
                                        labels=challenges.STATUS_LABELS[g.get("lang", "fr")],
                                        categories=challenges.CATEGORIES))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/challenges")
@requires("exports")
def queue() -> Response:
    """Planners' queue with filters: commune, operator, category, status, minimum age."""
    args = request.args
    try:
        age = int(args["min_age"]) if args.get("min_age") else None
    except ValueError:
        abort(400, description="min_age: expected a whole number of days")
    with db_session() as session:
        table = challenges.queue(session, commune=args.get("commune") or None,
                                 operator=args.get("operator") or None,
                                 category=args.get("category") or None,
                                 status=args.get("status") or None, min_age_days=age)
    html = render_template("challenge_queue.html", table=table, form=StepForm(),
                           categories=challenges.CATEGORIES, statuses=challenges.STATUSES,
                           labels=challenges.STATUS_LABELS[g.get("lang", "fr")],
                           next_steps=challenges.NEXT, args=args)
    response = Response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/challenges/<int:challenge_id>/step", methods=["POST"])
@requires("exports")
def step(challenge_id: int) -> BaseResponse:
    form = StepForm()
    if not form.validate_on_submit():
        abort(400, description=translate("Formulaire invalide, veuillez réessayer."))
    batch = form.batch_id.data
    if batch and not batch.isdigit():
        abort(400, description="batch_id: expected an import batch number")
    try:
        with session_scope(_engine(), write=True) as session:
            moved = challenges.step(session, challenge_id, form.to_status.data,
                                    form.note.data or "", signed_in_user().username,
                                    batch_id=int(batch) if batch else None)
    except challenges.ChallengeError as exc:
        abort(404 if exc.code == "not_found" else 400, description=str(exc))
    challenge_mail.stepped(moved, form.note.data or "")
    return redirect(url_for("challenges.queue"), code=303)


@bp.route("/challenges/<int:challenge_id>/evidence")
@requires("exports")
def evidence(challenge_id: int) -> Response:
    with db_session() as session:
        challenge = session.get(challenges.Challenge, challenge_id)
    if challenge is None or not challenge.evidence_sha256:
        abort(404)
    path = _evidence_folder() / challenge.evidence_sha256
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", max_age=0)
    response.headers["Content-Disposition"] = content_disposition(
        challenge.evidence_name or challenge.evidence_sha256)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/challenges/export/<operator>.<fmt>")
@requires("exports")
def export(operator: str, fmt: str) -> Response:
    """The operator's challenges to send for its response: CSV or GeoJSON."""
    if fmt not in ("csv", "geojson") or not challenges.OPERATOR.fullmatch(operator):
        abort(404)
    with session_scope(_engine(), write=True) as session:
        frame = export_frame(session, operator)
        audit.record(session, "challenge_export", signed_in_user().username, operator,
                     {"format": fmt, "rows": len(frame)})
    body, mimetype = ((export_csv(frame), "text/csv") if fmt == "csv"
                      else (export_geojson(frame), "application/geo+json"))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(
        f"signalements-{operator}.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api/challenges/open")
@requires("commune_pages")
def open_counts() -> Response:
    """Open challenges per commune: ``{"59350": 2, …}`` (the map's popups)."""
    with db_session() as session:
        response = jsonify(challenges.open_counts(session))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/challenges/template.csv")
@requires("commune_pages")
def template() -> Response:
    """The bulk CSV template (`rollout challenges import FILE`)."""
    from rollout.challenges_io import template_text

    response = Response(template_text(), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition("modele-signalements.csv")
    return response


@bp.app_context_processor
def _challenge_helpers() -> dict:
    """``open_challenges(insee)`` and ``challenge_form(insee)`` for the commune page."""

    def open_challenges(insee: str) -> int:
        with db_session() as session:
            return challenges.open_counts(session).get(insee, 0)

    def challenge_form(insee: str) -> ChallengeForm:
        return ChallengeForm(data={"commune_insee": insee})

    return {"open_challenges": open_challenges, "challenge_form": challenge_form,
            "challenge_categories": challenges.CATEGORIES}
