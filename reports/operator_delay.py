"""Operator-delay report for legal staff: each milestone, its delay, its shortfall, its evidence.

Every figure is a column of :func:`rollout.compliance.assessments` (the assessment engine);
this module only selects, orders and labels them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geodata.errors import InputError
from reports import charts, common, csv_columns, data
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
from rollout import assessment, compliance, queries

# L.36-11 CPCE sanction caps quoted in FORMATS.md §4.
CAP_PER_DWELLING = 1_500
CAP_PER_BUSINESS = 5_000
CAP_PER_PM_AREA = 450_000
DEFAULTED = ("missed", "met_late")
WORST_COMMUNES = 4


def operator_code(session: Session, code: str) -> str:
    """The stored code matching ``code`` (case-blind); InputError if no commitment names it."""
    known = sorted(set(compliance.agreements(session)["operator_code"]))
    match = [k for k in known if k.upper() == code.strip().upper()]
    if not match:
        raise InputError.single(
            "--operator", f"unknown operator code {code!r}; known: {', '.join(known) or 'none'}",
            code="unknown_operator")
    return match[0]


def _scope(row: Any, names: dict[str, str]) -> str:
    if row.commune_insee is None:
        return f"ensemble du périmètre ({row.communes_total} communes)"
    return f"{names.get(row.commune_insee, row.commune_insee)} ({row.commune_insee})"


def _delay_nature(row: Any, as_of: dt.date) -> str | None:
    if row.status == "missed":
        return f"retard en cours : jalon toujours manqué au {as_of:%d/%m/%Y}"
    if row.status == "met_late":
        if row.delay_is_upper_bound:
            return "borne supérieure : cible atteinte entre deux observations trimestrielles"
        return "exact"
    return None


def _exposure(shortfall: Any) -> str:
    low, high = shortfall * CAP_PER_DWELLING, shortfall * CAP_PER_BUSINESS
    return (f"indicatif : de {fr_value(low, 'euros')} à {fr_value(high, 'euros')}"
            if shortfall else "–")


def _milestone_facts(row: Any, agreements: pd.DataFrame, names: dict, as_of: dt.date) -> Facts:
    kind = common.value_kind(row.metric)
    agreement = agreements.loc[row.agreement_id]
    rows: list[tuple[str, Any, str]] = [
        ("Engagement", f"{row.agreement_id} — {agreement['name']}", "text"),
        ("Portée", _scope(row, names), "text"),
        ("Indicateur", common.metric_fr(row.metric), "text"),
        ("Cible", row.target, kind),
        ("Échéance", row.due_on, "date"),
        ("Statut", common.status_fr(row.status), "text"),
    ]
    if row.reason:
        rows.append(("Motif", common.REASON_FR.get(row.reason, row.reason), "text"))
    rows += [
        ("Valeur à l'échéance", common.clean(row.value_at_due), kind),
        ("Observée le", row.observed_on, "date"),
        ("Retard (jours)", common.clean(row.delay_days), "int"),
    ]
    nature = _delay_nature(row, as_of)
    if nature:
        rows.append(("Nature du retard", nature, "text"))
    rows += [
        ("Locaux manquants", common.clean(row.shortfall_premises), "int"),
        (f"Valeur au {as_of:%d/%m/%Y} (dernière observation)", common.clean(row.achieved_value),
         kind),
        ("Dernière observation le", row.achieved_on, "date"),
        ("Dénominateur (locaux)", common.clean(row.denominator_premises), "int"),
        ("Millésime du dénominateur", row.denominator_as_of, "date"),
        ("Méthode du dénominateur", common.METHOD_FR.get(row.denominator_method, "–"), "text"),
        ("Série utilisée", common.SERIES_FR.get(row.series, "–"), "text"),
    ]
    if not pd.isna(row.rad_cap):
        rows += [("Plafond de RAD", row.rad_cap, "share"),
                 ("Part de RAD", common.clean(row.rad_share), "share"),
                 ("Plafond de RAD dépassé", bool(row.rad_cap_breached), "flag"),
                 ("Locaux RAD au-delà du plafond", common.clean(row.rad_excess_premises), "int")]
    if row.commune_insee is None:
        rows.append(("Communes atteignant la cible", f"{row.communes_met} sur {row.communes_total}",
                     "text"))
    if row.due_on > as_of:
        rows.append(("Date projetée", row.projected_on, "date"))
    if row.status == "missed":
        rows.append(("Exposition (plafonds L. 36-11)", _exposure(row.shortfall_premises), "text"))
    if row.over_100:
        rows.append(("Taux supérieur à 100 %", "oui : décompte de locaux sous-estimé", "text"))
    return Facts(rows, name=f"Jalon {row.milestone_id}")


def _commune_rows(frame: pd.DataFrame, names: dict) -> list[list[Any]]:
    ordered = frame.assign(
        _rank=frame["status"].map(common.status_rank),
        _name=frame["commune_insee"].map(names),
        _short=-frame["shortfall_premises"].fillna(0).astype(float),
    ).sort_values(["_rank", "_short", "_name", "commune_insee"])
    return [
        [r.milestone_id, names.get(r.commune_insee, r.commune_insee), r.commune_insee,
         common.clean(r.value_at_due), r.observed_on, common.status_fr(r.status),
         common.clean(r.delay_days), bool(r.delay_is_upper_bound),
         common.clean(r.shortfall_premises), common.clean(r.achieved_value),
         common.clean(r.denominator_premises)]
        for r in ordered.itertuples()
    ]


def _commune_table(name: str, title: str, frame: pd.DataFrame, names: dict, kind: str) -> Table:
    return Table(name, title, [
        Column("milestone_id", "Jalon", "int", 1.0),
        Column("commune_name", "Commune", "text", 3.5),
        Column("commune_insee", "INSEE", "text", 1.1),
        Column("value_at_due", "Valeur à l'échéance", kind, 1.4),
        Column("observed_on", "Observée le", "date", 1.5),
        Column("status", "Statut", "text", 1.9),
        Column("delay_days", "Retard (jours)", "int", 1.2),
        Column("delay_is_upper_bound", "Borne sup.", "flag", 1.0),
        Column("shortfall_premises", "Locaux manquants", "int", 1.5),
        Column("achieved_value", "Valeur actuelle", kind, 1.3),
        Column("denominator_premises", "Locaux", "int", 1.3),
    ], _commune_rows(frame, names))


def _milestone_sections(own, breakdown, agreements, names, as_of) -> list[Section]:
    sections = []
    for row in own[own["commune_insee"].isna()].itertuples():
        parts = breakdown[breakdown["milestone_id"] == row.milestone_id]
        blocks: list = [_milestone_facts(row, agreements, names, as_of)]
        if len(parts):
            blocks.append(_commune_table(
                f"J{row.milestone_id} par commune",
                "Détail par commune (indicateurs ; le critère porte sur le périmètre)",
                parts, names, common.value_kind(row.metric)))
        sections.append(Section(f"Jalon {row.milestone_id} — {row.agreement_id}, échéance "
                                f"{row.due_on:%d/%m/%Y}", blocks, new_page=True))
    per_commune = own[own["commune_insee"].notna()]
    keys = ["agreement_id", "metric", "due_on", "target"]
    for (agreement_id, metric, due_on, target), group in per_commune.groupby(keys, sort=True):
        counts = group["status"].map(common.status_fr).value_counts().sort_index()
        ids = group["milestone_id"]
        kind = common.value_kind(metric)
        facts = Facts([
            ("Engagement", f"{agreement_id} — {agreements.loc[agreement_id, 'name']}", "text"),
            ("Portée", f"un jalon par commune ({len(group)} communes)", "text"),
            ("Indicateur", common.metric_fr(metric), "text"),
            ("Cible", target, kind),
            ("Échéance", due_on, "date"),
            *((f"Jalons au statut « {label} »", int(n), "int") for label, n in counts.items()),
            ("Locaux manquants (jalons manqués)",
             int(group.loc[group["status"] == "missed", "shortfall_premises"].sum()), "int"),
        ], name=f"Jalons {ids.min()}-{ids.max()}")
        sections.append(Section(
            f"Jalons {ids.min()} à {ids.max()} — {agreement_id}, échéance {due_on:%d/%m/%Y}",
            [facts, _commune_table(f"J{ids.min()}-{ids.max()} communes",
                                   "Un jalon par commune", group, names, kind)],
            new_page=True))
    return sections


def _summary(own, concerned, names, as_of) -> Section:
    status = own["status"]
    late = own[status.isin(DEFAULTED)].sort_values(["delay_days", "milestone_id"],
                                                   ascending=[False, True])
    total_short = int(own.loc[status == "missed", "shortfall_premises"].sum())
    rows: list[tuple[str, Any, str]] = [("Jalons évalués", len(own), "int")]
    rows += [(f"Jalons au statut « {common.status_fr(s)} »", int((status == s).sum()), "int")
             for s in assessment.STATUS_ORDER]
    rows.append(("Locaux manquants, somme des jalons manqués", total_short, "int"))
    if len(late):
        worst = late.iloc[0]
        rows += [("Retard le plus long (jours)", int(worst["delay_days"]), "int"),
                 ("Jalon au retard le plus long",
                  f"n° {worst['milestone_id']} ({worst['agreement_id']}, "
                  f"{_scope(worst, names)}, échéance {worst['due_on']:%d/%m/%Y})", "text")]
    rows += [
        ("Communes concernées (jalon manqué ou atteint en retard)", len(concerned), "int"),
        ("Exposition indicative, minimum (1 500 € par local)", total_short * CAP_PER_DWELLING,
         "euros"),
        ("Exposition indicative, maximum (5 000 € par local)", total_short * CAP_PER_BUSINESS,
         "euros"),
    ]
    note = Paragraph(
        "Exposition INDICATIVE, pas un montant de sanction : l'article L. 36-11 du code des "
        "postes et des communications électroniques plafonne la sanction à 1 500 € par logement, "
        "5 000 € par local à usage professionnel, 450 000 € par zone arrière de point de "
        "mutualisation incomplète, ou 3 % du chiffre d'affaires. La répartition logements / "
        "locaux professionnels des locaux manquants n'est pas connue : la fourchette va de tous "
        "logements à tous locaux professionnels. Les plafonds par zone de point de mutualisation "
        "et en chiffre d'affaires ne sont pas calculés (données non chargées). Un même local "
        "peut manquer à plusieurs jalons : la somme peut compter plusieurs fois les mêmes "
        "locaux.", "small")
    table = Table("Communes concernées", "Communes concernées", [
        Column("commune_name", "Commune", "text", 2.6),
        Column("commune_insee", "INSEE", "text", 0.8),
        Column("status", "Statut le plus défavorable", "text", 1.6),
        Column("delay_days", "Plus long retard (j)", "int", 1.1),
        Column("milestones", "Jalons évalués", "int", 0.9),
    ], [[names.get(r.insee, r.insee), r.insee, common.status_fr(r.status),
         common.clean(r.delay_days), int(r.milestones)] for r in concerned.itertuples()])
    return Section("Synthèse", [Facts(rows, name="Synthèse"), note, table], new_page=True)


def _charts(session, own, breakdown, concerned, names, as_of, communes) -> Section:
    # The engine's series are replayed for FTTH shares only (5G needs the coverage model).
    perimeter = own[own["commune_insee"].isna() & own["metric"].isin(common.FTTH_SHARE_METRICS)]
    rows = pd.concat([own[own["commune_insee"].notna()], breakdown], ignore_index=True)
    worst = rows[rows["status"] == "missed"].sort_values(
        ["shortfall_premises", "milestone_id"], ascending=[False, True]).drop_duplicates(
        "commune_insee").head(WORST_COMMUNES)
    worst = worst[worst["metric"].isin(common.FTTH_SHARE_METRICS)]
    ids = sorted(set(perimeter["milestone_id"]) | set(worst["milestone_id"]))
    points = data.trajectory(session, ids, as_of,
                             breakdown=bool(set(worst["milestone_id"])
                                            & set(perimeter["milestone_id"])))
    targets = own.set_index("milestone_id")
    panels = []
    for row in [*perimeter.itertuples(), *worst.itertuples()]:
        line = points[(points["milestone_id"] == row.milestone_id)
                      & (points["commune_insee"].isna() if row.commune_insee is None
                         else points["commune_insee"] == row.commune_insee)]
        where = (f"Périmètre {row.agreement_id}" if row.commune_insee is None
                 else names.get(row.commune_insee, row.commune_insee))
        milestone = targets.loc[row.milestone_id]
        if line.empty:
            continue
        panels.append(charts.Panel(
            f"{where} — jalon {row.milestone_id}\n{common.metric_fr(row.metric)}",
            list(line["achieved_on"]), list(line["achieved_value"]),
            [(milestone["due_on"], milestone["target"])], as_of))
    blocks: list = []
    if panels:
        blocks.append(Figure(charts.trajectories(panels), "Cible engagée (losange rouge, à "
                             "l'échéance) et valeurs observées (en bleu) pour le périmètre et "
                             f"les {len(worst)} communes aux plus grands manques ; pointillé "
                             "vertical : date de situation."))
    status = dict(zip(concerned["insee"], concerned["status"], strict=True))
    blocks.append(Figure(charts.status_map(communes, status), "Communes selon le jalon le plus "
                         "défavorable de l'opérateur (jalons de commune et indicateurs "
                         "communaux des jalons de périmètre).", width_cm=14))
    return Section("Graphiques", blocks, new_page=True)


def build(session: Session, code: str, as_of: dt.date, *, with_charts: bool = True) -> Document:
    """The operator-delay report of ``code`` as of ``as_of`` (charts only when asked)."""
    code = operator_code(session, code)
    operator = data.operator_names(session).get(code, code)
    own, breakdown = compliance.assessments_with_breakdown(session, as_of)
    own = own[own["operator_code"] == code].reset_index(drop=True)
    breakdown = breakdown[breakdown["operator_code"] == code].reset_index(drop=True)
    agreements = compliance.agreements(session)
    agreements = agreements[agreements["operator_code"] == code].set_index("agreement_id")
    communes = queries.communes(session, geometry=True)
    names = dict(zip(communes["insee"], communes["name"], strict=True))
    everything = pd.concat([own, breakdown], ignore_index=True)
    parts = [p for p in (own[own["commune_insee"].notna()], breakdown) if len(p)]
    per_commune = (assessment.commune_status(pd.concat(parts, ignore_index=True)) if parts
                   else pd.DataFrame(columns=["insee", "status", "delay_days", "milestones"]))
    concerned = per_commune[per_commune["status"].isin(DEFAULTED)].assign(
        _rank=lambda f: f["status"].map(common.status_rank)).sort_values(
        ["_rank", "delay_days", "insee"], ascending=[True, False, True])
    batches, hashes = common.evidence(session, everything, set(agreements["batch_id"]))
    rid = report_id("operator-delay", code, as_of.isoformat(), *hashes)
    cover = [Facts([("Opérateur", f"{operator} ({code})", "text"),
                    *common.as_of_facts(as_of, rid)], name="Couverture")]
    warning = common.synthetic_warning(batches)
    if warning:
        cover.append(warning)
    cover.append(Table("Engagements", "Engagements de l'opérateur", [
        Column("agreement_id", "Identifiant", "text", 2.3),
        Column("name", "Intitulé", "text", 2.5),
        Column("signed_on", "Signé le", "date", 0.9),
        Column("source_document", "Acte source", "text", 3.0),
        Column("milestones", "Jalons", "int", 0.6),
    ], [[i, r["name"], r["signed_on"], r["source_document"],
         int((own["agreement_id"] == i).sum())] for i, r in agreements.iterrows()]))
    sections = [
        Section("Rapport de retard", cover),
        _summary(own, concerned, names, as_of),
        *_milestone_sections(own, breakdown, agreements, names, as_of),
        *([_charts(session, own, breakdown, per_commune, names, as_of, communes)]
          if with_charts else []),
        Section("Annexe : preuves", [
            Paragraph("Chaque chiffre provient d'un lot d'import identifié par son fichier et "
                      "son empreinte sha256. Le tableau suivant donne, pour chaque jalon, le lot "
                      "de la valeur à l'échéance, de la dernière valeur, de l'atteinte de la "
                      "cible et du dénominateur ; le fichier CSV et le classeur XLSX donnent "
                      "ces lots pour chaque ligne jalon × commune."),
            *([warning] if warning else []),
            common.batches_table(batches),
            _evidence_table(own, batches),
        ], new_page=True),
        common.method_section(everything, [csv_columns.table()]),
    ]
    return Document(
        "operator-delay", f"Rapport de retard — {operator} ({code})",
        f"Engagements de déploiement FttH : situation au {as_of:%d/%m/%Y}", as_of, rid, sections,
        csv_table=csv_columns.rows_table(own, breakdown, names, batches),
        filename=f"retard-{code}-{as_of.isoformat()}")


def _evidence_table(own: pd.DataFrame, batches: pd.DataFrame) -> Table:
    files = dict(zip(batches["batch_id"], batches["file_name"], strict=True))
    rows = [[r.milestone_id, r.agreement_id, r.commune_insee or "périmètre",
             f"{files.get(r.milestone_batch_id, '?')}, ligne {r.milestone_source_row}",
             common.clean(r.due_batch_id), common.clean(r.achieved_batch_id),
             common.clean(r.met_batch_id), common.clean(r.premises_batch_id)]
            for r in own.itertuples()]
    return Table("Preuves par jalon", "Lots cités par jalon (numéros du tableau des sources)", [
        Column("milestone_id", "Jalon", "int", 0.6),
        Column("agreement_id", "Engagement", "text", 2.1),
        Column("commune_insee", "Commune", "text", 0.8),
        Column("milestone_source", "Ligne de l'engagement", "text", 2.4),
        Column("due_batch_id", "Lot valeur à l'échéance", "int", 0.9),
        Column("achieved_batch_id", "Lot dernière valeur", "int", 0.9),
        Column("met_batch_id", "Lot atteinte", "int", 0.8),
        Column("premises_batch_id", "Lot dénominateur", "int", 0.9),
    ], rows)
