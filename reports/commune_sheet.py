"""One-page commune sheet for elected officials: plain words, figures from the shared engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geodata.errors import InputError
from reports import charts, common, data
from reports.i18n import FRENCH, Words
from reports.model import Column, Document, Facts, Figure, Paragraph, Section, Table, report_id
from rollout.known_codes import known_list
from rollout.rows import each_row

YEAR = dt.timedelta(days=365)
MAX_WORKS = 5


def _commune(snapshot: data.Snapshot, insee: str) -> pd.Series:
    match = snapshot.communes[snapshot.communes["insee"] == insee.strip()]
    if match.empty:
        known = known_list(sorted(snapshot.communes["insee"]), "commune")
        raise InputError.single("INSEE", f"unknown commune {insee!r}; {known}",
                                code="unknown_commune")
    return match.iloc[0]


def _day(value: Any) -> dt.date | None:
    return None if common.clean(value) is None else value.date()


def _trend(history: pd.DataFrame) -> tuple[float | None, dt.date | None]:
    """Share a year before the latest observation (the latest one at least 365 days older)."""
    if history.empty:
        return None, None
    latest = history["observed_on"].iloc[-1]
    earlier = history[history["observed_on"] <= latest - YEAR]
    if earlier.empty:
        return None, None
    return float(earlier["share"].iloc[-1]), earlier["observed_on"].iloc[-1]


def _commitments(snapshot: data.Snapshot, insee: str, tr: Words) -> Table:
    own = snapshot.milestones[snapshot.milestones["commune_insee"] == insee].assign(
        scope=tr("commune"))
    shared = snapshot.breakdown[snapshot.breakdown["commune_insee"] == insee].assign(
        scope=tr("global"))
    rows = pd.concat([p for p in (own, shared) if len(p)] or [own], ignore_index=True)
    rows = rows.sort_values(["due_on", "operator_code", "milestone_id"], ignore_index=True)
    body: list[list[Any]] = []
    for r in each_row(rows):
        body.append([
            f"{snapshot.operators.get(r.operator_code, r.operator_code)}", r.agreement_id,
            r.scope, tr.label(common.SHORT_METRIC_FR, r.metric, r.metric),
            tr.value(r.target, common.value_kind(r.metric)).replace(" ", "\u00a0"), r.due_on,
            tr.status(r.status), common.clean(r.delay_days),
            common.clean(r.shortfall_premises)])
    return Table(tr("Engagements"), tr("Engagements des opérateurs et où ils en sont"), [
        Column("operator", tr("Opérateur"), "text", 1.1),
        Column("agreement_id", tr("Engagement"), "text", 1.9),
        Column("scope", tr("Portée"), "text", 0.2),
        Column("metric", tr("Objectif"), "text", 2.2),
        Column("target", tr("Cible"), "text", 0.1),
        Column("due_on", tr("Échéance"), "date", 1.0),
        Column("status", tr("Situation"), "text", 1.2),
        Column("delay_days", tr("Retard (jours)"), "int", 0.8),
        Column("shortfall_premises", tr("Locaux manquants"), "int", 1.1),
    ], body, note=tr("Portée « global » : engagement sur plusieurs communes, jugé sur "
                     "l'ensemble ; la ligne donne la situation de la commune, à titre "
                     "indicatif."))


def _early_warnings(snapshot: data.Snapshot, session: Session, insee: str,
                    tr: Words) -> Table | None:
    """Milestones of the commune under an early warning (rollout.alerts), evaluated by the
    sheet's date at the latest."""
    from rollout.alerts import early_warnings

    rows = early_warnings(session, commune=insee)
    rows = rows[[d <= snapshot.as_of for d in rows["as_of"]]] if len(rows) else rows
    if rows.empty:
        return None
    body = [[snapshot.operators.get(r.operator_code, r.operator_code),
             tr.label(common.SHORT_METRIC_FR, r.metric, r.metric), r.due_on, r.days_to_due,
             dt.date.fromisoformat(r.projected_on) if r.projected_on else None,
             None if r.needed_per_quarter is None else round(r.needed_per_quarter),
             None if r.recent_per_quarter is None else round(r.recent_per_quarter),
             r.projected_shortfall] for r in each_row(rows)]
    return Table(tr("Alertes"), tr("Échéance proche, en retard de rythme"), [
        Column("operator", tr("Opérateur"), "text", 1.1),
        Column("metric", tr("Objectif"), "text", 2.2),
        Column("due_on", tr("Échéance"), "date", 1.0),
        Column("days_to_due", tr("Jours avant l'échéance"), "int", 0.9),
        Column("projected_on", tr("Date projetée"), "date", 1.0),
        Column("needed", tr("Rythme nécessaire (par trimestre)"), "int", 1.1),
        Column("recent", tr("Rythme récent (par trimestre)"), "int", 1.1),
        Column("projected_shortfall", tr("Écart projeté à l'échéance"), "int", 1.1),
    ], body)


def build_from(snapshot: data.Snapshot, session: Session, insee: str,
               tr: Words = FRENCH) -> Document:
    """The sheet of ``insee`` from an already loaded snapshot (lets callers batch 95 sheets)."""
    commune = _commune(snapshot, insee)
    insee, as_of = commune["insee"], snapshot.as_of
    figures = snapshot.figures.set_index("insee").loc[insee]
    status = snapshot.status.set_index("insee")
    mine = status.loc[insee] if insee in status.index else None
    history = data.share_history(session, insee, as_of)
    before, before_on = _trend(history)
    share = common.clean(figures["connectable_share"])
    facts: list[tuple[str, Any, str]] = [
        (tr("Population"), common.clean(commune["population"]), "int"),
        (tr("Locaux (logements et locaux professionnels)"), common.clean(figures["premises"]),
         "int"),
        (tr("Locaux raccordables à la fibre"), common.clean(figures["connectable"]), "int"),
        (tr("Part de locaux raccordables"), share, "share"),
        (tr("Chiffres observés le"), figures["observed_on"], "date"),
    ]
    if before is not None and share is not None:
        facts.append((tr("Évolution depuis le {day}", day=tr.date(before_on)),
                      tr("{points} points", points=tr.signed((share - before) * 100)), "text"))
    facts.append((tr("Situation des engagements"),
                  tr.status(mine["status"] if mine is not None else None), "text"))
    if mine is not None and common.clean(mine["delay_days"]):
        facts.append((tr("Plus long retard (jours)"), int(mine["delay_days"]), "int"))
    from rollout.challenges import open_counts

    facts.append((tr("Signalements en cours"), open_counts(session).get(insee, 0), "int"))
    facts.extend(common.known_at_facts(tr))
    works = data.upcoming_works(session, insee, as_of)
    if not len(works):
        facts.append((tr("Travaux publics en cours ou à venir"), tr("aucun chantier prévu"),
                      "text"))
    blocks: list = [Facts(facts, name=tr("Commune")), _commitments(snapshot, insee, tr)]
    warnings = _early_warnings(snapshot, session, insee, tr)
    if warnings is not None:
        blocks.append(warnings)
    sites = data.sites_5g(session, insee, as_of)
    if len(sites):
        blocks.append(Table("5G", tr("Sites 5G en service"), [
            Column("operator", tr("Opérateur"), "text", 2),
            Column("sites", tr("Sites"), "int", 1)],
            [[snapshot.operators.get(r.operator_code, r.operator_name), int(r.sites)]
             for r in each_row(sites)]))
    if len(works):
        blocks.append(Table(tr("Travaux"), tr("Travaux publics en cours ou à venir"), [
            Column("title", tr("Chantier"), "text", 3),
            Column("owner", tr("Maître d'ouvrage"), "text", 1.5),
            Column("start_at", tr("Début"), "date", 1), Column("end_at", tr("Fin"), "date", 1)],
            [[r.title, common.clean(r.owner), _day(r.start_at), _day(r.end_at)]
             for r in each_row(works.head(MAX_WORKS))]))
    statuses = dict(zip(snapshot.status["insee"], snapshot.status["status"], strict=True))
    blocks.append(Figure(charts.commune_panel(list(history["observed_on"]),
                                              list(history["share"]), snapshot.communes,
                                              statuses, insee, tr),
                         tr("Couleurs de la carte : situation la plus défavorable des "
                            "engagements de chaque commune."), width_cm=17))
    values = [figures["batch_id"], figures["premises_batch_id"], *history["batch_id"],
              *history["premises_batch_id"], *sites["batch_id"], *works["batch_id"]]
    cited = {int(v) for v in values if common.clean(v) is not None}
    rows = pd.concat([snapshot.milestones[snapshot.milestones["commune_insee"] == insee],
                      snapshot.breakdown[snapshot.breakdown["commune_insee"] == insee]])
    batches, hashes = common.evidence(session, rows, cited)
    rid = report_id("commune-sheet", insee, as_of.isoformat(), *hashes)
    blocks.append(Paragraph(tr(
        "Sources (fichiers importés) : {files}. Rapport {rid}, situation au {day}.",
        files=", ".join(batches["file_name"]) or tr("aucun fichier importé"), rid=rid,
        day=tr.date(as_of)), "small"))
    warning = common.synthetic_warning(batches, tr, list_files=False)
    if warning:
        blocks.insert(0, warning)
    name = commune["name"]
    return Document(
        "commune-sheet", f"{name} ({insee})",
        tr("Fibre et engagements des opérateurs : situation au {day}", day=tr.date(as_of)),
        as_of, rid, [Section(tr("En bref"), blocks)],
        filename=f"commune-{insee}-{as_of.isoformat()}", lang=tr.lang)


def build(session: Session, insee: str, as_of: dt.date, lang: str = "fr") -> Document:
    """The one-page sheet of commune ``insee`` as of ``as_of``."""
    return build_from(data.snapshot(session, as_of), session, insee, Words(lang))
