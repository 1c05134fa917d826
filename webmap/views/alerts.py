"""Alerts on the web: the Atom feed and each user's subscriptions (thin adapters).

``/alerts.atom`` (``?operator=``, ``?commune=``, ``?lang=en``) lists the latest alerts for
whoever may see commune and operator pages (anonymous visitors in public mode); the evidence
line (import batch ids) is kept for those who may see the import journal. Text is built by
:mod:`rollout.alert_messages` and written as XML text by ElementTree: never markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from rollout import alert_messages, alert_subscriptions, alerts
from rollout.alerts import KINDS
from rollout.db import session_scope
from rollout.models import Commune
from rollout.models_alerts import Alert
from webmap import db_session
from webmap.auth import allowed, current_user, requires
from webmap.errors import ApiError
from webmap.i18n import translate

bp = Blueprint("alerts", __name__)

FEED_LIMIT = 200
ATOM = "http://www.w3.org/2005/Atom"
OPERATOR_PATTERN = re.compile(r"[A-Za-z0-9]{1,16}")
INSEE_PATTERN = re.compile(r"[0-9][0-9AB][0-9]{3}")


def _filter(name: str, pattern: re.Pattern) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not pattern.fullmatch(value):
        raise ApiError(name, f"{name} was {value[:40]!r}; expected {pattern.pattern}")
    return value


def _private(response: Response) -> Response:
    if current_user() is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/alerts.atom")
@requires("commune_pages")
def feed() -> Response:
    """Atom 1.0 feed of the latest alerts, newest first."""
    operator, commune = _filter("operator", OPERATOR_PATTERN), _filter("commune", INSEE_PATTERN)
    query = select(Alert).order_by(Alert.id.desc()).limit(FEED_LIMIT)
    if operator:
        query = query.where(Alert.operator_code == operator)
    if commune:
        query = query.where(Alert.commune_insee == commune)
    with db_session() as session:
        alerts = list(session.scalars(query))
        names = dict(session.execute(select(Commune.insee, Commune.name)).all())
    lang = g.get("lang", "fr")
    base = request.host_url
    root = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(root, "title").text = translate("Alertes sur les échéances")
    ET.SubElement(root, "id").text = request.base_url
    ET.SubElement(root, "link", rel="self", href=request.url)
    ET.SubElement(root, "updated").text = _stamp(alerts[0].created_at if alerts else None)
    ET.SubElement(ET.SubElement(root, "author"), "name").text = "rollout"
    evidence = allowed("evidence")
    for alert in alerts:
        message = alert_messages.render(alert, lang, names, base, evidence=evidence)
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = f"{request.host_url}alerts/{alert.id}"
        ET.SubElement(entry, "title").text = message.subject
        ET.SubElement(entry, "updated").text = _stamp(alert.created_at)
        ET.SubElement(entry, "link", rel="alternate", href=message.url)
        ET.SubElement(entry, "category", term=alert.kind)
        ET.SubElement(entry, "content", type="text").text = message.text
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _private(Response(body, mimetype="application/atom+xml"))


def _stamp(moment) -> str:
    return "1970-01-01T00:00:00Z" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SubscriptionForm(FlaskForm):
    """One subscription (CSRF token included by Flask-WTF)."""

    channel = SelectField("Canal", choices=["email", "webhook"])
    target = StringField("Adresse", validators=[Length(max=512)])
    operator = StringField("Opérateur", validators=[Optional(), Length(max=16)])
    commune = StringField("Commune (code INSEE)", validators=[Optional(), Length(max=5)])
    kinds = SelectMultipleField("Types", choices=list(KINDS))
    language = SelectField("Langue", choices=["fr", "en"])


class DeleteForm(FlaskForm):
    """CSRF only."""


@bp.route("/alerts/subscriptions", methods=["GET", "POST"])
@requires("commune_pages")
def subscriptions() -> BaseResponse | tuple[str, int]:
    """The signed-in user's subscriptions and a form to add one (webhooks: admins)."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.path))
    form = SubscriptionForm()
    may_webhook = allowed("users")
    if not may_webhook:
        form.channel.choices = ["email"]
    error, status, secret = None, 200, None
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = translate("Formulaire invalide, veuillez réessayer."), 400
        else:
            try:
                with session_scope(_engine(), write=True) as session:
                    sub = alert_subscriptions.subscribe(
                        session, user.username, form.channel.data, form.target.data or "",
                        operator_code=form.operator.data or None,
                        commune_insee=form.commune.data or None, kinds=form.kinds.data,
                        language=form.language.data)
                    secret = sub.secret
            except alert_subscriptions.SubscriptionError as exc:
                error, status = str(exc), 400
    with db_session() as session:
        mine = alert_subscriptions.list_subscriptions(session, user.username)
    html = render_template("alert_subscriptions.html", form=form, delete=DeleteForm(),
                           subscriptions=mine, error=error, secret=secret,
                           feed=url_for("alerts.feed"))
    return _private(Response(html, status=status))


@bp.route("/alerts/subscriptions/<int:subscription_id>/delete", methods=["POST"])
@requires("commune_pages")
def unsubscribe(subscription_id: int) -> BaseResponse:
    """Remove one of the signed-in user's subscriptions."""
    user = current_user()
    if user is None or not DeleteForm().validate_on_submit():
        abort(400)
    try:
        with session_scope(_engine(), write=True) as session:
            alert_subscriptions.unsubscribe(session, subscription_id, user.username)
    except alert_subscriptions.SubscriptionError:
        abort(404)
    return redirect(url_for("alerts.subscriptions"))


def _engine():
    return current_app.extensions["rollout_engine"]


@bp.app_context_processor
def _early_warnings() -> dict:
    """``early_warnings(commune=…, operator=…)`` in templates (commune and operator pages)."""

    def early_warnings(commune: str | None = None, operator: str | None = None):
        with db_session() as session:
            return alerts.early_warnings(session, commune=commune, operator=operator)

    return {"early_warnings": early_warnings}
