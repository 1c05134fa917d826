"""Council summary for elected officials: every commune ranked, the ones needing attention first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from reports import charts, common, data
from reports.i18n import Words
from reports.model import Column, Document, Facts, Figure, Paragraph, Section, Table, report_id
from rollout.assessment import STATUS_ORDER
from rollout.rows import each_row

ATTENTION = ("missed", "at_risk")


def ranking(snapshot: data.Snapshot) -> pd.DataFrame:
    """One row per commune: worst status first, then longest delay, largest shortfall, name."""
    rows = pd.concat([snapshot.milestones[snapshot.milestones["commune_insee"].notna()],
                      snapshot.breakdown], ignore_index=True)
    missed = rows[rows["status"] == "missed"].groupby("commune_insee").agg(
        missed=("milestone_id", "size"), shortfall=("shortfall_premises", "sum"))
    status = snapshot.status.set_index("insee")
    figures = snapshot.figures.set_index("insee")
    frame = pd.DataFrame({"insee": snapshot.communes["insee"], "name": snapshot.communes["name"],
                          "population": snapshot.communes["population"]})
    frame["status"] = frame["insee"].map(status["status"])
    frame["delay_days"] = frame["insee"].map(status["delay_days"])
    frame["missed"] = frame["insee"].map(missed["missed"]).fillna(0).astype(int)
    frame["shortfall"] = frame["insee"].map(missed["shortfall"]).fillna(0).astype(int)
    frame["share"] = frame["insee"].map(figures["connectable_share"])
    frame["observed_on"] = frame["insee"].map(figures["observed_on"])
    frame["_rank"] = frame["status"].map(common.status_rank)
    frame["_delay"] = -frame["delay_days"].astype("Float64").fillna(-1)
    frame = frame.sort_values(["_rank", "_delay", "shortfall", "name"],
                              ascending=[True, True, False, True], ignore_index=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame.drop(columns=["_rank", "_delay"])


def _rows(frame: pd.DataFrame, tr: Words) -> list[list[Any]]:
    return [[r.rank, r.name, r.insee, common.clean(r.population), tr.status(r.status),
             common.clean(r.delay_days), r.missed, r.shortfall, common.clean(r.share),
             r.observed_on] for r in each_row(frame)]


def _table(name: str, title: str, frame: pd.DataFrame, tr: Words) -> Table:
    return Table(name, title, [
        Column("rank", tr("Rang"), "int", 0.6),
        Column("name", tr("Commune"), "text", 3.2),
        Column("insee", "INSEE", "text", 0.9),
        Column("population", tr("Population"), "int", 1.1),
        Column("status", tr("Situation"), "text", 1.7),
        Column("delay_days", tr("Plus long retard (jours)"), "int", 1.1),
        Column("missed", tr("Objectifs manqués"), "int", 1.0),
        Column("shortfall", tr("Locaux manquants"), "int", 1.1),
        Column("share", tr("Part raccordable"), "share", 1.1),
        Column("observed_on", tr("Observée le"), "date", 1.2),
    ], _rows(frame, tr))


def build(session: Session, as_of: dt.date, *, with_charts: bool = True,
          lang: str = "fr") -> Document:
    """The council summary as of ``as_of`` (the map only when asked)."""
    tr = Words(lang)
    snapshot = data.snapshot(session, as_of)
    ranked = ranking(snapshot)
    counts = []
    for status in [*STATUS_ORDER, None]:
        chosen = ranked[ranked["status"].isna()] if status is None else ranked[
            ranked["status"] == status]
        counts.append([tr.status(status), len(chosen),
                       int(chosen["population"].fillna(0).sum())])
    attention = ranked[ranked["status"].isin(ATTENTION)]
    cited = {int(v) for column in ("batch_id", "premises_batch_id")
             for v in snapshot.figures[column].dropna()}
    batches, hashes = common.evidence(
        session, pd.concat([snapshot.milestones, snapshot.breakdown]), cited)
    rid = report_id("council", as_of.isoformat(), *hashes)
    facts = Facts([*common.as_of_facts(as_of, rid, tr),
                   (tr("Communes"), len(ranked), "int"),
                   (tr("Communes à suivre en priorité (objectif manqué ou à risque)"),
                    len(attention), "int")], name=tr("Synthèse"))
    summary: list = [facts]
    warning = common.synthetic_warning(batches, tr)
    if warning:
        summary.append(warning)
    summary += [
        Paragraph(tr(
            "Chaque commune prend la situation de son engagement le plus en difficulté : "
            "« manqué » (échéance passée, objectif non atteint), « à risque » (échéance à "
            "venir, rythme insuffisant), « atteint en retard », « données insuffisantes », "
            "« en bonne voie », « atteint ».")),
        Table(tr("Situations"), tr("Communes par situation"), [
            Column("status", tr("Situation"), "text", 2),
            Column("communes", tr("Communes"), "int", 1),
            Column("population", tr("Population"), "int", 1)], counts),
        _table(tr("Priorités"), tr("Communes à suivre en priorité"), attention, tr),
    ]
    statuses = dict(zip(snapshot.status["insee"], snapshot.status["status"], strict=True))
    sections = [
        Section(tr("Synthèse"), summary),
        *([Section(tr("Carte"), [Figure(charts.status_map(snapshot.communes, statuses, tr),
                                        tr("Situation des engagements par commune."),
                                        width_cm=15)],
                   new_page=True)] if with_charts else []),
        Section(tr("Classement de toutes les communes"), [
            _table(tr("Classement"), tr("Toutes les communes, les plus en difficulté d'abord"),
                   ranked, tr),
            Paragraph(tr("« Locaux manquants » additionne les objectifs manqués de la commune "
                         "(un même local peut compter pour plusieurs objectifs). « Part "
                         "raccordable » : tous opérateurs, dernière observation."), "small")],
            new_page=True),
        Section(tr("Sources"), [common.batches_table(batches, tr)], new_page=True),
        common.method_section(pd.concat([snapshot.milestones, snapshot.breakdown],
                                        ignore_index=True), tr),
    ]
    return Document("council", tr("Synthèse pour le conseil métropolitain"),
                    tr("Déploiement de la fibre dans les communes : situation au {day}",
                       day=tr.date(as_of)),
                    as_of, rid, sections, filename=f"conseil-{as_of.isoformat()}",
                    lang=lang)
