"""English versions of the alerts' and signalements' interface texts (French is the key)."""

from __future__ import annotations

EN_FEEDBACK: dict[str, str] = {
    "Mes alertes": "My alerts",
    "Recevez un message quand une échéance devient à risque, est manquée, atteinte en retard, "
    "manque de données, ou approche en retard de rythme.":
        "Get a message when a milestone turns at risk, is missed, met late, lacks data, or "
        "nears its due date behind pace.",
    "Flux Atom des alertes": "Atom feed of the alerts",
    "Alertes sur les échéances": "Milestone alerts",
    "Secret du webhook (signature HMAC-SHA256, affiché une seule fois) :":
        "Webhook secret (HMAC-SHA256 signature, shown once):",
    "Canal": "Channel",
    "Adresse": "Address",
    "Types": "Kinds",
    "tous": "all",
    "toutes": "all",
    "Se désabonner": "Unsubscribe",
    "Aucun abonnement.": "No subscription.",
    "Nouvel abonnement": "New subscription",
    "Adresse e-mail ou URL du webhook": "E-mail address or webhook URL",
    "Opérateur (code, vide : tous)": "Operator (code, empty: all)",
    "Commune (code INSEE, vide : toutes)": "Municipality (INSEE code, empty: all)",
    "Types (aucun : tous)": "Kinds (none: all)",
    "S'abonner": "Subscribe",
    "Formulaire invalide, veuillez réessayer.": "Invalid form, please try again.",
    "Alertes": "Alerts",
    "Échéance proche, en retard de rythme": "Due date near, behind pace",
    "Jours avant l'échéance": "Days to due date",
    "Date projetée": "Projected date",
    "Rythme nécessaire (par trimestre)": "Pace needed (per quarter)",
    "Rythme récent (par trimestre)": "Recent pace (per quarter)",
    "Écart projeté à l'échéance": "Projected shortfall at due date",
    "Évalué au": "Assessed on",
    "périmètre": "perimeter",
}
