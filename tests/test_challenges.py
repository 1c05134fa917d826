"""Signalements on SpatiaLite and PostGIS: submission with the figure as shown, the workflow
and its audit trail, rate limits, bulk CSV (all or nothing), export and purge.

Data: tests/alert_builders.py — commune 59001 with 1 000 premises (best estimate T4 2021,
batch 2) and 400 connectable on 2021-12-31 (batch 2). Expected by hand: a premises_count
challenge shows "1000" as of 2021-12-31 from batch 2; connectable_count shows "400".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from rollout import challenges
from rollout.challenges_io import export_csv, export_frame, export_geojson
from rollout.db import make_engine, session_scope
from rollout.models import AuditEvent
from rollout.models_alerts import Challenge
from tests.alert_builders import FAR, cli, load_2021, ok
from tests.hostile import FORMULA_LEADS, PAYLOADS

NOW = dt.datetime(2026, 6, 1, 12, 0)


@pytest.fixture
def loaded(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_ALERTS_AFTER_IMPORT", "0")
    load_2021(db_url, tmp_path, [FAR])
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def submit(engine, now=NOW, **data):
    base = {"category": "premises_count", "commune_insee": "59001", "text": "faux"}
    with session_scope(engine) as session:
        challenge, token = challenges.submit(session, {**base, **data}, channel="web",
                                             address_hash="h1", now=now)
        return challenge.id, token


def test_submission_keeps_the_figure_as_shown_and_a_secret_token(loaded):
    cid, token = submit(loaded)
    other, _ = submit(loaded, category="connectable_count", operator_code="FRTE")
    with session_scope(loaded) as session:
        c = session.get(Challenge, cid)
        assert (c.shown_value, c.shown_as_of, c.shown_batch_id) == ("1000", dt.date(2021, 12, 31),
                                                                    2)
        assert session.get(Challenge, other).shown_value == "400"
        assert c.status == "received" and c.token_sha256 != token and len(token) >= 32
        assert challenges.by_token(session, token).id == cid
        altered = token[:-1] + ("y" if token.endswith("x") else "x")
        assert challenges.by_token(session, altered) is None
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("challenge_submitted") == 2


@pytest.mark.parametrize("data, field", [
    ({"category": "nope"}, "category"),
    ({"commune_insee": "99999"}, "commune_insee"),
    ({"commune_insee": ""}, "commune_insee"),
    ({"category": "building_missing"}, "target_ref"),
    ({"text": "  "}, "text"),
    ({"text": "x" * 10_001}, "text"),
    ({"text": "avant\x00après"}, "text"),
    ({"email": "a@b.fr"}, "email_consent"),
    ({"email": "<script>@x"}, "email"),
    ({"lat": "91"}, "lat"),
])
def test_bad_submissions_name_their_field_and_store_nothing(loaded, data, field):
    with pytest.raises(challenges.ChallengeError) as caught:
        submit(loaded, **data)
    assert caught.value.field == field
    with session_scope(loaded) as session:
        assert session.scalar(select(func.count()).select_from(Challenge)) == 0


def test_workflow_steps_and_resolution_by_a_batch(loaded):
    cid, token = submit(loaded)
    with session_scope(loaded) as session:
        with pytest.raises(challenges.ChallengeError, match="received -> 'accepted'"):
            challenges.step(session, cid, "accepted", "trop tôt", "plan")
    with session_scope(loaded) as session:
        challenges.step(session, cid, "investigating", "vu", "plan", now=NOW)
        challenges.step(session, cid, "accepted", "l'INSEE le confirme", "plan", now=NOW)
    with session_scope(loaded) as session:
        with pytest.raises(challenges.ChallengeError, match="batch_id"):
            challenges.step(session, cid, "resolved", "corrigé", "plan", batch_id=999)
    with session_scope(loaded) as session:
        challenges.step(session, cid, "resolved", "corrigé", "admin", batch_id=2, now=NOW)
    with session_scope(loaded) as session:
        c = challenges.by_token(session, token)
        assert (c.status, c.resolution_batch_id, c.resolved_at) == ("resolved", 2, NOW)
        steps = [(s.from_status, s.to_status, s.author) for s in challenges.steps(session, cid)]
        assert steps == [(None, "received", None), ("received", "investigating", "plan"),
                         ("investigating", "accepted", "plan"), ("accepted", "resolved", "admin")]
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge_step")
                                 .order_by(AuditEvent.id)).all()
        assert [(e.details["from"], e.details["to"]) for e in events] == [
            ("received", "investigating"), ("investigating", "accepted"),
            ("accepted", "resolved")]


def test_rate_limit_per_address_and_per_day(loaded):
    for _ in range(3):
        submit(loaded)
    with session_scope(loaded) as session:
        challenges.check_rate(session, "h1", NOW, per_address=4)
        with pytest.raises(challenges.ChallengeError, match="this address"):
            challenges.check_rate(session, "h1", NOW, per_address=3)
        challenges.check_rate(session, "h2", NOW, per_address=3)
        with pytest.raises(challenges.ChallengeError, match="today"):
            challenges.check_rate(session, "h2", NOW, per_day=3)
        challenges.check_rate(session, "h1", NOW + dt.timedelta(days=1, seconds=1),
                              per_address=3)


def test_export_shows_hostile_text_literally_and_neutralises_formulas(loaded):
    for payload in PAYLOADS:
        if "\x00" not in payload.text:
            submit(loaded, text=payload.text, operator_code="FRTE")
    submit(loaded, text="autre opérateur", operator_code="SFR0")
    with session_scope(loaded) as session:
        frame = export_frame(session, "FRTE")
    rows = list(csv.DictReader(io.StringIO(export_csv(frame), newline="")))
    texts = [p.text for p in PAYLOADS if "\x00" not in p.text]
    assert len(rows) == len(texts)
    for row, text in zip(rows, texts, strict=True):
        expected = "'" + text if text.startswith(FORMULA_LEADS) else text
        assert row["text"] == expected
        assert row["category_fr"] == "nombre de locaux erroné"
        assert row["shown_value"] == "1000" and row["commune_insee"] == "59001"
    geo = json.loads(export_geojson(frame))
    assert [f["properties"]["text"] for f in geo["features"]] == texts
    assert all(f["geometry"] is None for f in geo["features"])


def test_bulk_csv_all_or_nothing_then_purge(loaded, db_url, tmp_path):
    template = tmp_path / "modele.csv"
    ok(db_url, "challenges", "import", "--template", str(template))
    assert template.read_text(encoding="utf-8").startswith("category,insee,building_id")
    bad = tmp_path / "bad.csv"
    bad.write_text("category,insee,building_id,text\npremises_count,59001,,ok\n"
                   "building_status,59001,,pas d'id\nsmells,59001,,x\n", encoding="utf-8")
    result = cli(db_url, "challenges", "import", str(bad))
    assert result.exit_code == 2
    assert "bad.csv:3: column 'building_id': value '': is empty" in result.output
    assert "bad.csv:4: column 'category': value 'smells'" in result.output
    with session_scope(loaded) as session:
        assert session.scalar(select(func.count()).select_from(Challenge)) == 0
    good = tmp_path / "good.csv"
    good.write_text("category;insee;building_id;text\npremises_count;59001;;a\n"
                    "building_status;59001;IMB/1;b\n", encoding="utf-8")
    assert "2 signalement(s)" in ok(db_url, "challenges", "import", str(good)).output

    old, _ = submit(loaded)
    with session_scope(loaded) as session:
        for status in ("investigating", "rejected", "resolved"):
            challenges.step(session, old, status, "doublon", "plan",
                            now=dt.datetime(2024, 1, 1))
    purged = ok(db_url, "challenges", "purge")
    assert "purge : 1 signalement(s)" in purged.output
    with session_scope(loaded) as session:
        assert session.get(Challenge, old) is None
        assert session.scalar(select(func.count()).select_from(Challenge)) == 2
