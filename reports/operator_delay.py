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
from reports.i18n import Words
from reports.model import Column, Document, Facts, Figure, Paragraph, Section, Table, report_id
from rollout import assessment, compliance, queries
from rollout.rows import each_row

# L.36-11 CPCE sanction caps quoted in FORMATS.md §4.
CAP_PER_DWELLING = 1_500
CAP_PER_BUSINESS = 5_000
CAP_PER_PM_AREA = 450_000
DEFAULTED = ("missed", "met_late")
WORST_COMMUNES = 4
PANELS_PER_FIGURE = 8


def operator_code(session: Session, code: str) -> str:
    """The stored code matching ``code`` (case-blind); InputError if no commitment names it."""
    known = sorted(set(compliance.agreements(session)["operator_code"]))
    match = [k for k in known if k.upper() == code.strip().upper()]
    if not match:
        raise InputError.single(
            "--operator", f"unknown operator code {code!r}; known: {', '.join(known) or 'none'}",
            code="unknown_operator")
    return match[0]


def _scope(row: Any, names: dict[str, str], tr: Words) -> str:
    if row.commune_insee is None:
        return tr("ensemble du périmètre ({n} communes)", n=row.communes_total)
    return f"{names.get(row.commune_insee, row.commune_insee)} ({row.commune_insee})"


def _delay_nature(row: Any, as_of: dt.date, tr: Words) -> str | None:
    if row.status == "missed":
        return tr("retard en cours : jalon toujours manqué au {day}", day=tr.date(as_of))
    if row.status == "met_late":
        if row.delay_is_upper_bound:
            return tr("borne supérieure : cible atteinte entre deux observations trimestrielles")
        return tr("exact")
    return None


def _exposure(shortfall: Any, tr: Words) -> str:
    low, high = shortfall * CAP_PER_DWELLING, shortfall * CAP_PER_BUSINESS
    return (tr("indicatif : de {low} à {high}", low=tr.value(low, "euros"),
               high=tr.value(high, "euros")) if shortfall else "–")


def _milestone_facts(row: Any, agreements: pd.DataFrame, names: dict, as_of: dt.date,
                     tr: Words) -> Facts:
    kind = common.value_kind(row.metric)
    agreement = agreements.loc[row.agreement_id]
    rows: list[tuple[str, Any, str]] = [
        (tr("Engagement"), f"{row.agreement_id} — {agreement['name']}", "text"),
        (tr("Portée"), _scope(row, names, tr), "text"),
        (tr("Indicateur"), tr.metric(row.metric), "text"),
        (tr("Cible"), row.target, kind),
        (tr("Échéance"), row.due_on, "date"),
        (tr("Statut"), tr.status(row.status), "text"),
    ]
    if row.reason:
        rows.append((tr("Motif"), tr.label(common.REASON_FR, row.reason, row.reason), "text"))
    rows += [
        (tr("Valeur à l'échéance"), common.clean(row.value_at_due), kind),
        (tr("Observée le"), row.observed_on, "date"),
        (tr("Retard (jours)"), common.clean(row.delay_days), "int"),
    ]
    nature = _delay_nature(row, as_of, tr)
    if nature:
        rows.append((tr("Nature du retard"), nature, "text"))
    rows += [
        (tr("Locaux manquants"), common.clean(row.shortfall_premises), "int"),
        (tr("Valeur au {day} (dernière observation)", day=tr.date(as_of)),
         common.clean(row.achieved_value), kind),
        (tr("Dernière observation le"), row.achieved_on, "date"),
        (tr("Dénominateur (locaux)"), common.clean(row.denominator_premises), "int"),
        (tr("Millésime du dénominateur"), row.denominator_as_of, "date"),
        (tr("Méthode du dénominateur"), tr.label(common.METHOD_FR, row.denominator_method),
         "text"),
        (tr("Série utilisée"), tr.label(common.SERIES_FR, row.series), "text"),
    ]
    if not pd.isna(row.rad_cap):
        rows += [(tr("Plafond de RAD"), row.rad_cap, "share"),
                 (tr("Part de RAD"), common.clean(row.rad_share), "share"),
                 (tr("Plafond de RAD dépassé"), bool(row.rad_cap_breached), "flag"),
                 (tr("Locaux RAD au-delà du plafond"), common.clean(row.rad_excess_premises),
                  "int")]
    if row.commune_insee is None:
        rows.append((tr("Communes atteignant la cible"),
                     tr("{met} sur {total}", met=row.communes_met, total=row.communes_total),
                     "text"))
    if row.due_on > as_of:
        rows.append((tr("Date projetée"), row.projected_on, "date"))
    if row.status == "missed":
        rows.append((tr("Exposition (plafonds L. 36-11)"), _exposure(row.shortfall_premises, tr),
                     "text"))
    if row.over_100:
        rows.append((tr("Taux supérieur à 100 %"), tr("oui : décompte de locaux sous-estimé"),
                     "text"))
    return Facts(rows, name=tr("Jalon {id}", id=row.milestone_id))


def _commune_rows(frame: pd.DataFrame, names: dict, tr: Words) -> list[list[Any]]:
    ordered = frame.assign(
        _rank=frame["status"].map(common.status_rank),
        _name=frame["commune_insee"].map(names),
        _short=-frame["shortfall_premises"].fillna(0).astype(float),
    ).sort_values(["_rank", "_short", "_name", "commune_insee"])
    return [
        [r.milestone_id, names.get(r.commune_insee, r.commune_insee), r.commune_insee,
         common.clean(r.value_at_due), r.observed_on, tr.status(r.status),
         common.clean(r.delay_days), bool(r.delay_is_upper_bound),
         common.clean(r.shortfall_premises), common.clean(r.achieved_value),
         common.clean(r.denominator_premises)]
        for r in each_row(ordered)
    ]


def _commune_table(name: str, title: str, frame: pd.DataFrame, names: dict, kind: str,
                   tr: Words) -> Table:
    return Table(name, title, [
        Column("milestone_id", tr("Jalon"), "int", 1.0),
        Column("commune_name", tr("Commune"), "text", 3.5),
        Column("commune_insee", "INSEE", "text", 1.1),
        Column("value_at_due", tr("Valeur à l'échéance"), kind, 1.4),
        Column("observed_on", tr("Observée le"), "date", 1.5),
        Column("status", tr("Statut"), "text", 1.9),
        Column("delay_days", tr("Retard (jours)"), "int", 1.2),
        Column("delay_is_upper_bound", tr("Borne sup."), "flag", 1.0),
        Column("shortfall_premises", tr("Locaux manquants"), "int", 1.5),
        Column("achieved_value", tr("Valeur actuelle"), kind, 1.3),
        Column("denominator_premises", tr("Locaux"), "int", 1.3),
    ], _commune_rows(frame, names, tr))


def _milestone_sections(own, breakdown, agreements, names, as_of, tr: Words) -> list[Section]:
    sections = []
    for row in each_row(own[own["commune_insee"].isna()]):
        parts = breakdown[breakdown["milestone_id"] == row.milestone_id]
        blocks: list = [_milestone_facts(row, agreements, names, as_of, tr)]
        if len(parts):
            blocks.append(_commune_table(
                tr("J{id} par commune", id=row.milestone_id),
                tr("Détail par commune (indicateurs ; le critère porte sur le périmètre)"),
                parts, names, common.value_kind(row.metric), tr))
        sections.append(Section(tr("Jalon {id} — {agreement}, échéance {due}",
                                   id=row.milestone_id, agreement=row.agreement_id,
                                   due=tr.date(row.due_on)), blocks, new_page=True))
    per_commune = own[own["commune_insee"].notna()]
    keys = ["agreement_id", "metric", "due_on", "target"]
    for (agreement_id, metric, due_on, target), group in per_commune.groupby(keys, sort=True):
        counts = group["status"].map(tr.status).value_counts().sort_index()
        ids = group["milestone_id"]
        kind = common.value_kind(metric)
        facts = Facts([
            (tr("Engagement"), f"{agreement_id} — {agreements.loc[agreement_id, 'name']}",
             "text"),
            (tr("Portée"), tr("un jalon par commune ({n} communes)", n=len(group)), "text"),
            (tr("Indicateur"), tr.metric(metric), "text"),
            (tr("Cible"), target, kind),
            (tr("Échéance"), due_on, "date"),
            *((tr("Jalons au statut « {label} »", label=label), int(n), "int")
              for label, n in counts.items()),
            (tr("Locaux manquants (jalons manqués)"),
             int(group.loc[group["status"] == "missed", "shortfall_premises"].sum()), "int"),
        ], name=tr("Jalons {first}-{last}", first=ids.min(), last=ids.max()))
        sections.append(Section(
            tr("Jalons {first} à {last} — {agreement}, échéance {due}", first=ids.min(),
               last=ids.max(), agreement=agreement_id, due=tr.date(due_on)),
            [facts, _commune_table(tr("J{first}-{last} communes", first=ids.min(),
                                      last=ids.max()),
                                   tr("Un jalon par commune"), group, names, kind, tr)],
            new_page=True))
    return sections


def _summary(own, concerned, names, as_of, tr: Words) -> Section:
    status = own["status"]
    late = own[status.isin(DEFAULTED)].sort_values(["delay_days", "milestone_id"],
                                                   ascending=[False, True])
    total_short = int(own.loc[status == "missed", "shortfall_premises"].sum())
    rows: list[tuple[str, Any, str]] = [(tr("Jalons évalués"), len(own), "int")]
    rows += [(tr("Jalons au statut « {label} »", label=tr.status(s)), int((status == s).sum()),
              "int") for s in assessment.STATUS_ORDER]
    rows.append((tr("Locaux manquants, somme des jalons manqués"), total_short, "int"))
    if len(late):
        worst = late.iloc[0]
        rows += [(tr("Retard le plus long (jours)"), int(worst["delay_days"]), "int"),
                 (tr("Jalon au retard le plus long"),
                  tr("n° {id} ({agreement}, {scope}, échéance {due})", id=worst["milestone_id"],
                     agreement=worst["agreement_id"], scope=_scope(worst, names, tr),
                     due=tr.date(worst["due_on"])), "text")]
    rows += [
        (tr("Communes concernées (jalon manqué ou atteint en retard)"), len(concerned), "int"),
        (tr("Exposition indicative, minimum (1 500 € par local)"),
         total_short * CAP_PER_DWELLING, "euros"),
        (tr("Exposition indicative, maximum (5 000 € par local)"),
         total_short * CAP_PER_BUSINESS, "euros"),
    ]
    note = Paragraph(tr(
        "Exposition INDICATIVE, pas un montant de sanction : l'article L. 36-11 du code des "
        "postes et des communications électroniques plafonne la sanction à 1 500 € par logement, "
        "5 000 € par local à usage professionnel, 450 000 € par zone arrière de point de "
        "mutualisation incomplète, ou 3 % du chiffre d'affaires. La répartition logements / "
        "locaux professionnels des locaux manquants n'est pas connue : la fourchette va de tous "
        "logements à tous locaux professionnels. Les plafonds par zone de point de mutualisation "
        "et en chiffre d'affaires ne sont pas calculés (données non chargées). Un même local "
        "peut manquer à plusieurs jalons : la somme peut compter plusieurs fois les mêmes "
        "locaux."), "small")
    table = Table(tr("Communes concernées"), tr("Communes concernées"), [
        Column("commune_name", tr("Commune"), "text", 2.6),
        Column("commune_insee", "INSEE", "text", 0.8),
        Column("status", tr("Statut le plus défavorable"), "text", 1.6),
        Column("delay_days", tr("Plus long retard (j)"), "int", 1.1),
        Column("milestones", tr("Jalons évalués"), "int", 0.9),
    ], [[names.get(r.insee, r.insee), r.insee, tr.status(r.status),
         common.clean(r.delay_days), int(r.milestones)] for r in each_row(concerned)])
    return Section(tr("Synthèse"), [Facts(rows, name=tr("Synthèse")), note, table],
                   new_page=True)


def _charts(session, own, breakdown, concerned, names, as_of, communes, tr: Words) -> Section:
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
    for row in [*each_row(perimeter), *each_row(worst)]:
        line = points[(points["milestone_id"] == row.milestone_id)
                      & (points["commune_insee"].isna() if row.commune_insee is None
                         else points["commune_insee"] == row.commune_insee)]
        where = (tr("Périmètre {agreement}", agreement=row.agreement_id)
                 if row.commune_insee is None
                 else names.get(row.commune_insee, row.commune_insee))
        milestone = targets.loc[row.milestone_id]
        if line.empty:
            continue
        panels.append(charts.Panel(
            tr("{where} — jalon {id}", where=where, id=row.milestone_id)
            + f"\n{tr.metric(row.metric)}",
            list(line["achieved_on"]), list(line["achieved_value"]),
            [(milestone["due_on"], milestone["target"])], as_of))
    # At most PANELS_PER_FIGURE panels a figure: a taller picture does not fit on a page
    # (an operator with many perimeter milestones stopped the PDF; issue 12's corpus).
    blocks: list = [
        Figure(charts.trajectories(panels[start:start + PANELS_PER_FIGURE], tr), tr(
            "Cible engagée (losange rouge, à l'échéance) et valeurs observées (en bleu) pour le "
            "périmètre et les {n} communes aux plus grands manques ; pointillé vertical : date "
            "de situation.", n=len(worst)))
        for start in range(0, len(panels), PANELS_PER_FIGURE)]
    status = dict(zip(concerned["insee"], concerned["status"], strict=True))
    blocks.append(Figure(charts.status_map(communes, status, tr), tr(
        "Communes selon le jalon le plus défavorable de l'opérateur (jalons de commune et "
        "indicateurs communaux des jalons de périmètre)."), width_cm=14))
    return Section(tr("Graphiques"), blocks, new_page=True)


def build(session: Session, code: str, as_of: dt.date, *, with_charts: bool = True,
          lang: str = "fr") -> Document:
    """The operator-delay report of ``code`` as of ``as_of`` (charts only when asked)."""
    tr = Words(lang)
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
    cover = [Facts([(tr("Opérateur"), f"{operator} ({code})", "text"),
                    *common.as_of_facts(as_of, rid, tr)], name=tr("Couverture"))]
    warning = common.synthetic_warning(batches, tr)
    if warning:
        cover.append(warning)
    cover.append(Table(tr("Engagements"), tr("Engagements de l'opérateur"), [
        Column("agreement_id", tr("Identifiant"), "text", 2.3),
        Column("name", tr("Intitulé"), "text", 2.5),
        Column("signed_on", tr("Signé le"), "date", 0.9),
        Column("source_document", tr("Acte source"), "text", 3.0),
        Column("milestones", tr("Jalons"), "int", 0.6),
    ], [[i, r["name"], r["signed_on"], r["source_document"],
         int((own["agreement_id"] == i).sum())] for i, r in agreements.iterrows()]))
    sections = [
        Section(tr("Rapport de retard"), cover),
        _summary(own, concerned, names, as_of, tr),
        *_milestone_sections(own, breakdown, agreements, names, as_of, tr),
        *([_charts(session, own, breakdown, per_commune, names, as_of, communes, tr)]
          if with_charts else []),
        Section(tr("Annexe : preuves"), [
            Paragraph(tr(
                "Chaque chiffre provient d'un lot d'import identifié par son fichier et son "
                "empreinte sha256. Le tableau suivant donne, pour chaque jalon, le lot de la "
                "valeur à l'échéance, de la dernière valeur, de l'atteinte de la cible et du "
                "dénominateur ; le fichier CSV et le classeur XLSX donnent ces lots pour chaque "
                "ligne jalon × commune.")),
            *([warning] if warning else []),
            common.batches_table(batches, tr),
            _evidence_table(own, batches, tr),
        ], new_page=True),
        common.method_section(everything, tr, [csv_columns.table(tr)]),
    ]
    return Document(
        "operator-delay", tr("Rapport de retard — {operator} ({code})", operator=operator,
                             code=code),
        tr("Engagements de déploiement FttH : situation au {day}", day=tr.date(as_of)), as_of,
        rid, sections, csv_table=csv_columns.rows_table(own, breakdown, names, batches, tr),
        filename=f"retard-{code}-{as_of.isoformat()}", lang=lang)


def _evidence_table(own: pd.DataFrame, batches: pd.DataFrame, tr: Words) -> Table:
    files = dict(zip(batches["batch_id"], batches["file_name"], strict=True))
    rows = [[r.milestone_id, r.agreement_id, r.commune_insee or tr("périmètre"),
             tr("{file}, ligne {row}", file=files.get(r.milestone_batch_id, "?"),
                row=r.milestone_source_row),
             common.clean(r.due_batch_id), common.clean(r.achieved_batch_id),
             common.clean(r.met_batch_id), common.clean(r.premises_batch_id)]
            for r in each_row(own)]
    return Table(tr("Preuves par jalon"),
                 tr("Lots cités par jalon (numéros du tableau des sources)"), [
        Column("milestone_id", tr("Jalon"), "int", 0.6),
        Column("agreement_id", tr("Engagement"), "text", 2.1),
        Column("commune_insee", tr("Commune"), "text", 0.8),
        Column("milestone_source", tr("Ligne de l'engagement"), "text", 2.4),
        Column("due_batch_id", tr("Lot valeur à l'échéance"), "int", 0.9),
        Column("achieved_batch_id", tr("Lot dernière valeur"), "int", 0.9),
        Column("met_batch_id", tr("Lot atteinte"), "int", 0.8),
        Column("premises_batch_id", tr("Lot dénominateur"), "int", 0.9),
    ], rows)
