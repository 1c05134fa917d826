"""The words of an alert (e-mail, webhook, Atom): French by default, English on request.

Plain text only: every value is data, never markup (the Atom feed escapes it as XML text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollout.compliance import METRIC_LABELS_FR, STATUS_LABELS_FR
from rollout.figures import fmt_date, fmt_number

LANGUAGES = ("fr", "en")
KIND_LABELS = {
    "fr": {"at_risk": "échéance à risque", "missed": "échéance manquée",
           "met_late": "échéance atteinte en retard", "no_data": "données insuffisantes",
           "early_warning": "échéance proche, en retard de rythme"},
    "en": {"at_risk": "milestone at risk", "missed": "milestone missed",
           "met_late": "milestone met late", "no_data": "insufficient data",
           "early_warning": "due date near, behind pace"},
}
STATUS_LABELS = {
    "fr": STATUS_LABELS_FR,
    "en": {"met": "met", "met_late": "met late", "missed": "missed", "at_risk": "at risk",
           "on_track": "on track", "no_data": "insufficient data"},
}
METRIC_LABELS = {
    "fr": METRIC_LABELS_FR,
    "en": {"ftth_connectable_share": "share of connectable premises",
           "ftth_connectable_or_rad_share": "share of connectable or on-demand premises",
           "ftth_connectable_premises": "connectable premises",
           "mobile_5g_sites": "5G sites in service",
           "mobile_5g_premises_coverage_share": "share of premises covered by 5G"},
}
_WORDS = {
    "fr": {"perimeter": "périmètre de la convention", "due": "échéance", "status": "statut",
           "value_at_due": "valeur à l'échéance", "latest": "dernière observation",
           "delay": "retard (jours)", "shortfall": "écart (locaux)",
           "projected_on": "date projetée", "days_to_due": "jours avant l'échéance",
           "needed": "rythme nécessaire (par trimestre)",
           "recent": "rythme récent (par trimestre)",
           "projected_shortfall": "écart projeté à l'échéance",
           "evidence": "preuves : lots d'import", "link": "détail", "as_of": "évalué au",
           "agreement": "convention", "operator": "opérateur", "none": "–"},
    "en": {"perimeter": "agreement perimeter", "due": "due", "status": "status",
           "value_at_due": "value at due date", "latest": "latest observation",
           "delay": "delay (days)", "shortfall": "shortfall (premises)",
           "projected_on": "projected date", "days_to_due": "days to due date",
           "needed": "pace needed (per quarter)", "recent": "recent pace (per quarter)",
           "projected_shortfall": "projected shortfall at due date",
           "evidence": "evidence: import batches", "link": "details", "as_of": "assessed on",
           "agreement": "agreement", "operator": "operator", "none": "–"},
}


@dataclass(frozen=True)
class Message:
    """Subject, plain-text body and the page it links to."""

    subject: str
    text: str
    url: str


def language(value: str | None) -> str:
    """``fr`` unless ``en`` was asked for."""
    return "en" if value == "en" else "fr"


def alert_url(alert: Any, base_url: str) -> str:
    """The commune page of a commune milestone, else the operator page."""
    base = base_url.rstrip("/")
    if alert.commune_insee:
        return f"{base}/communes/{alert.commune_insee}"
    return f"{base}/operators/{alert.operator_code}"


def place(alert: Any, names: dict[str, str], lang: str) -> str:
    if not alert.commune_insee:
        return _WORDS[lang]["perimeter"]
    return f"{names.get(alert.commune_insee, alert.commune_insee)} ({alert.commune_insee})"


def _value(value: Any, lang: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return fmt_date(value, lang)
    number = float(value)
    digits = 0 if number.is_integer() else 3
    return fmt_number(number, lang, digits)


def render(alert: Any, lang: str, names: dict[str, str], base_url: str, *,
           evidence: bool = True) -> Message:
    """The message of one stored alert in ``lang`` (``fr`` or ``en``); ``evidence``: with
    the import batch ids (for readers allowed to see the import journal)."""
    lang = language(lang)
    w = _WORDS[lang]
    kind = KIND_LABELS[lang].get(alert.kind, alert.kind)
    metric = METRIC_LABELS[lang].get(alert.metric, alert.metric)
    due = _value(alert.due_on.isoformat(), lang)
    where = place(alert, names, lang)
    subject = f"[rollout] {kind} — {alert.operator_code} — {where} — {metric} ({w['due']} {due})"
    statuses = STATUS_LABELS[lang]
    before = statuses.get(alert.before_status or "", "–")
    after = statuses.get(alert.after_status, alert.after_status)
    figures = alert.evidence.get("after") or {}
    lines = [
        subject.removeprefix("[rollout] "),
        f"{w['agreement']} : {alert.agreement_id}" if lang == "fr"
        else f"{w['agreement']}: {alert.agreement_id}",
        f"{w['status']} : {before} → {after}" if lang == "fr"
        else f"{w['status']}: {before} → {after}",
    ]
    rows = [("as_of", alert.as_of.isoformat()), ("value_at_due", figures.get("value_at_due")),
            ("latest", figures.get("achieved_value")), ("delay", figures.get("delay_days")),
            ("shortfall", figures.get("shortfall_premises")),
            ("projected_on", figures.get("projected_on"))]
    pace = figures.get("pace") or {}
    if pace:
        rows += [("days_to_due", pace.get("days_to_due")),
                 ("needed", pace.get("needed_per_quarter")),
                 ("recent", pace.get("recent_per_quarter")),
                 ("projected_shortfall", pace.get("projected_shortfall"))]
    sep = " : " if lang == "fr" else ": "
    lines += [f"{w[key]}{sep}{_value(value, lang)}" for key, value in rows]
    batches = alert.evidence.get("batches") or {}
    ids = ", ".join(f"{k}={v}" for k, v in batches.items() if v is not None)
    if evidence:
        lines.append(f"{w['evidence']}{sep}{ids or '–'}")
    url = alert_url(alert, base_url)
    lines.append(f"{w['link']}{sep}{url}")
    return Message(subject, "\n".join(lines) + "\n", url)
