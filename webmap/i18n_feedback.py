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
    'Aucun signalement.': 'No challenge.',
    'Catégorie': 'Category',
    'Ce qui est faux, et ce qui serait juste': 'What is wrong, and what would be right',
    'Commune (code INSEE)': 'Municipality (INSEE code)',
    'Description': 'Description',
    "Données personnelles (RGPD) : seules l'adresse e-mail (si vous la donnez) et une"
    " empreinte de votre adresse réseau (limite d'abus) sont conservées ; elles sont "
    'supprimées avec le signalement 12 mois après sa résolution. Le texte est '
    "transmis à l'opérateur concerné : n'y mettez pas de données personnelles.":
        'Personal data (GDPR): only the e-mail address (if you give one) and a '
        'fingerprint of your network address (abuse limit) are kept; they are deleted '
        'with the challenge 12 months after it is resolved. The text is sent to the '
        'operator concerned: do not put personal data in it.',
    'E-mail pour suivre la réponse (facultatif)': 'E-mail to follow the answer (optional)',
    'Envoyer le signalement': 'Send the challenge',
    'Filtrer': 'Filter',
    "Gardez l'adresse de cette page : c'est la seule façon de suivre votre signalement.":
        "Keep this page's address: it is the only way to follow your challenge.",
    "Identifiant de l'immeuble, des travaux ou du site": 'Building, works or site id',
    "J'accepte que mon adresse soit conservée pour me tenir informé de ce signalement.":
        'I agree that my address is kept to keep me informed about this challenge.',
    "Lot d'import correctif": 'Correcting import batch',
    "Modèle CSV d'import en masse": 'Bulk import CSV template',
    'Note': 'Note',
    'Pièce': 'Evidence',
    'Pièce justificative (PDF, PNG, JPEG, CSV ou texte, 5 Mo au plus ; facultatif)':
        'Evidence (PDF, PNG, JPEG, CSV or text, 5 MB at most; optional)',
    'Reçu le': 'Received on',
    'Signalements': 'Challenges',
    'Signalements en cours sur cette commune': 'Open challenges on this municipality',
    'Signaler une erreur': 'Report an error',
    'Signaler une erreur sur cette commune (chiffre, immeuble, travaux, site radio)':
        'Report an error on this municipality (figure, building, works, radio site)',
    'Suivi du signalement': 'Challenge status',
    'Valeur affichée': 'Value shown',
    'Valeur affichée lors du signalement': 'Value shown when reported',
    'Valider': 'Submit',
    'Âge (jours)': 'Age (days)',
    'Âge minimum (jours)': 'Minimum age (days)',
    'Étape suivante': 'Next step',
    'Étapes': 'Steps',
    'Lot': 'Batch',
    "Signalements en cours": "Open challenges",
}
