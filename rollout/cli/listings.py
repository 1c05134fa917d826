"""Read-only listings: communes with figures, radio sites, works, milestone status."""

from __future__ import annotations

import datetime as dt
import json

import click

from rollout.cli.common import FORMATS, KNOWN_AT, Context, fail_on_bad_input, parse_date_option
from rollout.rows import each_row


def _echo_csv(text: str) -> None:
    """CSV as written: click strips ANSI sequences from output that is not a terminal, which
    would change the data (``\\x1b[31m`` in a name); tables escape them instead."""
    click.echo(text, nl=False, color=True)


@click.command("communes")
@click.option("--as-of", "as_of", help="Latest figures on or before this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@fail_on_bad_input
def communes_cmd(obj: Context, as_of: str | None, fmt: str) -> None:
    """One row per commune with its latest FTTH figures."""
    from rollout.db import session_scope
    from rollout.figures import fmt_date, fmt_int, fmt_number, fmt_share
    from rollout.formatting import to_csv, to_json, to_table
    from rollout.indicators import latest_figures

    with session_scope(obj.reader) as session:
        figures = latest_figures(session, parse_date_option(as_of, "--as-of"))
    columns = ["insee", "name", "population", "area_km2", "premises", "premises_as_of",
               "premises_method", "connectable", "connectable_share", "observed_on",
               "over_100", "synthetic", "source_file"]
    if fmt == "json":
        click.echo(to_json(figures, columns))
    elif fmt == "csv":
        _echo_csv(to_csv(figures, columns))
    else:
        rows = [
            [r.insee, r.name, fmt_int(r.population), fmt_number(r.area_km2), fmt_int(r.premises),
             fmt_int(r.connectable), fmt_share(r.connectable_share), fmt_date(r.observed_on),
             "synthétique" if r.synthetic else "réel"]
            for r in each_row(figures)
        ]
        click.echo(to_table(
            rows,
            ["INSEE", "Commune", "Population", "Surface (km²)", "Locaux", "Raccordables",
             "Taux", "Au", "Donnée"],
            right={2, 3, 4, 5, 6},
        ))


SITE_COLUMNS = ["station_id", "operator", "operator_name", "insee", "lon", "lat", "systems",
                "bands", "has_5g", "in_service_on"]


@click.command("sites")
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@fail_on_bad_input
def sites_cmd(obj: Context, fmt: str) -> None:
    """Radio sites: one row per station and operator, with systems and 5G in-service date."""
    from rollout.db import session_scope
    from rollout.figures import fmt_date
    from rollout.formatting import to_csv, to_json, to_table
    from rollout.mobile import sites_frame

    with session_scope(obj.reader) as session:
        frame = sites_frame(session).rename(columns={"operator_code": "operator"})
    if fmt == "json":
        click.echo(to_json(frame, SITE_COLUMNS))
    elif fmt == "csv":
        joined = {c: frame[c].map(" | ".join) for c in ("systems", "bands")}
        _echo_csv(to_csv(frame.assign(**joined), SITE_COLUMNS))
    else:
        rows = [[r.station_id, r.operator_name or r.operator, r.insee, ", ".join(r.systems),
                 "oui" if r.has_5g else "non", fmt_date(r.in_service_on)]
                for r in each_row(frame)]
        click.echo(to_table(rows, ["Station", "Opérateur", "INSEE", "Systèmes", "5G",
                                   "Mise en service"]))


WORK_COLUMNS = ["id", "source_format", "title", "kind", "owner", "status", "start_at", "end_at",
                "insee", "outside_communes", "types_of_work", "geometry_type", "first_lon",
                "first_lat"]
WORK_STATUS_FR = {"planned": "prévu", "ongoing": "en cours", "ended": "terminé"}


@click.command("works")
@click.option("--dig-once", "dig", is_flag=True,
              help="Works near premises not yet connectable or areas without 5G.")
@click.option("--conflicts", "clash", is_flag=True,
              help="Works not ended that overlap in space and time.")
@click.option("--as-of", "as_of", help="Reference date YYYY-MM-DD (default: today).")
@click.option("--distance", default=50.0, show_default=True, type=click.FloatRange(0),
              help="Dig-once distance in metres.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]),
              default="table")
@click.pass_obj
@fail_on_bad_input
def works_cmd(obj: Context, dig: bool, clash: bool, as_of, distance: float, fmt: str) -> None:
    """Planned public works; dig-once opportunities or conflicts with the flags."""
    from rollout import mobile
    from rollout.db import session_scope
    from rollout.formatting import to_csv, to_json

    if dig and clash:
        raise click.UsageError("choose one of --dig-once and --conflicts")
    if fmt == "geojson" and (dig or clash):
        raise click.UsageError("--format geojson lists the works themselves, without flags")
    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    with session_scope(obj.reader) as session:
        if dig:
            frame = mobile.dig_once_frame(session, day, distance)
        elif clash:
            frame = mobile.conflicts_frame(session, day)
        else:
            frame = mobile.works_listing(mobile.works_frame(session), day)
    columns = WORK_COLUMNS if not (dig or clash) else list(frame.columns)
    if fmt == "json":
        click.echo(to_json(frame, columns))
    elif fmt == "geojson":
        click.echo(json.dumps(mobile.works_geojson(frame, columns), ensure_ascii=False))
    elif fmt == "csv":
        lists = {c: frame[c].map(" | ".join) for c in ("insee", "types_of_work") if c in columns}
        _echo_csv(to_csv(frame.assign(**lists), columns))
    else:
        click.echo(_works_table(frame, day, dig, clash))


def _works_table(frame, day: dt.date, dig: bool, clash: bool) -> str:
    from rollout.figures import fmt_date, fmt_int, fmt_number
    from rollout.formatting import to_table

    if clash:
        rows = [[r.source_id_a, r.source_id_b, fmt_date(r.overlap_start), fmt_date(r.overlap_end),
                 fmt_number(r.distance_m, 1)] for r in each_row(frame)]
        table = to_table(rows, ["Chantier A", "Chantier B", "Du", "Au", "Distance (m)"],
                         right={4})
        return f"Conflits au {fmt_date(day)} — {len(rows)} paire(s)\n{table}"
    if dig:
        rows = [["FttH" if r.target == "ftth" else "5G", str(r.rank), r.source_id, r.title[:50],
                 WORK_STATUS_FR.get(r.status, r.status), fmt_date(r.start_at), fmt_date(r.end_at),
                 fmt_int(round(r.premises))] for r in each_row(frame)]
        table = to_table(rows, ["Cible", "Rang", "Chantier", "Titre", "Statut", "Début", "Fin",
                                "Locaux (FttH) / habitants (5G)"], right={1, 7})
        return f"Opportunités « creuser une fois » au {fmt_date(day)}\n{table}"
    rows = [[r.id, r.source_format, r.title[:50], r.kind, fmt_date(r.start_at), fmt_date(r.end_at),
             ", ".join(r.insee) or "hors communes", WORK_STATUS_FR.get(r.status, r.status)]
            for r in each_row(frame)]
    table = to_table(rows, ["Chantier", "Format", "Titre", "Type", "Début", "Fin", "Communes",
                            "Statut"])
    return f"Travaux au {fmt_date(day)} — {len(rows)} chantier(s)\n{table}"


STATUS_COLUMNS = [
    "agreement_id", "operator_code", "commune_insee", "scope", "metric", "due_on", "target",
    "rad_cap", "status", "value_at_due", "observed_on", "achieved_value", "achieved_on",
    "delay_days", "delay_is_upper_bound", "shortfall_premises", "projected_on", "series",
    "denominator_premises", "denominator_as_of", "denominator_method", "rad_share",
    "rad_cap_breached", "over_100", "communes_met", "communes_total", "reason",
]


@click.command("status")
@click.option("--operator", help="Operator code (FRTE, SFR0, COAG, 20801…).")
@click.option("--commune", help="INSEE code: the commune's milestones and its share of perimeters.")
@click.option("--as-of", "as_of", help="Assessment date YYYY-MM-DD (default: today).")
@KNOWN_AT
@click.option("--format", "fmt", type=FORMATS, default="table")
@click.pass_obj
@fail_on_bad_input
def status_cmd(obj: Context, operator, commune, as_of, known_at, fmt: str) -> None:
    """Each milestone's status as of a date: met, met late, missed, at risk, on track, no data."""
    import pandas as pd

    from rollout import known_at as known
    from rollout import known_codes
    from rollout.compliance import assessments_with_breakdown
    from rollout.db import session_scope
    from rollout.formatting import json_chunks, to_csv

    day = parse_date_option(as_of, "--as-of") or dt.date.today()
    scope = known.scope(parse_date_option(known_at, "--known-at"))
    with scope, session_scope(obj.reader) as session:
        operator = known_codes.operator(session, operator) if operator else None
        commune = known_codes.commune(session, commune) if commune else None
        result, breakdown = assessments_with_breakdown(session, day)
        result["scope"] = result["commune_insee"].isna().map(
            {True: "perimeter", False: "commune"})
        if commune:
            breakdown["scope"] = "perimeter_commune"
            result = pd.concat([result[result["commune_insee"] == commune],
                                breakdown[breakdown["commune_insee"] == commune]],
                               ignore_index=True)
    if operator:
        result = result[result["operator_code"] == operator]
    columns = [c for c in STATUS_COLUMNS if c in result.columns]
    if fmt == "json":
        for chunk in json_chunks(result, columns):
            click.echo(chunk, nl=False)
        click.echo()
    elif fmt == "csv":
        _echo_csv(to_csv(result, columns))
    else:
        click.echo(_status_table(result, day))


def _status_table(result, day: dt.date) -> str:
    import pandas as pd

    from rollout.compliance import STATUS_LABELS_FR
    from rollout.figures import fmt_date, fmt_int, fmt_share
    from rollout.formatting import to_table

    def value(metric: str, number) -> str:
        return fmt_share(number) if metric.endswith("_share") else fmt_int(number)

    rows = [
        [r.agreement_id, r.operator_code,
         "périmètre" if pd.isna(r.commune_insee) else r.commune_insee, r.metric,
         fmt_date(r.due_on), value(r.metric, r.target), value(r.metric, r.value_at_due),
         fmt_date(r.observed_on), STATUS_LABELS_FR.get(r.status, r.status),
         fmt_int(r.delay_days), fmt_int(r.shortfall_premises), fmt_date(r.projected_on)]
        for r in each_row(result)
    ]
    table = to_table(
        rows,
        ["Engagement", "Opérateur", "Commune", "Indicateur", "Échéance", "Cible",
         "Valeur à l'échéance", "Observée le", "Statut", "Retard (j)", "Locaux manquants",
         "Date projetée"],
        right={5, 6, 9, 10},
    )
    return f"Situation au {fmt_date(day)} — {len(rows)} jalon(s)\n{table}"
