"""E-mails to the submitter of a signalement who gave an address and consented: one at
submission (with the status page's address, the only time it is sent) and one at each step.

Sent through :mod:`rollout.alert_delivery`'s SMTP settings after the transaction commits;
nothing is sent when mail is not configured, and a failure is logged, never raised.
"""

from __future__ import annotations

import logging

from rollout import alert_delivery, alert_messages
from rollout.challenges import CATEGORIES, STATUS_LABELS
from rollout.models_alerts import Challenge

_log = logging.getLogger(__name__)


def _send(challenge: Challenge, subject: str, lines: list[str], url: str) -> bool:
    settings = alert_delivery.SmtpSettings.from_env()
    if settings is None or not challenge.email or not challenge.email_consent:
        return False
    message = alert_messages.Message(subject, "\n".join(lines) + "\n", url)
    try:
        alert_delivery.send_email(settings, challenge.email, message)
    except (OSError, alert_delivery.smtplib.SMTPException) as exc:
        _log.warning("mail about challenge %s failed: %s", challenge.id, exc)
        return False
    return True


def received(challenge: Challenge, status_url: str) -> bool:
    """The acknowledgement, with the status page's address."""
    category = CATEGORIES[challenge.category][1]
    return _send(challenge, f"[rollout] Signalement n° {challenge.id} reçu", [
        f"Votre signalement n° {challenge.id} ({category}) a bien été reçu.",
        f"Suivez-le à cette adresse (gardez-la, elle ne sera pas renvoyée) : {status_url}",
        "Votre adresse e-mail sera supprimée 12 mois après la résolution du signalement.",
    ], status_url)


def stepped(challenge: Challenge, note: str) -> bool:
    """The news of a step: the new status and its note."""
    label = STATUS_LABELS["fr"][challenge.status]
    return _send(challenge, f"[rollout] Signalement n° {challenge.id} : {label}", [
        f"Votre signalement n° {challenge.id} est désormais : {label}.",
        f"Note : {note}",
        "Le détail est sur la page de suivi dont l'adresse vous a été envoyée à la réception.",
    ], "")
