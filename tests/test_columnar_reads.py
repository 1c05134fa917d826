"""The columnar read models return exactly the frames the row-by-row ones did (both backends).

The reference below is the implementation before issue 15 (SQLAlchemy rows, a frame, then the
current revision by pandas), kept here only to compare with.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import insert, select

from rollout import compliance, queries
from rollout.db import session_scope
from rollout.models import (
    Agreement,
    AgreementCommune,
    Commune,
    FtthProgress,
    ImportBatch,
    Milestone,
    Operator,
    PremisesCount,
)

SQUARE = "MULTIPOLYGON(((3 50, 3.01 50, 3.01 50.01, 3 50.01, 3 50)))"


def _reference_current(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return (
        frame.sort_values("batch_id")
        .drop_duplicates(key, keep="last", ignore_index=True)
        .sort_values(key, ignore_index=True, na_position="first")
    )


def reference_progress(session, as_of=None) -> pd.DataFrame:
    query = select(
        FtthProgress.insee, FtthProgress.operator_code, FtthProgress.observed_on,
        FtthProgress.connectable, FtthProgress.rad, FtthProgress.premises_total,
        FtthProgress.source, FtthProgress.batch_id, FtthProgress.source_row,
    )
    if as_of is not None:
        query = query.where(FtthProgress.observed_on <= as_of)
    frame = pd.DataFrame(
        session.execute(query).all(),
        columns=["insee", "operator_code", "observed_on", "connectable", "rad",
                 "premises_total", "source", "batch_id", "source_row"],
    )
    frame = frame.astype({"connectable": "Int64", "rad": "Int64", "premises_total": "Int64"})
    return _reference_current(frame, ["insee", "operator_code", "observed_on"])


def reference_premises_counts(session) -> pd.DataFrame:
    frame = pd.DataFrame(
        session.execute(
            select(PremisesCount.insee, PremisesCount.as_of, PremisesCount.premises,
                   PremisesCount.method, PremisesCount.batch_id, PremisesCount.source_row)
        ).all(),
        columns=["insee", "as_of", "premises", "method", "batch_id", "source_row"],
    ).astype({"premises": "Int64"})
    return _reference_current(frame, ["insee", "as_of", "method"])


def reference_milestones(session) -> pd.DataFrame:
    rows = session.execute(
        select(Milestone.id, Milestone.agreement_id, Agreement.operator_code, Milestone.insee,
               Milestone.metric, Milestone.target, Milestone.due_on, Milestone.rad_cap,
               Milestone.batch_id, Milestone.source_row)
        .join(Agreement, Agreement.id == Milestone.agreement_id)
        .order_by(Milestone.agreement_id, Milestone.due_on, Milestone.insee, Milestone.id)
    ).all()
    frame = pd.DataFrame(rows, columns=[
        "milestone_id", "agreement_id", "operator_code", "insee", "metric", "target", "due_on",
        "rad_cap", "milestone_batch_id", "milestone_source_row",
    ])
    frame["rad_cap"] = frame["rad_cap"].astype(float)
    return frame


def reference_perimeters(session) -> pd.DataFrame:
    rows = session.execute(select(AgreementCommune.agreement_id, AgreementCommune.insee)).all()
    return pd.DataFrame(rows, columns=["agreement_id", "insee"])


def _same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns)
    assert new.dtypes.to_dict() == old.dtypes.to_dict()
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for column in old.columns:  # same Python types too (datetime.date, not Timestamp)
        assert [type(v) for v in new[column]] == [type(v) for v in old[column]]


def _fill(engine) -> None:
    """Rows that exercise every rule: revisions by a later batch, NULL operators (twice the
    same key in one batch), NULL counts and source rows, text that sorts unlike insertion."""
    when = dt.datetime(2026, 1, 1)
    with session_scope(engine) as session:
        session.execute(insert(ImportBatch), [
            {"id": b, "kind": "arcep", "file_name": f"f{b}.csv", "sha256": "0", "size_bytes": 0,
             "status": "loaded", "started_at": when} for b in (1, 2, 3)])
        session.execute(insert(Commune), [
            {"insee": i, "name": f"Commune {i}", "geom": WKTElement(SQUARE, srid=4326),
             "batch_id": 1} for i in ("59350", "2A004", "59009")])
        if session.get(Operator, "FRTE") is None:
            session.add(Operator(code="FRTE", name="Orange", kind="fixed"))
            session.flush()
        q1, q2, q3 = dt.date(2021, 3, 31), dt.date(2020, 12, 31), dt.date(2021, 6, 30)
        progress = [
            ("59350", "FRTE", q1, 10, 1, 100, "arcep", 1, 5),
            ("59350", "FRTE", q1, 12, None, None, "arcep", 3, None),  # revised by batch 3
            ("59350", None, q2, 7, None, None, "arcep", 2, 6),
            ("59350", None, q2, 8, 2, None, "ipe", 2, 7),  # same key, same batch
            ("2A004", "SFR0", q3, 0, 0, 50, "arcep_immeubles", 2, 8),
            ("2A004", "SFR0", q2, 3, None, 50, "arcep", 1, None),
            ("59009", "AXIO", q1, 4, 4, 40, "arcep", 3, 9),
            ("59009", "AXIO", q1, 5, 5, 40, "arcep", 1, 10),  # older than batch 3's
        ]
        names = ["insee", "operator_code", "observed_on", "connectable", "rad",
                 "premises_total", "source", "batch_id", "source_row"]
        session.execute(insert(FtthProgress), [dict(zip(names, r, strict=True)) for r in progress])
        session.execute(insert(PremisesCount), [
            {"insee": i, "as_of": d, "premises": p, "method": m, "batch_id": b, "source_row": r}
            for i, d, p, m, b, r in [
                ("59350", q2, 100, "insee", 1, 2), ("59350", q2, 110, "insee", 2, 3),
                ("59350", q2, 105, "best_estimate", 1, 4), ("2A004", q1, 50, "ipe", 3, None),
                ("59009", q3, 40, "insee", 2, 5)]])
        session.execute(insert(Agreement), [
            {"id": a, "name": a, "operator_code": "FRTE", "signed_on": dt.date(2018, 7, 26),
             "batch_id": 1} for a in ("B2", "A1")])
        session.execute(insert(AgreementCommune), [
            {"agreement_id": a, "insee": i, "batch_id": 1}
            for a, i in [("B2", "59350"), ("A1", "59009"), ("A1", "2A004")]])
        session.execute(insert(Milestone), [
            {"agreement_id": a, "insee": i, "metric": "ftth_connectable_share", "target": t,
             "due_on": d, "rad_cap": c, "batch_id": 1, "source_row": r}
            for a, i, t, d, c, r in [
                ("B2", None, 1, q3, 0.08, 2), ("A1", "59009", 0.5, q1, None, 3),
                ("A1", None, 1.0, q2, None, 4), ("A1", "2A004", 0.25, q1, None, 5)]])


@pytest.mark.parametrize("as_of", [None, dt.date(2021, 3, 31), dt.date(2000, 1, 1)])
def test_progress_is_the_row_by_row_frame(engine, as_of):
    _fill(engine)
    with session_scope(engine) as session:
        new, old = queries.progress(session, as_of=as_of), reference_progress(session, as_of)
    _same(new, old)
    if as_of is None:  # the hand-derived survivors, in key order (NULL operator first)
        assert list(zip(new["insee"], new["connectable"], strict=True)) == [
            ("2A004", 3), ("2A004", 0), ("59009", 4), ("59350", 8), ("59350", 12)]


def test_engine_progress_holds_the_same_values_coded(engine):
    _fill(engine)
    with session_scope(engine) as session:
        coded, text = queries.progress(session, for_engine=True), queries.progress(session)
    assert isinstance(coded["insee"].dtype, pd.CategoricalDtype)
    assert list(coded["insee"].cat.categories) == ["2A004", "59009", "59350"]
    assert coded["observed_on"].dtype.kind == "M"
    back = coded.assign(
        insee=coded["insee"].astype("str"),
        operator_code=coded["operator_code"].astype("str"),
        observed_on=[d.date() for d in coded["observed_on"]],
    )
    _same(back, text)


def test_other_read_models_are_the_row_by_row_frames(engine):
    _fill(engine)
    with session_scope(engine) as session:
        _same(queries.premises_counts(session), reference_premises_counts(session))
        _same(compliance.milestones(session), reference_milestones(session))
        _same(compliance.perimeters(session), reference_perimeters(session))
        assert list(compliance.milestones(session)["agreement_id"]) == ["A1"] * 3 + ["B2"]


def test_empty_database_reads_the_same_empty_frames(engine):
    with session_scope(engine) as session:
        _same(queries.progress(session), reference_progress(session))
        _same(queries.premises_counts(session), reference_premises_counts(session))
        _same(compliance.milestones(session), reference_milestones(session))
        _same(compliance.perimeters(session), reference_perimeters(session))


def test_demo_database_reads_and_assesses_the_same(demo_url):
    from rollout.db import make_engine

    engine = make_engine(demo_url)
    as_of = dt.date(2025, 6, 30)
    try:
        with session_scope(engine) as session:
            _same(queries.progress(session), reference_progress(session))
            _same(queries.progress(session, as_of=as_of), reference_progress(session, as_of))
            _same(queries.premises_counts(session), reference_premises_counts(session))
            _same(compliance.milestones(session), reference_milestones(session))
            _same(compliance.perimeters(session), reference_perimeters(session))
            new = compliance.assessments(session, as_of, breakdown=True)
            data = compliance._inputs(session, as_of)
            data["progress"] = reference_progress(session)
            old = compliance._evaluate(data, as_of, True)
    finally:
        engine.dispose()
    pd.testing.assert_frame_equal(new, old)
