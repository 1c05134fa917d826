"""Assessment of the stored commitments: database -> frames -> :mod:`rollout.assessment`.

The one place the CLI, the web app and the reports get milestone statuses from, so every
number agrees. Evidence columns (batch ids) are resolved to file names and sha256 here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout import assessment, columnar, known_at, queries
from rollout.columnar import DATE, FLOAT, INT, TEXT
from rollout.models import Agreement, AgreementCommune, Milestone

STATUS_LABELS_FR = {
    "met": "atteint",
    "met_late": "atteint en retard",
    "missed": "manqué",
    "at_risk": "à risque",
    "on_track": "en bonne voie",
    "no_data": "données insuffisantes",
}
METRIC_LABELS_FR = {
    "ftth_connectable_share": "taux de locaux raccordables",
    "ftth_connectable_or_rad_share": "taux de locaux raccordables ou raccordables à la demande",
    "ftth_connectable_premises": "nombre de locaux raccordables",
    "mobile_5g_sites": "nombre de sites 5G en service",
    "mobile_5g_premises_coverage_share": "taux de locaux couverts en 5G",
}


def milestones(session: Session) -> pd.DataFrame:
    table = columnar.fetch(
        session,
        known_at.restrict(
            select(Milestone.id, Milestone.agreement_id, Agreement.operator_code,
                   Milestone.insee, Milestone.metric, Milestone.target, Milestone.due_on,
                   Milestone.rad_cap, Milestone.batch_id, Milestone.source_row)
            .join(Agreement, Agreement.id == Milestone.agreement_id)
            .order_by(Milestone.agreement_id, Milestone.due_on, Milestone.insee, Milestone.id),
            Milestone.batch_id),
        {"milestone_id": INT, "agreement_id": TEXT, "operator_code": TEXT, "insee": TEXT,
         "metric": TEXT, "target": FLOAT, "due_on": DATE, "rad_cap": FLOAT,
         "milestone_batch_id": INT, "milestone_source_row": INT},
    )
    if not len(table):
        return pd.DataFrame(columns=table.column_names).astype({"rad_cap": float})
    frame = pd.DataFrame({name: columnar.inferred(table[name]) for name in table.column_names})
    frame["due_on"] = columnar.dates(*columnar.codes(table["due_on"]), slice(None))
    frame["rad_cap"] = frame["rad_cap"].astype(float)
    return frame


def agreements(session: Session) -> pd.DataFrame:
    rows = session.execute(known_at.restrict(
        select(Agreement.id, Agreement.name, Agreement.operator_code, Agreement.signed_on,
               Agreement.source_document, Agreement.batch_id)
        .order_by(Agreement.signed_on, Agreement.id), Agreement.batch_id)
    ).all()
    return pd.DataFrame(rows, columns=[
        "agreement_id", "name", "operator_code", "signed_on", "source_document", "batch_id",
    ])


def perimeters(session: Session) -> pd.DataFrame:
    table = columnar.fetch(
        session, known_at.restrict(select(AgreementCommune.agreement_id, AgreementCommune.insee),
                                   AgreementCommune.batch_id),
        {"agreement_id": TEXT, "insee": TEXT},
    )
    return pd.DataFrame({name: columnar.inferred(table[name]) for name in table.column_names})


def sites(session: Session) -> pd.DataFrame:
    """Current radio sites (latest import of each station, see rollout/mobile.py)."""
    from rollout.mobile import sites_frame

    return sites_frame(session)[
        ["station_id", "operator_code", "insee", "has_5g", "in_service_on", "batch_id"]
    ]


def _inputs(session: Session, as_of: dt.date) -> dict[str, pd.DataFrame]:
    data = {
        "milestones": milestones(session),
        "perimeters": perimeters(session),
        "progress": queries.progress(session, for_engine=True),
        "premises_counts": queries.premises_counts(session),
        "sites": sites(session),
        "coverage": None,
    }
    # The coverage model is only run when a milestone needs it (seconds for a metropolis);
    # its observation dates and denominators are documented in rollout/mobile.py.
    wanted = data["milestones"][
        data["milestones"]["metric"] == "mobile_5g_premises_coverage_share"
    ]
    if len(wanted):
        from rollout.mobile import coverage_observations

        perimeter = data["perimeters"]["agreement_id"].isin(
            set(wanted.loc[wanted["insee"].isna(), "agreement_id"])
        )
        needed = set(wanted["insee"].dropna()) | set(data["perimeters"].loc[perimeter, "insee"])
        found = coverage_observations(session, as_of, insee=needed)
        data["coverage"] = found if len(found) else None
    return data


def assessments(
    session: Session, as_of: dt.date, *, breakdown: bool = False
) -> pd.DataFrame:
    """Every stored milestone assessed as of ``as_of`` (perimeter rows, or their breakdown)."""
    return _evaluate(_inputs(session, as_of), as_of, breakdown)


def _evaluate(data: dict[str, pd.DataFrame], as_of: dt.date, breakdown: bool) -> pd.DataFrame:
    return _evaluate_both(data, as_of)[1 if breakdown else 0]


def _evaluate_both(
    data: dict[str, pd.DataFrame], as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Milestone rows and perimeter breakdown rows, from one run of the engine."""
    if data["milestones"].empty:
        empty = pd.DataFrame(columns=[
            "milestone_id", "agreement_id", "operator_code", "commune_insee", "metric",
            "due_on", "target", "status", "value_at_due", "observed_on", "delay_days",
            "shortfall_premises", "projected_on", "series",
        ])
        return empty, empty.copy()
    results = assessment.assess_with_breakdown(
        data["milestones"], data["perimeters"], data["progress"], data["premises_counts"],
        as_of, sites=data["sites"] if len(data["sites"]) else None, coverage=data["coverage"],
    )
    extra = data["milestones"][["milestone_id", "milestone_batch_id", "milestone_source_row"]]
    own, breakdown = (r.merge(extra, on="milestone_id", how="left") for r in results)
    return own, breakdown


def assessments_with_breakdown(
    session: Session, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`assessments` and its perimeter breakdown from one read and one engine run."""
    return _evaluate_both(_inputs(session, as_of), as_of)


def status_of(own: pd.DataFrame, breakdown: pd.DataFrame) -> pd.DataFrame:
    """Worst status and longest delay per commune from both kinds of assessment rows."""
    parts = [p for p in (own[own["commune_insee"].notna()], breakdown) if len(p)]
    if own.empty or not parts:
        return pd.DataFrame(columns=["insee", "status", "delay_days", "milestones"])
    return assessment.commune_status(pd.concat(parts, ignore_index=True))


def commune_status(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Worst status and longest delay per commune, perimeter milestones included."""
    return status_of(*assessments_with_breakdown(session, as_of))
