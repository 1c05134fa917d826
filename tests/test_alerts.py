"""Alerts on SpatiaLite and PostGIS: transitions after an import, idempotence, early warnings.

Data: tests/alert_builders.py. Worked by hand:

1. Milestone 100 % due 2099-12-31. After the 2021 file: last 4 observations rise by 100 a
   quarter -> on_track (baseline, no alert). The flat 2022 file makes the last 4 observations
   400, 400, 400, 400: the trend is flat -> at_risk: exactly one alert on_track -> at_risk,
   latest value 400/1000 = 0.4 observed 2022-12-31 (before: 0.4 on 2021-12-31), triggered
   by the 2022 batch. A second `alerts run` finds the same status: no alert.
2. Milestone 60 % due 2023-03-31 with the slow 2022 file, run as of 2023-01-15 (75 days to
   due; windows 180 and 90 are both entered, only the smallest, 90, is announced):
   required ceil(0.6 x 1000) = 600, achieved 460 on 2022-12-31;
   needed = (600 - 460) / (90 days / 91.3125) = 142.04 -> 142.0 a quarter;
   recent: latest as of 2022-01-15 is 400 on 2021-12-31, so (460 - 400) / 365 days
   x 91.3125 = 15.01 -> 15.0 a quarter; projected at due = 460 + 60/365 x 90 = 474.8 -> 474;
   projected shortfall 600 - 474 = 126. The trend (20 a quarter) reaches 600 after the due
   date: at_risk. As of 2023-01-20: same window, no alert. As of 2023-03-05 (26 days): window
   30, one warning. As of 2023-04-05: value at due 0.46 < 0.6 -> missed, one alert
   at_risk -> missed with delay 5 days.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rollout.db import make_engine, session_scope
from rollout.models import ImportBatch
from rollout.models_alerts import Alert, AlertState
from tests.alert_builders import FAR, FLAT, SLOW, SOON, arcep_2022, load_2021, ok


def stored(url: str) -> tuple[list[Alert], list[AlertState], int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        states = list(session.scalars(select(AlertState)))
        last_batch = max(session.scalars(select(ImportBatch.id)))
    engine.dispose()
    return alerts, states, last_batch


def test_import_turning_a_milestone_at_risk_records_exactly_one_alert(db_url, tmp_path):
    load_2021(db_url, tmp_path, [FAR])
    alerts, states, _ = stored(db_url)
    assert alerts == []
    assert [s.status for s in states] == ["on_track"]

    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, FLAT)))
    alerts, states, batch_2022 = stored(db_url)
    assert [(a.kind, a.before_status, a.after_status) for a in alerts] == [
        ("at_risk", "on_track", "at_risk")]
    alert = alerts[0]
    assert alert.commune_insee == "59001" and alert.operator_code == "FRTE"
    assert alert.due_on == dt.date(2099, 12, 31)
    assert alert.trigger_batch_id == batch_2022
    assert alert.evidence["before"]["achieved_value"] == 0.4
    assert alert.evidence["before"]["achieved_on"] == "2021-12-31"
    assert alert.evidence["after"]["achieved_value"] == 0.4
    assert alert.evidence["after"]["achieved_on"] == "2022-12-31"
    assert alert.evidence["batches"]["achieved"] == batch_2022
    assert [s.status for s in states] == ["at_risk"]

    again = ok(db_url, "alerts", "run")
    assert "0 nouvelle(s) alerte(s)" in again.output
    assert len(stored(db_url)[0]) == 1


def test_early_warnings_then_missed_with_hand_worked_pace(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_ALERTS_AFTER_IMPORT", "0")
    load_2021(db_url, tmp_path, [SOON])
    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, SLOW)))
    assert stored(db_url)[0] == []

    ok(db_url, "alerts", "run", "--as-of", "2023-01-15")
    alerts = stored(db_url)[0]
    assert [(a.kind, a.warning_days, a.after_status) for a in alerts] == [
        ("early_warning", 90, "at_risk")]
    pace = alerts[0].evidence["after"]["pace"]
    assert pace == {
        "days_to_due": 75, "projected_on": pace["projected_on"], "required": 600,
        "achieved": 460, "needed_per_quarter": 142.0, "recent_per_quarter": 15.0,
        "projected_at_due": 474, "projected_shortfall": 126, "unit": "premises",
    }
    assert pace["projected_on"] > "2023-03-31"

    ok(db_url, "alerts", "run", "--as-of", "2023-01-20")
    assert len(stored(db_url)[0]) == 1
    ok(db_url, "alerts", "run", "--as-of", "2023-03-05")
    alerts = stored(db_url)[0]
    assert [(a.kind, a.warning_days) for a in alerts[1:]] == [("early_warning", 30)]
    ok(db_url, "alerts", "run", "--as-of", "2023-04-05")
    alerts = stored(db_url)[0]
    assert [(a.kind, a.before_status, a.after_status) for a in alerts[2:]] == [
        ("missed", "at_risk", "missed")]
    assert alerts[2].evidence["after"]["delay_days"] == 5
    assert alerts[2].evidence["after"]["value_at_due"] == 0.46
