"""French first, English available: the language of a request and the translated strings.

The French text is the message key (DESIGN.md: French first); ``EN`` maps it to English. The
language comes from ``?lang=`` (then remembered in a cookie), else the cookie, else the
browser's Accept-Language, else French.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from rollout import figures
from webmap.i18n_feedback import EN_FEEDBACK

LANGUAGES = ("fr", "en")
COOKIE = "lang"

EN: dict[str, str] = {
    "Carte": "Map",
    "Communes": "Municipalities",
    "Commune": "Municipality",
    "Opérateur": "Operator",
    "Opérateurs": "Operators",
    "Imports": "Imports",
    "Export GeoPackage": "GeoPackage export",
    "Suivi du déploiement de la fibre et de la 5G": "Fibre and 5G rollout tracker",
    "Indicateur": "Indicator",
    "Trimestre": "Quarter",
    "Au": "As of",
    "Afficher": "Show",
    "Taux de locaux raccordables FTTH": "FTTH connectable premises share",
    "Pire statut d'échéance": "Worst milestone status",
    "Retard le plus long (jours)": "Longest delay (days)",
    "Sites 5G en service": "5G sites in service",
    "Locaux non raccordables": "Premises not connectable",
    "Sites radio": "Radio sites",
    "Travaux publics": "Public works",
    "Rechercher une commune": "Search a municipality",
    "Chiffres réels": "Real figures",
    "Données synthétiques de démonstration": "Synthetic demo data",
    "du": "from",
    "au": "to",
    "Données réelles": "Real data",
    "Aucune donnée de déploiement chargée.": "No rollout data loaded.",
    "Population": "Population",
    "Surface (km²)": "Area (km²)",
    "Locaux": "Premises",
    "Raccordables": "Connectable",
    "Taux": "Share",
    "Observé le": "Observed on",
    "Source": "Source",
    "Donnée": "Data",
    "réel": "real",
    "synthétique": "synthetic",
    "Statut": "Status",
    "Retard (jours)": "Delay (days)",
    "Écart (locaux)": "Gap (premises)",
    "Fiche de la commune": "Municipality page",
    "Commune introuvable": "Municipality not found",
    "Télécharger en CSV": "Download as CSV",
    "Évolution du taux de raccordables": "Connectable share over time",
    "Réalisé": "Actual",
    "Trajectoire engagée": "Committed trajectory",
    "Échéances": "Milestones",
    "Échéance": "Due on",
    "Cible": "Target",
    "Valeur à l'échéance": "Value at due date",
    "Manque (locaux)": "Shortfall (premises)",
    "Projection": "Projected on",
    "Indicateur suivi": "Metric",
    "Périmètre": "Perimeter",
    "Convention": "Agreement",
    "Opérateurs engagés": "Committed operators",
    "Opérateurs d'infrastructure": "Infrastructure operators",
    "Aucune échéance chargée.": "No milestone loaded.",
    "Communes où l'opérateur est engagé": "Municipalities where the operator is committed",
    "Historique des imports": "Import history",
    "Lot": "Batch",
    "Type": "Kind",
    "Fichier": "File",
    "Lignes lues": "Rows read",
    "chargées": "loaded",
    "ignorées": "skipped",
    "rejetées": "rejected",
    "Terminé le": "Finished at",
    "Lignes rejetées": "Rejected rows",
    "Ligne": "Row",
    "Colonne": "Column",
    "Valeur": "Value",
    "Motif": "Reason",
    "Aucun import.": "No import.",
    "Page introuvable": "Page not found",
    "Requête invalide": "Bad request",
    "Aucun engagement de cet opérateur n'est chargé : pas de rapport de retard.":
        "No commitment of this operator is loaded: no delay report.",
    "Cette page n'existe pas.": "This page does not exist.",
    "Commune inconnue": "Unknown municipality",
    "Opérateur inconnu": "Unknown operator",
    "Erreur du serveur": "Server error",
    "Une erreur est survenue. Elle a été consignée ; réessayez plus tard.":
        "An error occurred. It has been logged; please try again later.",
    "Retour à la carte": "Back to the map",
    "Sites 5G": "5G sites",
    "Sites": "Sites",
    "Travaux": "Works",
    "Aucune donnée": "No data",
    "Hors engagement": "No commitment",
    "jours": "days",
    "Écart FTTH": "FTTH gap",
    "locaux non raccordables": "premises not connectable",
    "Opérateur de la série": "Series used",
    "Dénominateur": "Denominator",
    "au T": "at Q",
    "Données": "Data",
    "Retard": "Delay",
    "atteint": "met",
    "atteint en retard": "met late",
    "manqué": "missed",
    "à risque": "at risk",
    "en bonne voie": "on track",
    "données insuffisantes": "insufficient data",
    "Chiffres au": "Figures as of",
    "Fiche PDF": "PDF sheet",
    "Méthode": "Method",
    "Évaluation au": "Assessed as of",
    "Début": "Start",
    "Fin": "End",
    "Titre": "Title",
    "Maître d'ouvrage": "Owner",
    "Systèmes": "Systems",
    "Mise en service": "In service on",
    "Identifiant": "Identifier",
    "Langue": "Language",
    "Zones sans 5G": "Areas without 5G",
    "Rapport de retard": "Delay report",
    "Locaux non raccordables (hexagones)": "Premises not connectable (hexagons)",
    "dont à la demande": "of which on demand",
    "Immeubles": "Buildings",
    "prévus": "planned",
    "en cours": "ongoing",
    "terminés": "ended",
    "observatoire ARCEP": "ARCEP observatory",
    "communes": "municipalities",
    "engagements": "commitments",
    "locaux (IPE)": "premises (IPE)",
    "sites radio": "radio sites",
    "travaux": "works",
    # Accounts, upload and audit pages.
    "Action": "Action",
    "Aucun évènement.": "No event.",
    "Détails": "Details",
    "Journal d'audit": "Audit log",
    "Nombre": "Count",
    "Objet": "Target",
    "Quand (UTC)": "When (UTC)",
    "Utilisateur": "User",
    "ligne de commande": "command line",
    "anonyme (web)": "anonymous (web)",
    "Disque plein": "Disk full",
    "Le disque du serveur est plein : le fichier n'a pas été importé et rien n'a changé. "
    "Prévenez l'administrateur du serveur, puis recommencez.":
        "The server's disk is full: the file was not imported and nothing changed. "
        "Tell the server's administrator, then try again.",
    "Importer un fichier": "Import a file",
    "Se connecter": "Sign in",
    "Se déconnecter": "Sign out",
    "Utilisateurs": "Users",
    "Connexion": "Sign in",
    "Mot de passe": "Password",
    "Sans compte, la carte, les pages et les fiches des communes restent consultables.":
        "Without an account, the map and the municipalities' pages and sheets remain open.",
    "Fichier refusé avant import : aucune donnée n'a été modifiée.":
        "File refused before import: no data was changed.",
    "Fichiers acceptés": "Accepted files",
    "Importer": "Import",
    "Le fichier passe par le même service d'import que la ligne de commande : tout le fichier "
    "est chargé, ou rien.":
        "The file goes through the same import service as the command line: the whole file "
        "loads, or nothing does.",
    "Problèmes": "Problems",
    "Résultat": "Result",
    "Taille maximale": "Maximum size",
    "attention": "warning",
    "Actif": "Active",
    "Créé le (UTC)": "Created (UTC)",
    "Dernière connexion (UTC)": "Last sign-in (UTC)",
    "Lecture seule : les comptes se gèrent avec": "Read only: accounts are managed with",
    "Rôle": "Role",
    "Rôles": "Roles",
    "non": "no",
    "oui": "yes",
    # Password change page.
    "Changer mon mot de passe": "Change my password",
    "Mot de passe actuel": "Current password",
    "Nouveau mot de passe": "New password",
    "Confirmer le nouveau mot de passe": "Confirm the new password",
    "Au moins {minimum} caractères.": "At least {minimum} characters.",
    "Enregistrer": "Save",
    "Vos autres sessions seront fermées.": "Your other sessions will be signed out.",
    "Remplissez les trois champs.": "Fill in all three fields.",
    "Les deux saisies du nouveau mot de passe diffèrent.":
        "The two entries of the new password differ.",
    "Mot de passe actuel incorrect.": "The current password is wrong.",
    "Le nouveau mot de passe doit compter au moins {minimum} caractères.":
        "The new password must have at least {minimum} characters.",
    "Le nouveau mot de passe doit différer de l'actuel.":
        "The new password must differ from the current one.",
    "Mot de passe modifié. Vos autres sessions ont été fermées.":
        "Password changed. Your other sessions were signed out.",
    "Trop d'essais. Réessayez dans {minutes} minutes.":
        "Too many attempts. Try again in {minutes} minutes.",
    "Identifiant ou mot de passe incorrect.": "Wrong username or password.",
    "Mes sessions": "My sessions",
    "Ouverte le (UTC)": "Opened (UTC)",
    "Dernière requête (UTC)": "Last request (UTC)",
    "Adresse": "Address",
    "Navigateur": "Browser",
    "cette session": "this session",
    "Se déconnecter partout": "Sign out everywhere",
    "Ferme toutes vos sessions, celle-ci comprise, sur tous vos appareils.":
        "Ends all your sessions, this one included, on all your devices.",
    "Trop de documents demandés. Réessayez dans {seconds} secondes.":
        "Too many documents requested. Try again in {seconds} seconds.",
    "Trop de demandes": "Too many requests",
}

EN.update(EN_FEEDBACK)

# The same French words as rollout.compliance.STATUS_LABELS_FR, so pages and reports agree.
# Import batch kinds in the readers' words (banner, import history).
KIND_LABELS = {
    "arcep": "observatoire ARCEP", "communes": "communes", "commitments": "engagements",
    "premises": "locaux (IPE)", "sites": "sites radio", "works": "travaux",
}
STATUS_LABELS = {
    "met": "atteint", "met_late": "atteint en retard", "missed": "manqué",
    "at_risk": "à risque", "on_track": "en bonne voie", "no_data": "données insuffisantes",
}


def current_language() -> str:
    """The language chosen for this request (see the module docstring for the order)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def language() -> str:
    """The request's language (French outside a request)."""
    return getattr(g, "lang", "fr") if g else "fr"


def translate(text: str) -> str:
    """``text`` (French) in the request's language."""
    if getattr(g, "lang", "fr") == "en":
        return EN.get(text, text)
    return text


def status_label(status: object) -> str:
    """A milestone status in the reader's words."""
    return translate(STATUS_LABELS.get(str(status), str(status)))


def kind_label(kind: object) -> str:
    """An import batch kind in the reader's words."""
    return translate(KIND_LABELS.get(str(kind), str(kind)))


def metric_label(metric: str) -> str:
    """A milestone metric in French words (``rollout.compliance``'s), its code in English."""
    from webmap.data import compliance

    labels = getattr(compliance(), "METRIC_LABELS_FR", {})
    return metric if getattr(g, "lang", "fr") == "en" else labels.get(metric, metric)


def init_app(app: Flask) -> None:
    """Pick the language before each request, remember an explicit choice, expose ``_``."""

    @app.before_request
    def _choose_language() -> None:
        g.lang = current_language()

    @app.after_request
    def _remember_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    app.jinja_env.globals.update(_=translate, status_label=status_label,
                                 metric_label=metric_label, kind_label=kind_label)
    app.jinja_env.filters["kind_label"] = kind_label
    # Figures in the page's language (Babel, rollout.figures).
    app.jinja_env.filters.update(
        fmt_int=lambda v: figures.fmt_int(v, language()),
        fmt_share=lambda v, digits=1: figures.fmt_share(v, language(), digits),
        fmt_number=lambda v, digits=2: figures.fmt_number(v, language(), digits),
        fmt_date=lambda v: figures.fmt_date(v, language()),
    )
