"""Pieces shared by the reports: labels (French keys, see :mod:`reports.i18n`), the evidence annex
and the method annex."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from geodata import commitments
from reports import data
from reports.i18n import Words
from reports.model import Column, Facts, Paragraph, Section, Table
from rollout import known_at
from rollout.assessment import STATUS_ORDER
from rollout.rows import each_row

FTTH_SHARE_METRICS = {"ftth_connectable_share", "ftth_connectable_or_rad_share"}
SHARE_METRICS = set(commitments.SHARE_METRICS)
BATCH_ID_COLUMNS = ("due_batch_id", "achieved_batch_id", "met_batch_id", "premises_batch_id",
                    "milestone_batch_id")
SERIES_FR = {
    "operator": "série propre de l'opérateur",
    "all_operators": "série tous opérateurs (aucune série propre de l'opérateur)",
    "mixed": "mixte : série propre dans certaines communes, tous opérateurs ailleurs",
}
METHOD_FR = {
    "insee": "INSEE : logements + établissements",
    "best_estimate": "ARCEP : meilleure estimation des locaux",
    "ipe": "IPE de l'opérateur (somme des locaux)",
    "coverage": "modèle de couverture 5G",
    "mixed": "mixte selon les communes",
}
REASON_FR = {
    "no_site_data": "aucun site radio chargé",
    "no_coverage_data": "aucune couverture 5G calculée",
    "empty_perimeter": "périmètre vide",
    "perimeter_commune_without_progress": "une commune du périmètre n'a aucune observation",
    "no_progress_series": "aucune observation pour cette commune",
    "no_observation_by_due_date": "aucune observation à l'échéance ou avant",
    "premises_unknown": "nombre de locaux inconnu",
    "rad_unknown": "locaux raccordables à la demande (RAD) non publiés",
    "rad_unknown_cap_unchecked": "cible atteinte mais plafond RAD invérifiable (RAD non publié)",
    "fewer_than_2_observations": "moins de 2 observations",
    "rad_share_above_cap": "part de RAD au-dessus du plafond",
    "trend_flat_or_decreasing": "tendance stable ou en baisse",
    "projected_after_due_date": "date projetée postérieure à l'échéance",
}
SYNTHETIC_FR = "OUI — DONNÉES SYNTHÉTIQUES"
SHORT_METRIC_FR = {
    "ftth_connectable_share": "fibre : locaux raccordables",
    "ftth_connectable_or_rad_share": "fibre : raccordables ou à la demande",
    "ftth_connectable_premises": "fibre : nombre de locaux raccordables",
    "mobile_5g_sites": "5G : sites en service",
    "mobile_5g_premises_coverage_share": "5G : locaux couverts",
}


def status_rank(status: str | None) -> int:
    """Worst first (``STATUS_ORDER``), no status last."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def value_kind(metric: str) -> str:
    """``share`` for share metrics, ``int`` for counts."""
    return "share" if metric in SHARE_METRICS else "int"


def clean(value: Any) -> Any:
    """Missing values (NA, NaN, NaT) as None; numpy scalars as Python numbers."""
    if value is None:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def clean_column(column: pd.Series) -> list[Any]:
    """:func:`clean` of every cell of ``column``, numeric columns converted at once."""
    raw = column.to_numpy() if isinstance(column.dtype, np.dtype) else None
    if raw is not None and raw.dtype.kind in "iub":
        return raw.tolist()
    if raw is not None and raw.dtype.kind == "f":
        out = raw.tolist()
        for i in np.flatnonzero(np.isnan(raw)).tolist():
            out[i] = None
        return out
    return [clean(v) for v in column.tolist()]


def batch_ids(frame: pd.DataFrame) -> set[int]:
    """Every batch id a frame of assessments cites."""
    ids: set[int] = set()
    for column in BATCH_ID_COLUMNS:
        if column in frame:
            ids.update(int(v) for v in frame[column].dropna())
    return ids


def synthetic_warning(batches: pd.DataFrame, tr: Words, *,
                      list_files: bool = True) -> Paragraph | None:
    """A loud warning when any cited batch holds synthetic data."""
    fake = batches[batches["synthetic"].astype(bool)]
    if fake.empty:
        return None
    files = tr(" : {files}", files=", ".join(fake["file_name"])) if list_files else ""
    return Paragraph(tr(
        "ATTENTION : {fake} des {total} fichiers sources cités sont des DONNÉES "
        "SYNTHÉTIQUES (démonstration), pas des données réelles{files}. Les chiffres qui en "
        "dépendent ne peuvent servir de preuve.", fake=len(fake), total=len(batches),
        files=files), "warning")


def batches_table(batches: pd.DataFrame, tr: Words) -> Table:
    """The evidence chain: one row per source file."""
    rows = [
        [r.batch_id, r.file_name, r.kind, r.sha256, r.imported_at, r.rows_read, r.rows_loaded,
         tr(SYNTHETIC_FR) if r.synthetic else tr("non")]
        for r in each_row(batches)
    ]
    return Table("Sources", tr("Fichiers sources (lots d'import)"), [
        Column("batch_id", tr("Lot"), "int", 0.5),
        Column("file_name", tr("Fichier"), "text", 2.6),
        Column("kind", tr("Type"), "text", 1.0),
        Column("sha256", tr("Empreinte sha256"), "hash", 2.6),
        Column("imported_at", tr("Importé le (UTC)"), "datetime", 1.3),
        Column("rows_read", tr("Lignes lues"), "int", 0.8),
        Column("rows_loaded", tr("Lignes chargées"), "int", 0.9),
        Column("synthetic", tr("Synthétique"), "text", 1.3),
    ], rows, note=tr("Le sha256 identifie le fichier exact importé : tout fichier produit à "
                     "l'appui doit avoir la même empreinte."))


# The assessment method (rollout.assessment's module docstring), one paragraph each.
METHOD_TEXTS = (
    "Série : un jalon d'un opérateur est évalué sur la série propre de cet opérateur dans "
    "la commune lorsqu'elle existe (au moins une ligne), sinon sur la série tous opérateurs ; "
    "la colonne « série » indique laquelle. Deux observations d'une même série le même jour : "
    "la plus récemment importée est retenue.",
    "Taux = locaux raccordables (+ raccordables à la demande, RAD, pour l'indicateur qui les "
    "inclut) / locaux. Le dénominateur est le dernier décompte de locaux daté au plus tard du "
    "jour de l'observation, à défaut le plus ancien connu ; deux décomptes du même jour : la "
    "meilleure estimation ARCEP, puis INSEE (logements + établissements), puis IPE, puis les "
    "autres méthodes par ordre alphabétique, et pour une même méthode le plus récemment "
    "importé — le même choix pour la carte, les fiches communales et les rapports. "
    "Un RAD inconnu rend cet indicateur "
    "inconnu ; un nombre de locaux inconnu rend tout taux inconnu. Un taux supérieur à 100 % "
    "est conservé et signalé.",
    "Périmètre : à chaque date où une commune du périmètre a été observée, chaque commune "
    "apporte sa dernière observation à cette date, et numérateurs et dénominateurs sont "
    "additionnés (le critère juridique porte sur tout le périmètre ; les taux communaux sont "
    "des indicateurs). Une date ne compte que lorsque toutes les communes ont une observation.",
    "Échéance passée (échéance ≤ date de situation) : la valeur à l'échéance est la dernière "
    "observation au plus tard à l'échéance. Jalon « atteint » si elle atteint la cible (et si "
    "la part de RAD respecte le plafond éventuel) ; sinon la première observation ultérieure "
    "qui l'atteint donne « atteint en retard », le retard étant sa date moins l'échéance ; "
    "sinon « manqué », le retard étant la date de situation moins l'échéance (il court "
    "encore).",
    "Résolution trimestrielle : les données ARCEP sont trimestrielles. Un retard « atteint en "
    "retard » est donc une borne supérieure : la cible a été atteinte à un moment entre "
    "l'observation précédente et celle qui la constate.",
    "Locaux manquants = plus petit nombre entier de locaux atteignant la cible (cible × "
    "locaux, arrondi au supérieur) moins les locaux atteints, à la dernière observation au "
    "plus tard à la date de situation ; jamais négatif, 0 si le jalon est atteint.",
    "Échéance future : si la cible est déjà atteinte, « en bonne voie » ; sinon une droite des "
    "moindres carrés sur les 4 dernières observations donne la date projetée ; « à risque » "
    "si cette date est postérieure à l'échéance ou si la tendance est stable ou en baisse.",
    "Moins de 2 observations, ou aucune observation à l'échéance : « données insuffisantes » ; "
    "le calcul ne devine jamais. Sites 5G : dates de mise en service exactes (au jour).",
    "Statut d'une commune sur la carte : son jalon le plus défavorable (manqué, à risque, "
    "atteint en retard, données insuffisantes, en bonne voie, atteint) et son plus long "
    "retard.",
)


def method_paragraphs(tr: Words) -> list[Paragraph]:
    """The assessment method, one paragraph per rule."""
    return [Paragraph(tr(t)) for t in METHOD_TEXTS]


def denominators_table(frame: pd.DataFrame, tr: Words) -> Table:
    """Which denominator vintages the assessed figures used, and how often."""
    used = frame.dropna(subset=["denominator_as_of"]).groupby(
        ["denominator_as_of", "denominator_method"], dropna=False).size().reset_index(name="n")
    rows = [[r.denominator_as_of, tr.label(METHOD_FR, r.denominator_method, r.denominator_method),
             r.n] for r in each_row(used)]
    return Table(tr("Dénominateurs"), tr("Dénominateurs utilisés (millésime et méthode)"), [
        Column("denominator_as_of", tr("Millésime"), "date", 1.0),
        Column("denominator_method", tr("Méthode"), "text", 3.0),
        Column("rows", tr("Lignes évaluées"), "int", 1.0),
    ], rows)


def evidence(session: Session, frame: pd.DataFrame, extra: set[int] | None = None):
    """(batches frame, sorted sha256 list) for every batch ``frame`` cites."""
    found = data.batches(session, batch_ids(frame) | (extra or set()))
    return found, sorted(found["sha256"])


def as_of_facts(as_of: dt.date, report: str, tr: Words) -> list[tuple[str, Any, str]]:
    """The date lines every report starts with (generation date = as-of date: determinism),
    and, for a report "as known at" a date, that date (:func:`known_at_facts`)."""
    return [
        (tr("Situation au"), as_of, "date"),
        (tr("Date d'établissement"), as_of, "date"),
        *known_at_facts(tr),
        (tr("Identifiant du rapport"), report, "text"),
    ]


def known_at_facts(tr: Words) -> list[tuple[str, Any, str]]:
    """The cover line of a report read "as known at" a date (:mod:`rollout.known_at`)."""
    known = known_at.current()
    if known is None:
        return []
    return [(tr("Données connues au (seuls les lots importés ce jour ou avant comptent)"),
             known, "date")]


def method_section(frame: pd.DataFrame, tr: Words, extra: list | None = None) -> Section:
    """The method annex: definitions, denominators, series, RAD."""
    blocks: list = [Paragraph(tr("Définitions et règles de calcul (moteur d'évaluation "
                                 "rollout.assessment) :"), "lead"), *method_paragraphs(tr)]
    if len(frame):
        blocks.append(denominators_table(frame, tr))
        series = frame["series"].map(lambda s: tr.label(SERIES_FR, s)).value_counts()
        rad = frame["rad_share"].notna()
        blocks.append(Facts([
            *((tr("Série : {label}", label=label), int(n), "int")
              for label, n in series.sort_index().items()),
            (tr("Lignes avec RAD publié (plafond vérifiable)"), int(rad.sum()), "int"),
            (tr("Lignes avec RAD inconnu"), int((~rad).sum()), "int"),
        ], name=tr("Séries")))
    blocks.extend(extra or [])
    return Section(tr("Annexe : méthode"), blocks, new_page=True)
