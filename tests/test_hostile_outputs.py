"""Every non-map output surface over the hostile database (issue 12), both backends, fr and en:
the API routes, every report in every format, /communes.csv, the HTML pages but the map, the
works feeds, the CLI listings in every format and the GeoPackage export.

Each output shows the payloads as literal text: no betrayal string (an evaluated template),
no element built from markup, no formula cell, no CSV cell a spreadsheet would evaluate, no raw
control character on a terminal. The map page and its browser tests are
``tests/test_browser_security.py``'s.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from reports import model as m
from reports import render_csv, render_html, render_pdf, render_xlsx
from reports.render_xlsx import cell_text
from rollout.db import make_engine, session_scope
from rollout.formatting import FORMULA_LEADS, csv_cell, visible
from tests import hostile
from tests import hostile_files as hf
from tests.hostile_checks import csv_rows, folded, html_seen, pdf_text, xlsx_cells
from tests.hostile_corpus import AGREEMENT_OPERATOR, KEPT, TEXTS, cli
from tests.web_login import sign_in
from webmap import create_app

AS_OF = "2026-06-01"
RAW_MARKUP = [p.text for p in hostile.MARKUP if "<" in p.text]
# What pdftotext gives back as typed: no control, bidi or zero-width character.
PRINTABLE = [t for t in KEPT if t.isprintable()]
# Communes whose sheet is rendered: one per kind of flaw a renderer could have.
SHEETS = [TEXTS.index(hostile.by_name(n).text) for n in
          ("reportlab_para", "mathtext_command", "script_close", "jinja_rce", "equals",
           "ansi_colour")]


def no_betrayal(text: str) -> None:
    for betrayal in hostile.betrayals():
        assert betrayal not in text


def html_ok(page: str, expected: list[str]) -> None:
    """Markup in data stays text: not raw in the page, shown as typed."""
    no_betrayal(page)
    for markup in RAW_MARKUP:
        assert markup not in page, markup
    seen = html_seen(page)
    assert not [a for _, a in seen.elements if "http-equiv" in a or any(k.startswith("on")
                                                                      for k in a)]
    assert not [a for t, a in seen.elements if t == "img" and a.get("src") in ("x", None)]
    for text in expected:
        assert text in seen.text or folded(text) in folded(seen.text), text


def xlsx_ok(payload: bytes, expected: list[str]) -> None:
    cells = xlsx_cells(payload)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    strings = {c.value for c in cells if isinstance(c.value, str)}
    no_betrayal("\n".join(strings))
    for text in expected:
        assert cell_text(text).replace("\r", "\n") in strings, text


def csv_ok(text: str, expected: list[str]) -> None:
    no_betrayal(text)
    rows = csv_rows(text)
    for cell in (c for row in rows for c in row):
        if cell.startswith(FORMULA_LEADS):
            float(cell)  # only a number may start with "-" or "+"
    cells = {c for row in rows for c in row}
    for value in expected:
        assert csv_cell(value) in cells, value


def pdf_ok(payload: bytes, expected: list[str]) -> None:
    """``expected`` printable texts are in the PDF (compared without whitespace: table cells
    wrap long names anywhere)."""
    text = pdf_text(payload)
    no_betrayal(text)
    bare = "".join(text.split())
    for value in expected:
        if value in PRINTABLE:
            assert "".join(value.split()) in bare, value


@pytest.fixture(scope="module")
def client(hostile_db):
    app = create_app({"DATABASE_URL": hostile_db.url, "TESTING": True, "SECRET_KEY": "t",
                      "WARM_CACHE": False})
    client = app.test_client()
    sign_in(client, "admin")
    yield client
    app.extensions["rollout_engine"].dispose()


def test_every_api_route(client) -> None:
    rules = [r.rule for r in client.application.url_map.iter_rules()
             if r.rule.startswith("/api/") and "GET" in r.methods]
    assert "/api/communes" in rules and "/api/works" in rules
    bodies = {}
    for rule in rules:
        path = rule.replace("<insee>", hf.insee(0))
        response = client.get(f"{path}?as_of={AS_OF}")
        assert response.status_code == 200, (path, response.status_code)
        bodies[rule] = response.get_json()
        no_betrayal(response.get_data(as_text=True))
    names = [f["properties"]["name"] for f in bodies["/api/communes"]["features"]]
    assert sorted(names) == sorted(KEPT)
    works = bodies["/api/works"]["features"]
    assert {t for t in KEPT} <= {f["properties"]["title"] for f in works}
    sites = {f["properties"].get("operator_name") for f in bodies["/api/sites"]["features"]}
    assert set(KEPT) <= sites


@pytest.fixture(scope="module")
def session(hostile_db):
    engine = make_engine(hostile_db.url)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_operator_delay_report_in_every_format(session, lang: str) -> None:
    """One document per language rendered to every format (building it is the slow part;
    the web route is the same call, checked by test_report_routes)."""
    from reports import operator_delay

    day = dt.date.fromisoformat(AS_OF)
    charted = operator_delay.build(session, AGREEMENT_OPERATOR, day, lang=lang)
    plain = operator_delay.build(session, AGREEMENT_OPERATOR, day, with_charts=False, lang=lang)
    figures = [b for s in charted.sections for b in s.blocks if isinstance(b, m.Figure)]
    assert len(figures) == 3  # 9 trajectory panels in two figures (at most 8 a page), the map
    pdf_ok(render_pdf.render(charted), KEPT)
    html_ok(render_html.render(charted).decode("utf-8"), KEPT)
    xlsx_ok(render_xlsx.render(plain), KEPT)
    csv_ok(render_csv.render(plain).decode("utf-8"), KEPT)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_council_report(client, lang: str) -> None:
    pdf = client.get(f"/council.pdf?as_of={AS_OF}&lang={lang}")
    xlsx = client.get(f"/council.xlsx?as_of={AS_OF}&lang={lang}")
    assert (pdf.status_code, xlsx.status_code) == (200, 200)
    pdf_ok(pdf.data, KEPT)
    xlsx_ok(xlsx.data, KEPT)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_commune_sheets(session, lang: str) -> None:
    from reports import commune_sheet

    for i in SHEETS if lang == "fr" else SHEETS[:2]:
        document = commune_sheet.build(session, hf.insee(i), dt.date.fromisoformat(AS_OF), lang)
        pdf_ok(render_pdf.render(document, compact=True), [KEPT[i]])
        html_ok(render_html.render(document).decode("utf-8"), [KEPT[i]])


def test_report_routes(client) -> None:
    """The web downloads of the same reports answer with the same checks."""
    delay = client.get(f"/operators/{AGREEMENT_OPERATOR}/delay-report.csv?as_of={AS_OF}")
    assert delay.status_code == 200
    csv_ok(delay.get_data(as_text=True), KEPT)
    i = SHEETS[0]
    sheet = client.get(f"/communes/{hf.insee(i)}/sheet.html?as_of={AS_OF}&lang=en")
    assert sheet.status_code == 200
    html_ok(sheet.get_data(as_text=True), [KEPT[i]])


def test_communes_csv_and_pages(client) -> None:
    csv_ok(client.get(f"/communes.csv?as_of={AS_OF}").get_data(as_text=True), KEPT)
    html_ok(client.get(f"/communes?as_of={AS_OF}").get_data(as_text=True), KEPT)
    html_ok(client.get(f"/operators/{AGREEMENT_OPERATOR}?as_of={AS_OF}").get_data(as_text=True),
            [KEPT[0]])
    html_ok(client.get("/operators").get_data(as_text=True), [KEPT[0]])
    html_ok(client.get("/imports").get_data(as_text=True), [])
    for i in SHEETS:
        html_ok(client.get(f"/communes/{hf.insee(i)}?as_of={AS_OF}").get_data(as_text=True),
                [KEPT[i]])


def test_works_feeds(client) -> None:
    for path in ("/feeds/works.wzdx.geojson", "/feeds/works.cifs.json", "/feeds/works.cifs.xml"):
        response = client.get(path)
        assert response.status_code == 200, path
        no_betrayal(response.get_data(as_text=True))
    assert "<script>" not in client.get("/feeds/works.cifs.xml").get_data(as_text=True)


def test_cli_listings(hostile_db) -> None:
    url = hostile_db.url
    for command in (["communes"], ["sites"], ["works", "--as-of", AS_OF],
                    ["status", "--as-of", AS_OF], ["imports"]):
        formats = ("table", "json") if command == ["imports"] else ("table", "csv", "json")
        for fmt in formats:
            result = cli(url, *command, "--format", fmt)
            assert result.exit_code == 0, (command, fmt, result.output[-500:])
            out = result.output
            no_betrayal(out)
            if fmt == "table":
                assert not [c for c in out if (ord(c) < 32 and c != "\n") or c in "\u202e\x7f"]
            elif fmt == "csv":
                csv_ok(out, [])
            else:
                json.loads(out)
    table = cli(url, "communes").output
    for name in KEPT:
        assert visible(name) in table, name
    csv_ok(cli(url, "communes", "--format", "csv").output, KEPT)
    listed = json.loads(cli(url, "sites", "--format", "json").output)
    assert set(KEPT) <= {s["operator_name"] for s in listed}


def test_geopackage_export(hostile_db, tmp_path) -> None:
    import pyogrio

    path = tmp_path / "export.gpkg"
    result = cli(hostile_db.url, "export", "gpkg", str(path), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    layers = [name for name, _ in pyogrio.list_layers(path)]
    communes = pyogrio.read_dataframe(path, layer="communes")
    assert sorted(communes["name"]) == sorted(KEPT)
    works = pyogrio.read_dataframe(path, layer="works") if "works" in layers else None
    assert works is not None and set(KEPT) <= set(works["title"])
