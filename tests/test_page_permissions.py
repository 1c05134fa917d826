"""A page carries only what the visitor may see (issue 12, item 2), on both backends.

Every page × role: anonymous in private mode, anonymous in public mode, viewer, planner,
legal and admin. What a page carries (the map's layers and their data, the commune page's
site and works counts, the milestone figures) is compared with what ``/api/...`` gives the
same visitor: a layer the API refuses (401/403) is absent from the page, one it serves with
features is present. Roles are visited from the most to the least privileged through one
process-wide cache, so a page cached for one permission set and served to another fails.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.web_login import sign_in
from webmap import create_app
from webmap.layers import LAYERS

ROLES = ["admin", "legal", "planner", "viewer", "public", "private"]
CONFIG = re.compile(r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>',
                    re.S)
INSEE = "59350"


@pytest.fixture
def apps(demo_url):
    made = {public: create_app({"DATABASE_URL": demo_url, "TESTING": True,
                                "PUBLIC_MODE": public, "SECRET_KEY": "test"})
            for public in (True, False)}
    yield made
    for app in made.values():
        app.extensions["rollout_engine"].dispose()


def _client(apps, role: str):
    client = apps[role != "private"].test_client()
    if role not in ("public", "private"):
        sign_in(client, role)
    return client


def _api(client, path: str):
    """The API's answer to this visitor: its JSON, or None when refused (401/403)."""
    response = client.get(path)
    if response.status_code in (401, 403):
        return None
    assert response.status_code == 200, path
    return response.get_json()


def _served_layers(client) -> set[str]:
    """The map layers the API gives this visitor with at least one feature."""
    return {name for name, item in LAYERS.items() if item.on_map
            and (answer := _api(client, f"/api/{name}")) is not None and answer["features"]}


def test_every_page_carries_what_the_api_gives_each_role(apps):
    seen = {}
    for role in ROLES:
        client = _client(apps, role)
        layers = _served_layers(client)
        assessments = _api(client, "/api/assessments")
        statuses = assessments is not None and assessments["available"]
        home = client.get("/")
        sheet = client.get(f"/communes/{INSEE}")
        if _api(client, "/api/communes") is None:  # anonymous in private mode
            assert layers == set() and assessments is None
            assert home.status_code == sheet.status_code == 302
            seen[role] = None
            continue
        assert home.status_code == sheet.status_code == 200
        config = json.loads(CONFIG.search(home.get_data(as_text=True)).group(1))
        assert {entry["layer"] for entry in config["overlays"]} == layers, role
        assert ("status" in config["indicators"]) == statuses
        assert any(label == "Statut" for label, _ in config["popups"][INSEE]) == statuses
        html = sheet.get_data(as_text=True)
        for name in ("sites", "works"):
            answer = _api(client, f"/api/{name}")
            count = re.search(rf'<dd id="{name}-count">(\d+)</dd>', html)
            if answer is None:
                assert count is None, (role, name)
            else:
                codes = [f["properties"]["insee"].split(", ") for f in answer["features"]]
                assert int(count.group(1)) == sum(INSEE in c for c in codes), (role, name)
        assert ("<dt>Statut</dt>" in html) == statuses
        seen[role] = layers
    # The demo has every layer; the roles see different sets of them.
    assert seen["admin"] == seen["legal"] == seen["planner"] == {
        "gaps", "gap_hexagons", "sites", "works"}
    assert seen["viewer"] == seen["public"] == {"sites"}
    assert seen["private"] is None
