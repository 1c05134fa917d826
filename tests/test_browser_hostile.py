"""The map of hostile data in headless Chromium: payloads stay text (issue 12, items 1 and 3).

Every commune name, works title/owner, operator name and site number is a payload of
``tests/hostile.py`` (``tests/hostile_map.py`` imports them). Anonymous in public mode, then
signed in as a planner (who also sees the works and gap layers), the test hovers communes,
opens every tooltip and popup, switches every overlay on in the layer control and types into
the search; then no payload element exists, no payload script ran, the page did not move,
nothing was requested elsewhere or from a report URL, the console stayed clean, and the
payloads are shown literally.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from rollout import accounts
from rollout.db import make_engine, session_scope
from tests import hostile, hostile_map
from tests.test_browser import recording_page, serving
from tests.web_login import PASSWORD
from webmap import create_app

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("hostile_map_url", ["spatialite"], indirect=True)]

# What a payload would have become had it been parsed as markup.
INJECTED = ('img, meta[http-equiv="refresh"], svg[onload], font, iframe, [onerror], [onload], '
            'a[href^="javascript:"], a[href*="evil.invalid"]')
OPEN_COMMUNES = """() => {
    const cfg = JSON.parse(document.getElementById('map-config').textContent);
    const map = window[cfg.map];
    const seen = [];
    map.eachLayer(shape => {
        const props = shape.feature && shape.feature.properties;
        if (!props || props.insee === undefined || !shape.getTooltip()) { return; }
        shape.openTooltip();
        const tip = shape.getTooltip().getElement().textContent;
        shape.closeTooltip();
        shape.openPopup();
        const popup = shape.getPopup().getElement().querySelector('.leaflet-popup-content');
        seen.push([props.name, tip, popup.querySelector('strong').textContent,
                   popup.querySelector('a').getAttribute('href')]);
        shape.closePopup();
    });
    return seen;
}"""
OPEN_OVERLAYS = """() => {
    const cfg = JSON.parse(document.getElementById('map-config').textContent);
    const map = window[cfg.map];
    const texts = [];
    map.eachLayer(group => {
        if (group.layerName === undefined) { return; }
        group.getLayers().forEach(leaf => {
            const shapes = leaf.getLayers ? leaf.getLayers() : [leaf];  // cluster: its GeoJSON
            shapes.forEach(shape => {
                const where = shape.getLatLng ? shape.getLatLng() : shape.getBounds().getCenter();
                const content = shape.getPopup().getContent();
                const popup = L.popup().setLatLng(where).setContent(content(shape));
                map.openPopup(popup);
                texts.push(popup.getElement().textContent);
                map.closePopup();
            });
        });
    });
    return texts;
}"""


@pytest.fixture
def hostile_server(hostile_map_url):
    engine = make_engine(hostile_map_url)
    with session_scope(engine) as session:
        if "browser-planner" not in set(accounts.list_users(session)["username"]):
            accounts.add_user(session, "browser-planner", PASSWORD, "planner")
    engine.dispose()
    app = create_app({"DATABASE_URL": hostile_map_url, "TESTING": True, "PUBLIC_MODE": True})
    with serving(app) as url:
        yield url
    app.extensions["rollout_engine"].dispose()


def _hover(page, index: int) -> str:
    """Move the mouse over commune ``index`` and return its tooltip's text."""
    lon, lat = hostile_map.centre(index)
    x, y = page.evaluate("""([lat, lon]) => {
        const cfg = JSON.parse(document.getElementById('map-config').textContent);
        const map = window[cfg.map];
        const p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", [lat, lon])
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip").last  # the one before may still be fading
    tooltip.wait_for()
    return tooltip.text_content()


def _exercise(page, planner: bool) -> None:
    """Everything a visitor can do on the map, checking that payloads stay text."""
    page.wait_for_selector("path[data-insee]")
    names = {f["properties"]["insee"]: f["properties"]["name"] for f in page.evaluate(
        "JSON.parse(document.getElementById('map-config').textContent).communes.features")}
    for payload in ("img_onerror", "meta_refresh", "jinja_expression"):
        index = hostile.PAYLOADS.index(hostile.by_name(payload))
        assert _hover(page, index) == names[hostile_map.insee_of(index)]
    seen = page.evaluate(OPEN_COMMUNES)
    assert len(seen) == len(hostile.PAYLOADS)
    for name, tip, title, link in seen:
        assert tip == title == name
        assert re.fullmatch(r"/communes/59\d{3}", link)
    for checkbox in page.locator(".leaflet-control-layers-overlays input").all():
        if not checkbox.is_checked():
            checkbox.check()
    control = hostile_map.squeezed(page.locator(".leaflet-control-layers").text_content())
    for payload in hostile.MARKUP + hostile.TEMPLATE:
        assert hostile_map.squeezed(payload.text[:hostile_map.OPERATOR_NAME]) in control
    popups = [hostile_map.squeezed(text) for text in page.evaluate(OPEN_OVERLAYS)]
    for payload in hostile.MARKUP + hostile.TEMPLATE:
        text = hostile_map.squeezed(payload.text)
        assert any(text[:hostile_map.STATION_ID] in p for p in popups)  # radio sites
        assert planner == any(f"{text}—{text}" in p for p in popups)  # CIFS works
    search = page.locator(".leaflet-control-search input")
    search.fill("")
    search.press_sequentially("<img", delay=20)
    tips = page.locator(".search-tooltip .search-tip")
    tips.first.wait_for()
    markup = {p.text for p in hostile.MARKUP}
    shown = set(tips.all_text_contents())
    assert shown and shown <= markup
    target = hostile.by_name("img_onerror").text
    page.locator(".search-tooltip .search-tip", has_text=target).first.click()
    popup = page.locator(".leaflet-popup-content strong")
    popup.wait_for()
    assert popup.text_content() == target


def _assert_untouched(page, start: str, problems, requested) -> None:
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 11 and page.locator("body").is_visible()
    assert page.url == start
    assert problems == []
    assert [u for u in requested if urlsplit(u).hostname != "127.0.0.1"
            and not u.startswith("data:")] == []
    reports = ("delay-report", "/sheet.", "/council.", "evil.invalid")
    assert [u for u in requested if any(r in u for r in reports)] == []


def test_hostile_names_stay_text_for_the_public_and_a_planner(hostile_server, artifacts_dir):
    with recording_page() as (page, problems, requested):
        navigations = []
        page.on("framenavigated", lambda frame: frame == page.main_frame
                and navigations.append(frame.url))
        start = hostile_server + "/"
        page.goto(start)
        _exercise(page, planner=False)
        page.screenshot(path=str(artifacts_dir / "map-hostile-public.png"))
        _assert_untouched(page, start, problems, requested)

        page.goto(hostile_server + "/login")
        page.fill("#username", "browser-planner")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert page.url == start
        _exercise(page, planner=True)
        page.screenshot(path=str(artifacts_dir / "map-hostile-planner.png"))
        _assert_untouched(page, start, problems, requested)
        assert navigations == [start, hostile_server + "/login", start]
