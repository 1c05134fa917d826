"""What every table of the open-data package holds: fields, types, units, keys, titles (fr, en).

One description feeds the CSV writer (column order), the Frictionless Table Schemas of
``datapackage.json`` and the DCAT-AP catalogue (:mod:`rollout.catalog`). Types are Table
Schema types; lists are written as text joined by ``; ``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """A column: Table Schema type, French description, unit and constraints."""

    name: str
    type: str
    description: str
    unit: str | None = None
    required: bool = False
    minimum: float | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A published table: its CSV (and GeoJSON when ``spatial``), keys and titles."""

    name: str
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (field, table, field)
    spatial: bool = False
    temporal: str | None = None  # the date column giving the temporal coverage


def _f(name: str, type_: str, description: str, unit: str | None = None, **kw) -> Field:
    return Field(name, type_, description, unit, **kw)


INSEE = _f("insee", "string", "Code INSEE de la commune (5 caractères)", required=True)
BATCH = _f("batch_id", "integer", "Lot d'import d'où vient la ligne (voir sources.csv)",
           required=True)
SYNTHETIC = _f("synthetic", "boolean", "Vrai si la ligne vient d'un lot de données "
               "synthétiques (démonstration), jamais d'une source réelle", required=True)
GEOPACKAGE = "rollout-open-data.gpkg"
STATUSES = ("met", "met_late", "missed", "at_risk", "on_track", "no_data")

TABLES: tuple[Table, ...] = (
    Table(
        "sources", "Sources des données", "Data sources",
        "Chaque fichier importé cité par les autres tables : nom, empreinte sha256, date "
        "d'import, lot synthétique ou non.",
        "Every imported file the other tables cite: name, sha256, import date, synthetic or not.",
        (_f("batch_id", "integer", "Identifiant du lot d'import", required=True),
         _f("kind", "string", "Type de fichier importé", required=True),
         _f("file_name", "string", "Nom du fichier source", required=True),
         _f("sha256", "string", "Empreinte SHA-256 du fichier source", required=True),
         _f("imported_at", "datetime", "Date et heure d'import (UTC)"),
         SYNTHETIC),
        primary_key=("batch_id",),
    ),
    Table(
        "communes", "Communes", "Communes",
        "Les communes suivies : code INSEE, nom, EPCI, population, superficie.",
        "The communes tracked: INSEE code, name, EPCI, population, area.",
        (INSEE, _f("name", "string", "Nom de la commune", required=True),
         _f("epci_siren", "string", "SIREN de l'EPCI"),
         _f("population", "integer", "Population légale", "habitants", minimum=0),
         _f("area_km2", "number", "Superficie calculée en Lambert-93", "km²", minimum=0),
         BATCH, SYNTHETIC),
        primary_key=("insee",), foreign_keys=(("batch_id", "sources", "batch_id"),),
        spatial=True,
    ),
    Table(
        "commune_figures", "Déploiement de la fibre par commune et par date",
        "Fibre (FTTH) rollout per commune over time",
        "Pour chaque commune et chaque observation : locaux, locaux raccordables et "
        "raccordables à la demande, taux, avec le dénominateur retenu (méthode et millésime).",
        "Per commune and observation: premises, connectable and on-demand premises, shares, "
        "with the denominator used (method and vintage).",
        (INSEE, _f("observed_on", "date", "Date de l'observation (fin de trimestre ARCEP)",
                   required=True),
         _f("connectable", "integer", "Locaux raccordables", "locaux", required=True, minimum=0),
         _f("rad", "integer", "Locaux raccordables à la demande (RAD)", "locaux", minimum=0),
         _f("premises", "integer", "Locaux (dénominateur)", "locaux", minimum=0),
         _f("premises_as_of", "date", "Millésime du dénominateur"),
         _f("premises_method", "string", "Méthode du dénominateur (insee : logements + "
            "établissements ; best_estimate : meilleure estimation ARCEP ; ipe)"),
         _f("connectable_share", "number", "Part de locaux raccordables (peut dépasser 1)",
            "ratio 0-1", minimum=0),
         _f("connectable_or_rad_share", "number", "Part raccordable ou à la demande",
            "ratio 0-1", minimum=0),
         _f("source", "string", "Série (arcep, ipe, somme des opérateurs)", required=True),
         BATCH, SYNTHETIC),
        primary_key=("insee", "observed_on"),
        foreign_keys=(("insee", "communes", "insee"), ("batch_id", "sources", "batch_id")),
        temporal="observed_on",
    ),
    Table(
        "milestones", "Jalons des engagements et leur évaluation",
        "Commitment milestones and their assessment",
        "Chaque jalon des engagements des opérateurs, évalué à la date de publication : "
        "statut, valeur à l'échéance, retard, locaux manquants.",
        "Every milestone of the operators' commitments, assessed as of the publication date: "
        "status, value at the due date, delay, missing premises.",
        (_f("milestone_id", "integer", "Identifiant du jalon", required=True),
         _f("agreement_id", "string", "Engagement", required=True),
         _f("operator_code", "string", "Code de l'opérateur (ARCEP ou MCC-MNC)", required=True),
         _f("commune_insee", "string", "Commune du jalon (vide : tout le périmètre)"),
         _f("metric", "string", "Indicateur", required=True),
         _f("target", "number", "Cible (part 0-1 ou nombre)", required=True),
         _f("due_on", "date", "Échéance", required=True),
         _f("rad_cap", "number", "Part maximale de locaux à la demande", "ratio 0-1"),
         _f("as_of", "date", "Date d'évaluation (date de publication)", required=True),
         _f("status", "string", "Statut", required=True, enum=STATUSES),
         _f("value_at_due", "number", "Valeur à l'échéance"),
         _f("observed_on", "date", "Date de l'observation retenue"),
         _f("delay_days", "integer", "Retard (borne haute pour des données trimestrielles)",
            "jours"),
         _f("shortfall_premises", "integer", "Locaux manquants pour atteindre la cible",
            "locaux"),
         _f("projected_on", "date", "Date projetée d'atteinte de la cible (tendance)"),
         _f("milestone_batch_id", "integer", "Lot d'import du jalon", required=True),
         SYNTHETIC),
        primary_key=("milestone_id",),
        foreign_keys=(("commune_insee", "communes", "insee"),
                      ("milestone_batch_id", "sources", "batch_id")),
        temporal="due_on",
    ),
    Table(
        "works", "Travaux publics prévus et en cours", "Planned and ongoing public works",
        "Les chantiers publiables (maître d'ouvrage : la métropole) : dates, type, voies, "
        "communes touchées.",
        "Publishable works (owned by the metropolis): dates, kind, roads, communes touched.",
        (_f("work_id", "integer", "Identifiant du chantier dans la base", required=True),
         _f("source_id", "string", "Identifiant dans le fichier source", required=True),
         _f("title", "string", "Intitulé", required=True),
         _f("kind", "string", "Type (work-zone, road-closed, detour…)", required=True),
         _f("owner", "string", "Maître d'ouvrage"),
         _f("start_at", "datetime", "Début (UTC)", required=True),
         _f("end_at", "datetime", "Fin (UTC ; vide : sans fin connue)"),
         _f("status", "string", "État à la date de publication", required=True,
            enum=("planned", "ongoing", "ended")),
         _f("road_names", "string", "Voies (séparées par « ; »)"),
         _f("description", "string", "Description"),
         _f("insee", "string", "Communes touchées (codes INSEE séparés par « ; »)"),
         BATCH, SYNTHETIC),
        primary_key=("work_id",), foreign_keys=(("batch_id", "sources", "batch_id"),),
        spatial=True, temporal="start_at",
    ),
    Table(
        "radio_sites", "Sites radio mobiles", "Mobile radio sites",
        "Stations radio (ANFR ou ARCEP) par opérateur : systèmes, bandes, 5G, mise en service.",
        "Radio stations (ANFR or ARCEP) per operator: systems, bands, 5G, in-service date.",
        (_f("station_id", "string", "Identifiant de la station", required=True),
         _f("operator_code", "string", "Code de l'opérateur (MCC-MNC)", required=True),
         _f("operator_name", "string", "Opérateur"),
         _f("insee", "string", "Commune"),
         _f("lon", "number", "Longitude WGS84", "degrés", required=True),
         _f("lat", "number", "Latitude WGS84", "degrés", required=True),
         _f("systems", "string", "Systèmes (séparés par « ; »)"),
         _f("bands", "string", "Bandes (séparées par « ; »)"),
         _f("has_5g", "boolean", "Émet en 5G", required=True),
         _f("in_service_on", "date", "Mise en service"),
         BATCH, SYNTHETIC),
        primary_key=("station_id", "operator_code"),
        foreign_keys=(("batch_id", "sources", "batch_id"),), spatial=True,
        temporal="in_service_on",
    ),
    Table(
        "coverage_5g", "Couverture 5G modélisée par commune", "Modelled 5G coverage per commune",
        "Part des locaux (ou de la population) dans la couverture modélisée des sites 5G en "
        "service à la date de publication (rayons par bande : NR 3500 600 m, NR 2100 1 km, "
        "NR 700 2 km).",
        "Share of premises (or population) inside the modelled coverage of the 5G sites in "
        "service on the publication date (radii by band: NR 3500 600 m, NR 2100 1 km, "
        "NR 700 2 km).",
        (INSEE, _f("operator_code", "string", "Code de l'opérateur", required=True),
         _f("as_of", "date", "Date du modèle", required=True),
         _f("covered", "number", "Locaux (ou habitants) couverts", "locaux ou habitants",
            minimum=0),
         _f("premises", "number", "Locaux (ou habitants) de la commune", "locaux ou habitants",
            minimum=0),
         _f("share", "number", "Part couverte", "ratio 0-1", minimum=0),
         _f("method", "string", "Méthode (premises_points ou population_uniform)")),
        primary_key=("insee", "operator_code"), foreign_keys=(("insee", "communes", "insee"),),
    ),
)
# Planner layers: only with ``rollout publish --include-restricted``.
RESTRICTED_LAYERS = {
    "gaps_5g": ("Zones sans 5G (modèle)", "Areas without 5G (model)"),
    "gap_hexagons": ("Locaux non raccordables (hexagones)", "Premises not connectable (hexagons)"),
}


def table(name: str) -> Table:
    """The table called ``name``."""
    for item in TABLES:
        if item.name == name:
            return item
    raise KeyError(f"table was {name!r}; expected one of {[t.name for t in TABLES]}")
