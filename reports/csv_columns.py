"""The flat milestone × commune table of the operator-delay report, and its column glossary.

The CSV export writes this table; the method annex (PDF/HTML) and the README document it.
Its header and values are machine names shared by both languages (``status_fr`` stays French,
as its name says): scripts read the French and English exports alike.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports import common
from reports.i18n import FRENCH, Words
from reports.model import Column, Table
from rollout.frames import concat_rows

# (key, kind, French description): the CSV header is the key.
COLUMNS: list[tuple[str, str, str]] = [
    ("milestone_id", "int", "numéro du jalon"),
    ("agreement_id", "text", "identifiant de l'engagement"),
    ("operator_code", "text", "code ARCEP de l'opérateur"),
    ("scope", "text", "perimeter : ligne du jalon de périmètre (critère juridique) ; "
                      "perimeter_commune : indicateur communal d'un jalon de périmètre ; "
                      "commune : jalon propre à la commune"),
    ("commune_insee", "text", "code INSEE de la commune (vide pour la ligne périmètre)"),
    ("commune_name", "text", "nom de la commune"),
    ("metric", "text", "indicateur (ftth_connectable_share, ftth_connectable_or_rad_share, …)"),
    ("target", "number", "cible : part entre 0 et 1, ou nombre"),
    ("rad_cap", "number", "plafond de part de RAD (vide : aucun)"),
    ("due_on", "date", "échéance (AAAA-MM-JJ)"),
    ("as_of", "date", "date de situation"),
    ("status", "text", "met, met_late, missed, at_risk, on_track, no_data"),
    ("status_fr", "text", "statut en français"),
    ("reason", "text", "motif du statut données insuffisantes ou à risque"),
    ("value_at_due", "number", "valeur à la dernière observation au plus tard à l'échéance"),
    ("observed_on", "date", "date de cette observation"),
    ("achieved_value", "number", "valeur à la dernière observation au plus tard à la situation"),
    ("achieved_on", "date", "date de cette observation"),
    ("delay_days", "int", "retard en jours (en cours si missed)"),
    ("delay_is_upper_bound", "flag", "true : le retard est une borne supérieure (trimestriel)"),
    ("shortfall_premises", "int", "locaux manquants à la dernière observation"),
    ("projected_on", "date", "date projetée par la tendance (échéance future)"),
    ("series", "text", "operator : série de l'opérateur ; all_operators : tous opérateurs"),
    ("denominator_premises", "int", "locaux au dénominateur"),
    ("denominator_as_of", "date", "millésime du dénominateur"),
    ("denominator_method", "text", "insee, best_estimate (ARCEP) ou ipe"),
    ("rad_share", "number", "part de locaux raccordables à la demande (vide : inconnue)"),
    ("rad_cap_breached", "flag", "true : plafond de RAD dépassé"),
    ("over_100", "flag", "true : taux supérieur à 100 % (dénominateur sous-estimé)"),
    ("milestone_file", "text", "fichier des engagements d'où vient le jalon"),
    ("milestone_source_row", "int", "ligne du jalon dans ce fichier"),
    ("due_batch_id", "int", "lot de la valeur à l'échéance"),
    ("achieved_batch_id", "int", "lot de la dernière valeur"),
    ("met_batch_id", "int", "lot de l'observation atteignant la cible"),
    ("premises_batch_id", "int", "lot du dénominateur"),
    ("synthetic_evidence", "flag", "true : au moins un lot cité est synthétique"),
]


def table(tr: Words) -> Table:
    """The glossary of the CSV columns, for the method annex."""
    return Table(tr("Colonnes CSV"), tr("Colonnes du fichier CSV (une ligne par jalon × commune)"),
                 [Column("column", tr("Colonne"), "text", 1.6),
                  Column("kind", tr("Type"), "text", 0.7),
                  Column("description", tr("Signification"), "text", 4.5)],
                 [[key, kind, tr(text)] for key, kind, text in COLUMNS])


def _scope(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.assign(scope=name)


def rows_table(own: pd.DataFrame, breakdown: pd.DataFrame, names: dict[str, str],
               batches: pd.DataFrame, tr: Words) -> Table:
    """One row per perimeter milestone, per perimeter commune and per commune milestone."""
    parts = [
        _scope(own[own["commune_insee"].isna()], "perimeter"),
        _scope(breakdown, "perimeter_commune"),
        _scope(own[own["commune_insee"].notna()], "commune"),
    ]
    frame = concat_rows(parts)
    order = {"perimeter": 0, "perimeter_commune": 1, "commune": 2}
    if len(frame):
        frame = frame.assign(_o=frame["scope"].map(order)).sort_values(
            ["milestone_id", "_o", "commune_insee"], na_position="first", ignore_index=True)
    files = dict(zip(batches["batch_id"], batches["file_name"], strict=True))
    fake = set(batches.loc[batches["synthetic"].astype(bool), "batch_id"])
    # Column by column (a national report has hundreds of thousands of rows), each cell as
    # common.clean gives it.
    insee = frame["commune_insee"] if len(frame) else pd.Series([], dtype=object)
    statuses = {s: FRENCH.status(s) for s in pd.unique(frame["status"])} if len(frame) else {}
    derived = {
        "commune_name": [names.get(c) if isinstance(c, str) and c else None for c in insee],
        "status_fr": [statuses[s] for s in frame["status"]] if len(frame) else [],
        "milestone_file": [files.get(b) for b in frame["milestone_batch_id"]]
        if len(frame) else [],
        "synthetic_evidence": (frame[list(common.BATCH_ID_COLUMNS)].isin(fake).any(axis=1)
                               .tolist() if len(frame) and fake else [False] * len(frame)),
    }
    cells = [derived[key] if key in derived else common.clean_column(frame[key])
             for key, _, _ in COLUMNS]
    rows: list[list[Any]] = [list(row) for row in zip(*cells, strict=True)]
    return Table(tr("Jalon x commune"), tr("Une ligne par jalon × commune"),
                 [Column(key, key, kind) for key, kind, _ in COLUMNS], rows)
