"""Delivering alerts to subscriptions: e-mail through SMTP and signed webhooks, all logged.

Settings (environment):

- ``ROLLOUT_SMTP_HOST`` (unset: no e-mail is sent), ``ROLLOUT_SMTP_PORT`` (default 587, 465
  with ``tls``, 25 with ``none``), ``ROLLOUT_SMTP_SECURITY`` = ``starttls`` (default) | ``tls``
  | ``none``, ``ROLLOUT_SMTP_USER`` / ``ROLLOUT_SMTP_PASSWORD`` (optional),
  ``ROLLOUT_SMTP_FROM`` (default ``rollout@localhost``);
- ``ROLLOUT_BASE_URL``: the site's address in links (default ``http://127.0.0.1:5000``);
- ``ROLLOUT_WEBHOOK_ATTEMPTS`` (default 3) and ``ROLLOUT_WEBHOOK_BACKOFF`` (seconds before
  the second attempt, doubled each time; default 2), ``ROLLOUT_WEBHOOK_TIMEOUT`` (default 10).

A webhook receives the alert as JSON with ``X-Rollout-Signature: sha256=<hex>``, the
HMAC-SHA256 of the raw body under the subscription's secret. Each (alert, subscription) is
sent once: a pair already ``sent`` is skipped, so deliveries are idempotent; a failed pair is
tried again at the next run. Only alerts created after the subscription are delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rollout import alert_messages
from rollout.db import session_scope
from rollout.formatting import json_value
from rollout.models import Commune
from rollout.models_alerts import Alert, AlertDelivery, AlertSubscription

_log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Rollout-Signature"
MAX_FAILED_RUNS = 5


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("ROLLOUT_SMTP_HOST", "").strip()
        if not host:
            return None
        security = os.environ.get("ROLLOUT_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"ROLLOUT_SMTP_SECURITY was {security!r}; expected starttls, "
                             "tls or none")
        default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
        return cls(host, int(os.environ.get("ROLLOUT_SMTP_PORT") or default_port), security,
                   os.environ.get("ROLLOUT_SMTP_USER") or None,
                   os.environ.get("ROLLOUT_SMTP_PASSWORD") or None,
                   os.environ.get("ROLLOUT_SMTP_FROM") or "rollout@localhost")


def base_url() -> str:
    return os.environ.get("ROLLOUT_BASE_URL") or "http://127.0.0.1:5000"


def send_email(settings: SmtpSettings, to: str, message: alert_messages.Message) -> None:
    """One plain-text e-mail (UTF-8) through the configured server."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.sender, to, message.subject
    mail.set_content(message.text)
    context = ssl.create_default_context()
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=30,
                                                context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=30)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(mail)


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` + the hex HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, payload: dict[str, Any]) -> tuple[int, str]:
    """POST ``payload`` with retries and doubling back-off; (attempts, last response)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    attempts = max(int(os.environ.get("ROLLOUT_WEBHOOK_ATTEMPTS", "3")), 1)
    delay = float(os.environ.get("ROLLOUT_WEBHOOK_BACKOFF", "2"))
    timeout = float(os.environ.get("ROLLOUT_WEBHOOK_TIMEOUT", "10"))
    last = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(secret, body),
            "X-Rollout-Event": str(payload["kind"]), "User-Agent": "rollout-alerts",
        })
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return attempt, f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"[:200]
        if attempt < attempts:
            time.sleep(delay * 2 ** (attempt - 1))
    raise DeliveryFailed(attempts, last)


class DeliveryFailed(Exception):
    def __init__(self, attempts: int, response: str) -> None:
        super().__init__(response)
        self.attempts, self.response = attempts, response


def payload(alert: Alert, message: alert_messages.Message) -> dict[str, Any]:
    """The JSON a webhook receives."""
    fields = ("id", "kind", "created_at", "milestone_id", "agreement_id", "operator_code",
              "commune_insee", "metric", "due_on", "before_status", "after_status",
              "warning_days", "as_of", "trigger_batch_id", "evidence")
    out = {name: json_value(getattr(alert, name)) for name in fields}
    out.update(subject=message.subject, text=message.text, url=message.url)
    return out


def matches(subscription: AlertSubscription, alert: Alert) -> bool:
    """Operator, commune and kind filters (empty: all); a perimeter alert has no commune."""
    return ((subscription.operator_code in (None, alert.operator_code))
            and (subscription.commune_insee in (None, alert.commune_insee))
            and (not subscription.kinds or alert.kind in subscription.kinds))


def _pending(session: Session) -> list[tuple[Alert, AlertSubscription]]:
    subscriptions = list(session.scalars(select(AlertSubscription)))
    if not subscriptions:
        return []
    oldest = min(s.created_at for s in subscriptions)
    alerts = list(session.scalars(select(Alert).where(Alert.created_at >= oldest)
                                  .order_by(Alert.id)))
    done: dict[tuple[int, int], int] = {}
    for d in session.scalars(select(AlertDelivery)):
        key = (d.alert_id, d.subscription_id)
        done[key] = MAX_FAILED_RUNS if d.status == "sent" else done.get(key, 0) + 1
    return [(a, s) for a in alerts for s in subscriptions
            if a.created_at >= s.created_at and matches(s, a)
            and done.get((a.id, s.id), 0) < MAX_FAILED_RUNS]


def deliver_pending(engine: Engine) -> dict[str, int]:
    """Send every pending (alert, subscription) pair; returns counts of sent and failed."""
    smtp = SmtpSettings.from_env()
    counts = {"sent": 0, "failed": 0}
    with session_scope(engine) as session:
        pairs = [p for p in _pending(session) if p[1].channel != "email" or smtp is not None]
        names = dict(session.execute(select(Commune.insee, Commune.name)).all()) if pairs else {}
    for alert, subscription in pairs:
        message = alert_messages.render(alert, subscription.language, names, base_url())
        attempts, status, response = 1, "sent", "250 OK"
        try:
            if subscription.channel == "email":
                send_email(smtp, subscription.target, message)  # type: ignore[arg-type]
            else:
                attempts, response = post_webhook(subscription.target, subscription.secret or "",
                                                  payload(alert, message))
        except DeliveryFailed as exc:
            attempts, status, response = exc.attempts, "failed", exc.response
        except (OSError, smtplib.SMTPException) as exc:
            status, response = "failed", f"{type(exc).__name__}: {exc}"[:200]
        if status == "failed":
            _log.warning("alert %s to subscription %s failed: %s", alert.id, subscription.id,
                         response)
        counts[status] += 1
        with session_scope(engine, write=True) as session:
            session.add(AlertDelivery(alert_id=alert.id, subscription_id=subscription.id,
                                      channel=subscription.channel, status=status,
                                      attempts=attempts, response=response[:256],
                                      at=_utcnow()))
    return counts


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
