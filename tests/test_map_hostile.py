"""The map page built from hostile data (issue 12, items 1 and 3), on both backends.

Every commune, works title/owner, operator name and site number of ``hostile_map_url`` is a
payload of ``tests/hostile.py``: the page must answer 200 with template syntax in the data,
never show what a template engine would have computed, carry the payloads as JSON text
(exactly as imported), and hold no markup of theirs outside that JSON, which cannot close
its ``<script>`` element.
"""

from __future__ import annotations

import json
import re

import pytest

from tests import hostile, hostile_map
from tests.web_login import sign_in
from webmap import create_app

CONFIG = re.compile(r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>',
                    re.S)
MARKUP = [p.text for p in hostile.MARKUP if "<" in p.text]


@pytest.fixture(scope="module")
def app(hostile_map_url):
    app = create_app({"DATABASE_URL": hostile_map_url, "TESTING": True, "PUBLIC_MODE": True,
                      "SECRET_KEY": "test"})
    yield app
    app.extensions["rollout_engine"].dispose()


def _client(app, role: str | None):
    client = app.test_client()
    if role is not None:
        sign_in(client, role)
    return client


def _texts(value) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


@pytest.mark.parametrize("role", [None, "planner"])
@pytest.mark.parametrize("path", ["/", "/?lang=en", "/?indicator=sites_5g"])
def test_map_page_carries_payloads_as_text_and_never_evaluates_them(app, role, path):
    client = _client(app, role)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for betrayal in hostile.betrayals():
        assert betrayal not in html
    found = CONFIG.findall(html)
    assert len(found) == 1, "the payloads never close the JSON's <script> element"
    raw = found[0]
    assert "<" not in raw and "&" not in raw  # written as \\u003c, \\u0026
    outside = html.replace(raw, "")
    for text in MARKUP:
        assert text not in outside
    # Seven asset scripts (VectorGrid for the national map included) and Folium's setup, the
    # map frame's script, the JSON and map.js: a payload adding a pair would make it 12.
    assert len(re.findall(r"<script\b", html)) == len(re.findall(r"</script>", html)) == 11
    config = json.loads(raw)
    names = {f["properties"]["insee"]: f["properties"]["name"]
             for f in config["communes"]["features"]}
    stored = {f["properties"]["insee"]: f["properties"]["name"]
              for f in client.get("/api/communes").get_json()["features"]}
    assert names == stored  # as the database holds them (the readers strip blanks)
    for payload in hostile.TEMPLATE + hostile.MARKUP:
        assert payload.text in names.values()
    # 40 connectable of 100 premises, in the page's language.
    share = "40.0%" if "lang=en" in path else "40,0 %"
    assert config["popups"][hostile_map.insee_of(0)][0][1] == share


def test_planner_map_carries_every_works_and_sites_payload_as_text(app):
    config = json.loads(CONFIG.search(_client(app, "planner").get("/").get_data(
        as_text=True)).group(1))
    texts = {hostile_map.squeezed(t) for t in _texts(config["overlays"])}
    entries = {hostile_map.squeezed(entry["name"]) for entry in config["overlays"]}
    for payload in hostile.PAYLOADS:
        if "\x00" in payload.text:
            continue  # sites and works files refuse NUL (tests/hostile_map.py)
        text = hostile_map.squeezed(payload.text)
        # GeoJSON and CSV works titles, CIFS "street — description", WZDx "road: description".
        assert text in texts
        assert f"{text}—{text}" in texts
        assert f"{text}:{text}" in texts
        assert hostile_map.squeezed(payload.text[:hostile_map.OWNER]) in texts
        assert hostile_map.squeezed(payload.text[:hostile_map.STATION_ID]) in texts
        operator = payload.text[:hostile_map.OPERATOR_NAME]
        assert hostile_map.squeezed(f"Sites radio — {operator}") in entries


@pytest.mark.parametrize("path", ["/communes", "/communes/59001", "/communes/59004",
                                  "/communes/59029", "/operators"])
def test_other_pages_answer_and_never_evaluate_payloads(app, path):
    response = _client(app, "planner").get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for betrayal in hostile.betrayals():
        assert betrayal not in html
    for text in MARKUP:
        assert text not in html
