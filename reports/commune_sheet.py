"""One-page commune sheet for elected officials: plain French, figures from the shared engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geodata.errors import InputError
from reports import charts, common, data
from reports.model import (
    Column,
    Document,
    Facts,
    Figure,
    Paragraph,
    Section,
    Table,
    fr_value,
    report_id,
)

YEAR = dt.timedelta(days=365)
MAX_WORKS = 5


def _commune(snapshot: data.Snapshot, insee: str) -> pd.Series:
    match = snapshot.communes[snapshot.communes["insee"] == insee.strip()]
    if match.empty:
        examples = ", ".join(snapshot.communes["insee"].head(3))
        raise InputError.single(
            "INSEE", f"unknown commune {insee!r}; expected one of the "
                     f"{len(snapshot.communes)} INSEE codes loaded (e.g. {examples})",
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


def _commitments(snapshot: data.Snapshot, insee: str) -> Table:
    own = snapshot.milestones[snapshot.milestones["commune_insee"] == insee].assign(
        scope="commune")
    shared = snapshot.breakdown[snapshot.breakdown["commune_insee"] == insee].assign(
        scope="global")
    rows = pd.concat([p for p in (own, shared) if len(p)] or [own], ignore_index=True)
    rows = rows.sort_values(["due_on", "operator_code", "milestone_id"], ignore_index=True)
    body: list[list[Any]] = []
    for r in rows.itertuples():
        body.append([
            f"{snapshot.operators.get(r.operator_code, r.operator_code)}", r.agreement_id,
            r.scope, common.SHORT_METRIC_FR.get(r.metric, r.metric),
            fr_value(r.target, common.value_kind(r.metric)).replace(" ", "\u00a0"), r.due_on,
            common.status_fr(r.status), common.clean(r.delay_days),
            common.clean(r.shortfall_premises)])
    return Table("Engagements", "Engagements des opérateurs et où ils en sont", [
        Column("operator", "Opérateur", "text", 1.1),
        Column("agreement_id", "Engagement", "text", 1.9),
        Column("scope", "Portée", "text", 0.2),
        Column("metric", "Objectif", "text", 2.2),
        Column("target", "Cible", "text", 0.1),
        Column("due_on", "Échéance", "date", 1.0),
        Column("status", "Situation", "text", 1.2),
        Column("delay_days", "Retard (jours)", "int", 0.8),
        Column("shortfall_premises", "Locaux manquants", "int", 1.1),
    ], body, note="Portée « global » : engagement sur plusieurs communes, jugé sur l'ensemble ; "
                  "la ligne donne la situation de la commune, à titre indicatif.")


def build_from(snapshot: data.Snapshot, session: Session, insee: str) -> Document:
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
        ("Population", common.clean(commune["population"]), "int"),
        ("Locaux (logements et locaux professionnels)", common.clean(figures["premises"]), "int"),
        ("Locaux raccordables à la fibre", common.clean(figures["connectable"]), "int"),
        ("Part de locaux raccordables", share, "share"),
        ("Chiffres observés le", figures["observed_on"], "date"),
    ]
    if before is not None and share is not None:
        points = (share - before) * 100
        facts.append((f"Évolution depuis le {before_on:%d/%m/%Y}",
                      f"{points:+.1f} points".replace(".", ","), "text"))
    facts.append(("Situation des engagements",
                  common.status_fr(mine["status"] if mine is not None else None), "text"))
    if mine is not None and common.clean(mine["delay_days"]):
        facts.append(("Plus long retard (jours)", int(mine["delay_days"]), "int"))
    blocks: list = [Facts(facts, name="Commune"), _commitments(snapshot, insee)]
    sites = data.sites_5g(session, insee, as_of)
    if len(sites):
        blocks.append(Table("5G", "Sites 5G en service", [
            Column("operator", "Opérateur", "text", 2), Column("sites", "Sites", "int", 1)],
            [[snapshot.operators.get(r.operator_code, r.operator_name), int(r.sites)]
             for r in sites.itertuples()]))
    works = data.upcoming_works(session, insee, as_of)
    if len(works):
        blocks.append(Table("Travaux", "Travaux publics en cours ou à venir", [
            Column("title", "Chantier", "text", 3),
            Column("owner", "Maître d'ouvrage", "text", 1.5),
            Column("start_at", "Début", "date", 1), Column("end_at", "Fin", "date", 1)],
            [[r.title, common.clean(r.owner), _day(r.start_at), _day(r.end_at)]
             for r in works.head(MAX_WORKS).itertuples()]))
    statuses = dict(zip(snapshot.status["insee"], snapshot.status["status"], strict=True))
    blocks.append(Figure(charts.commune_panel(list(history["observed_on"]),
                                              list(history["share"]), snapshot.communes,
                                              statuses, insee),
                         "Couleurs de la carte : situation la plus défavorable des engagements "
                         "de chaque commune.", width_cm=17))
    values = [figures["batch_id"], figures["premises_batch_id"], *history["batch_id"],
              *history["premises_batch_id"], *sites["batch_id"], *works["batch_id"]]
    cited = {int(v) for v in values if common.clean(v) is not None}
    rows = pd.concat([snapshot.milestones[snapshot.milestones["commune_insee"] == insee],
                      snapshot.breakdown[snapshot.breakdown["commune_insee"] == insee]])
    batches, hashes = common.evidence(session, rows, cited)
    rid = report_id("commune-sheet", insee, as_of.isoformat(), *hashes)
    sources = "Sources (fichiers importés) : " + ", ".join(batches["file_name"])
    blocks.append(Paragraph(f"{sources}. Rapport {rid}, situation au {as_of:%d/%m/%Y}.",
                            "small"))
    warning = common.synthetic_warning(batches, list_files=False)
    if warning:
        blocks.insert(0, warning)
    name = commune["name"]
    return Document(
        "commune-sheet", f"{name} ({insee})",
        f"Fibre et engagements des opérateurs : situation au {as_of:%d/%m/%Y}", as_of, rid,
        [Section("En bref", blocks)], filename=f"commune-{insee}-{as_of.isoformat()}")


def build(session: Session, insee: str, as_of: dt.date) -> Document:
    """The one-page sheet of commune ``insee`` as of ``as_of``."""
    return build_from(data.snapshot(session, as_of), session, insee)
