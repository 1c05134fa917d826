"""The alerts' web side on both backends: Atom feed (filters, languages, public mode,
evidence by permission, hostile text as text) and the subscriptions page (CSRF, webhooks for
administrators only, one's own subscriptions only).

Data and the one expected alert (on_track -> at_risk, 59001, FRTE): tests/test_alerts.py §1;
the commune's name is a hostile payload here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.alert_builders import FAR, FLAT, arcep_2022, load_2021, ok
from tests.hostile import by_name
from tests.web_login import csrf_token, sign_in
from webmap import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = by_name("script").text + by_name("jinja_expression").text


@pytest.fixture
def alerted(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr("tests.alert_builders.write_communes", _hostile_communes)
    load_2021(db_url, tmp_path, [FAR])
    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, FLAT)))
    return db_url


def _hostile_communes(path, communes):
    from tests.builders import write_communes

    return write_communes(path, {k: (HOSTILE, ring) for k, (_, ring) in communes.items()})


def make_app(url: str, public: bool = False):
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test",
                       "PUBLIC_MODE": public})


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data).findall(f"{ATOM}entry")


def test_feed_filters_languages_and_evidence(alerted):
    app = make_app(alerted)
    client = app.test_client()
    assert client.get("/alerts.atom").status_code in (302, 401)
    sign_in(client, "viewer")
    response = client.get("/alerts.atom")
    assert response.headers["Cache-Control"] == "no-store"
    (entry,) = entries(response)
    title = entry.find(f"{ATOM}title").text
    assert title == (f"[rollout] échéance à risque — FRTE — {HOSTILE} (59001) — taux de locaux "
                     "raccordables (échéance 31/12/2099)")
    assert b"&lt;script&gt;" in response.data and b"62615533" not in response.data
    assert entry.find(f"{ATOM}link").get("href") == "http://localhost/communes/59001"
    assert "preuves" not in entry.find(f"{ATOM}content").text  # viewer: no evidence
    (english,) = entries(client.get("/alerts.atom?lang=en"))
    assert english.find(f"{ATOM}title").text.startswith("[rollout] milestone at risk — FRTE")
    assert entries(client.get("/alerts.atom?operator=SFR0")) == []
    assert len(entries(client.get("/alerts.atom?commune=59001&operator=FRTE"))) == 1
    assert client.get("/alerts.atom?commune=<x>").status_code == 400
    sign_in(client, "legal")
    (entry,) = entries(client.get("/alerts.atom?lang=fr"))
    assert "preuves : lots d'import : trigger=" in entry.find(f"{ATOM}content").text
    app.extensions["rollout_engine"].dispose()


def test_feed_in_public_mode(alerted):
    app = make_app(alerted, public=True)
    response = app.test_client().get("/alerts.atom")
    assert len(entries(response)) == 1
    assert "Cache-Control" not in response.headers
    app.extensions["rollout_engine"].dispose()


def test_subscriptions_page(alerted):
    app = make_app(alerted)
    client = app.test_client()
    assert client.get("/alerts/subscriptions").status_code == 302
    sign_in(client, "viewer")
    page = "/alerts/subscriptions"
    token = csrf_token(client, page)
    assert client.post(page, data={"channel": "email", "target": "v@mel.example",
                                   "language": "fr"}).status_code == 400  # no CSRF token
    added = client.post(page, data={"csrf_token": token, "channel": "email",
                                    "target": "v@mel.example", "commune": "59001",
                                    "kinds": ["missed", "at_risk"], "language": "en"})
    assert added.status_code == 200 and "v@mel.example" in added.get_data(as_text=True)
    webhook = client.post(page, data={"csrf_token": token, "channel": "webhook",
                                      "target": "http://127.0.0.1:9/x", "language": "fr"})
    assert webhook.status_code == 400  # viewers may not make the server POST anywhere
    bad = client.post(page, data={"csrf_token": token, "channel": "email",
                                  "target": HOSTILE, "language": "fr"})
    assert bad.status_code == 400
    assert "&lt;script&gt;" in bad.get_data(as_text=True)
    listed = ok(alerted, "alerts", "list", "--format", "json").output
    assert '"kinds": "at_risk,missed"' in listed and '"language": "en"' in listed

    sign_in(client, "admin")
    token = csrf_token(client, page)
    made = client.post(page, data={"csrf_token": token, "channel": "webhook",
                                   "target": "https://hooks.mel.example/r", "language": "fr"})
    assert made.status_code == 200 and 'id="webhook-secret"' in made.get_data(as_text=True)
    # The viewer's subscription (id 1) is not the admin's to delete.
    assert client.post("/alerts/subscriptions/1/delete",
                       data={"csrf_token": token}).status_code == 404
    assert client.post("/alerts/subscriptions/2/delete",
                       data={"csrf_token": token}).status_code == 302
    assert "hooks.mel.example" not in client.get(page).get_data(as_text=True)
    app.extensions["rollout_engine"].dispose()


def test_commune_and_operator_pages_show_the_early_warning(db_url, tmp_path, monkeypatch):
    """tests/test_alerts.py §2: as of 2023-01-15, 75 days to due, 142.0 needed a quarter
    against 15.0 recently, 126 premises short at the due date."""
    from tests.alert_builders import SLOW, SOON

    monkeypatch.setenv("ROLLOUT_ALERTS_AFTER_IMPORT", "0")
    load_2021(db_url, tmp_path, [SOON])
    ok(db_url, "import", "arcep", str(arcep_2022(tmp_path, SLOW)))
    ok(db_url, "alerts", "run", "--as-of", "2023-01-15", "--no-deliver")
    app = make_app(db_url)
    client = app.test_client()
    sign_in(client, "viewer")
    for page in ("/communes/59001?as_of=2023-01-15", "/operators/FRTE?as_of=2023-01-15"):
        html = client.get(page).get_data(as_text=True)
        assert 'id="early-warnings"' in html, page
        row = re.search(r'<tr class="early-warning">(.*?)</tr>', html, re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in row.split("</td>")[:-1]]
        assert cells[4:] == ["31/03/2023", "75", cells[6], "142,0", "15,0", "126",
                             "15/01/2023"], page
    sheet = client.get("/communes/59001/sheet.html?as_of=2023-01-15").get_data(as_text=True)
    assert "Échéance proche, en retard de rythme" in sheet and "Signalements en cours" in sheet
    assert re.search(r">\s*142\s*<", sheet) and re.search(r">\s*126\s*<", sheet)
    before = client.get("/communes/59001/sheet.html?as_of=2023-01-14").get_data(as_text=True)
    assert "Échéance proche, en retard de rythme" not in before  # evaluated a day later
    app.extensions["rollout_engine"].dispose()
