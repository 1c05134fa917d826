"""A database filled step by step (issue 14 items 1, 2, 4, 5, 7, 12): no crash where data is
missing, one rule for dates on the CLI and the web, `serve` and `--template` refusals."""

from __future__ import annotations

import datetime as dt
import json

import pyogrio
import pytest
from click.testing import CliRunner

from rollout.cli import main
from rollout.dates import reference_date
from tests.builders import SQUARE_A, SQUARE_B, write_communes
from tests.web_login import sign_in
from webmap import create_app


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database", url, *args])


@pytest.fixture
def communes_url(db_url, tmp_path) -> str:
    """A database holding two communes and nothing else."""
    path = write_communes(tmp_path / "c.geojson", {"59001": ("Alpha", SQUARE_A),
                                                   "59002": ("Beta", SQUARE_B)})
    result = _cli(db_url, "import", "communes", str(path))
    assert result.exit_code == 0, result.output
    return db_url


@pytest.fixture
def web(communes_url):
    app = create_app({"DATABASE_URL": communes_url, "TESTING": True, "SECRET_KEY": "test"})
    client = app.test_client()
    sign_in(client, "admin")
    yield client
    app.extensions["rollout_engine"].dispose()


def test_commune_sheet_without_works_says_none_are_planned(communes_url, tmp_path, web):
    target = tmp_path / "sheet.html"
    result = _cli(communes_url, "report", "commune", "59001", "--format", "html",
                  "--output", str(target))
    assert result.exit_code == 0, result.output
    sheet = target.read_text(encoding="utf-8")
    assert "aucun chantier prévu" in sheet
    assert "Sources (fichiers importés) : aucun fichier importé." in sheet
    page = web.get("/communes/59001/sheet.html?as_of=2024-01-01")
    assert page.status_code == 200
    assert "aucun chantier prévu" in page.get_data(as_text=True)
    english = web.get("/communes/59001/sheet.html?as_of=2024-01-01&lang=en")
    assert "no works planned" in english.get_data(as_text=True)


def test_geopackage_of_a_database_without_overlays_has_every_layer_empty(communes_url,
                                                                         tmp_path, web):
    target = tmp_path / "x.gpkg"
    result = _cli(communes_url, "export", "gpkg", str(target))
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(target).tolist())
    assert {"communes", "gaps", "gap_hexagons", "sites", "works", "gaps_5g"} <= set(layers)
    assert pyogrio.read_info(target, layer="communes")["features"] == 2
    assert pyogrio.read_info(target, layer="sites")["features"] == 0
    response = web.get("/export.gpkg")
    assert response.status_code == 200
    assert response.data[:16] == b"SQLite format 3\x00"
    gaps = web.get("/api/gaps_5g")
    assert gaps.status_code == 200
    assert gaps.get_json()["features"] == []


@pytest.mark.parametrize("value", ["2020-12-31", "31/12/2020", "1900-01-01", "2100-12-31"])
def test_reference_dates_accept_the_same_forms(value):
    assert reference_date(value) in {dt.date(2020, 12, 31), dt.date(1900, 1, 1),
                                     dt.date(2100, 12, 31)}


FAR = ["9999-12-31", "2108-01-01", "2101-01-01", "1899-12-31", "31/02/2020", "2020-12-31T00",
       "20201231"]


@pytest.mark.parametrize("value", FAR)
def test_far_or_malformed_dates_are_refused_alike_by_cli_and_web(communes_url, web, tmp_path,
                                                                 value):
    for args in (["report", "council", "--format", "xlsx", "--output", str(tmp_path / "c.x")],
                 ["report", "commune", "59001", "--format", "html", "--output",
                  str(tmp_path / "s.html")],
                 ["works", "--dig-once"], ["export", "gpkg", str(tmp_path / "x.gpkg")],
                 ["status"], ["communes"]):
        result = _cli(communes_url, *args, "--as-of", value)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "--as-of" in result.stderr
    for path in ("/api/communes", "/communes", "/council.xlsx", "/communes/59001/sheet.pdf",
                 "/export.gpkg"):
        response = web.get(f"{path}?as_of={value}")
        assert response.status_code == 400, path
    assert not (tmp_path / "c.x").exists()


def test_french_dates_are_accepted_on_the_web_as_on_the_cli(communes_url, web):
    iso = web.get("/api/communes?as_of=2020-12-31").get_json()
    french = web.get("/api/communes?as_of=31/12/2020").get_json()
    assert french["as_of"] == iso["as_of"] == "2020-12-31"
    assert _cli(communes_url, "status", "--as-of", "31/12/2020").exit_code == 0


def test_html_pages_answer_a_bad_date_with_the_error_page_and_the_api_with_json(web):
    page = web.get("/communes?as_of=2020-13-01")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Requête invalide" in page.get_data(as_text=True)
    api = web.get("/api/communes?as_of=2020-13-01")
    assert api.status_code == 400 and api.get_json()["parameter"] == "as_of"
    sheet = web.get("/communes/59001/sheet.pdf?as_of=2020-13-01")
    assert sheet.status_code == 400 and sheet.mimetype == "text/html"
    assert "2020-13-01" in sheet.get_data(as_text=True)


def test_serve_refuses_a_port_out_of_range_in_one_line(communes_url):
    result = _cli(communes_url, "serve", "--port", "99999")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "99999" in result.stderr
    assert "carte servie" not in result.output


def test_commitments_template_refusals_and_overwrite(tmp_path, db_url):
    template = tmp_path / "modele.csv"
    refused = [(["--template", str(tmp_path / "t.txt")], ".csv or .xlsx"),
               (["--template", str(tmp_path / "missing" / "t.csv")], "does not exist"),
               ([str(tmp_path / "f.csv"), "--template", str(template)], "not both")]
    for args, expected in refused:
        result = _cli(db_url, "import", "commitments", *args)
        assert result.exit_code == 2 and expected in result.stderr, result.output
        assert result.stderr.count("\n") == 1
    assert not template.exists()
    assert _cli(db_url, "import", "commitments", "--template", str(template)).exit_code == 0
    template.write_text("mine", encoding="utf-8")
    again = _cli(db_url, "import", "commitments", "--template", str(template))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert template.read_text(encoding="utf-8") == "mine"
    forced = _cli(db_url, "import", "commitments", "--template", str(template), "--force")
    assert forced.exit_code == 0
    assert template.read_text(encoding="utf-8").startswith("agreement_id")


def test_figures_before_any_commune_are_refused_and_never_block_a_later_import(db_url,
                                                                              tmp_path):
    from tests.partial_states import input_files

    files = input_files(tmp_path / "in")
    for kind in ("arcep", "premises", "sites"):
        refused = _cli(db_url, "import", kind, str(files[kind]))
        assert refused.exit_code == 2, refused.output
        assert "import the communes first" in refused.stderr
    history = _cli(db_url, "imports", "--format", "json")
    assert [b["status"] for b in json.loads(history.output)] == ["rejected"] * 3
    assert _cli(db_url, "import", "communes", str(files["communes"])).exit_code == 0
    loaded = _cli(db_url, "import", "arcep", str(files["arcep"]))
    assert loaded.exit_code == 0 and "déjà importé" not in loaded.output
    assert "2 chargées" in loaded.output


def test_demo_refuses_a_database_holding_real_data(communes_url):
    refused = _cli(communes_url, "demo")
    assert refused.exit_code == 2
    assert "--into-existing" in refused.stderr and refused.stderr.count("\n") == 1
    history = json.loads(_cli(communes_url, "imports", "--format", "json").output)
    assert len(history) == 1


def test_unknown_codes_are_refused_naming_the_known_ones(communes_url, web, tmp_path):
    from tests.partial_states import input_files

    files = input_files(tmp_path / "in")
    for kind in ("arcep", "commitments"):
        assert _cli(communes_url, "import", kind, str(files[kind])).exit_code == 0
    for option, value, known in (("--operator", "ZZZZ", "FRTE"),
                                 ("--commune", "99999", "59001, 59002")):
        refused = _cli(communes_url, "status", option, value)
        assert refused.exit_code == 2 and known in refused.stderr, refused.output
        assert refused.stderr.count("\n") == 1
    lower = json.loads(_cli(communes_url, "status", "--operator", "frte", "--format",
                            "json").output)
    assert lower and {r["operator_code"] for r in lower} == {"FRTE"}
    api = web.get("/api/assessments?operator=frte&as_of=2021-06-30").get_json()
    assert {a["operator_code"] for a in api["assessments"]} == {"FRTE"}
    bad = web.get("/api/assessments?operator=ZZZZ&as_of=2021-06-30")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "operator"
    assert "FRTE" in bad.get_json()["error"]
    sheet = _cli(communes_url, "report", "commune", "99999", "--format", "html", "--output",
                 str(tmp_path / "x.html"))
    assert sheet.exit_code == 2 and "2 loaded: 59001, 59002" in sheet.stderr


def test_a_pdf_given_as_works_is_refused_in_the_users_words(communes_url, tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    result = _cli(communes_url, "import", "works", str(path))
    assert result.exit_code == 2
    assert "It might help" not in result.stderr and str(tmp_path) not in result.stderr
    assert "plan.pdf" in result.stderr


def test_operator_page_without_commitments_offers_no_delay_report(communes_url, web, tmp_path):
    from tests.partial_states import input_files

    files = input_files(tmp_path / "in")
    assert _cli(communes_url, "import", "arcep", str(files["arcep"])).exit_code == 0
    page = web.get("/operators/FRTE").get_data(as_text=True)
    assert "/delay-report." not in page and 'id="no-delay-report"' in page
    assert _cli(communes_url, "import", "commitments", str(files["commitments"])).exit_code == 0
    page = web.get("/operators/FRTE").get_data(as_text=True)
    assert "/operators/FRTE/delay-report.csv" in page and "no-delay-report" not in page


def test_api_filters_apply_where_they_make_sense_and_are_refused_elsewhere(communes_url, web,
                                                                           tmp_path):
    from tests.partial_states import input_files

    files = input_files(tmp_path / "in")
    for kind in ("sites", "works"):
        assert _cli(communes_url, "import", kind, str(files[kind])).exit_code == 0
    every = web.get("/api/sites").get_json()["features"]
    orange = web.get("/api/sites?operator=20801").get_json()["features"]
    assert orange and len(orange) < len(every)
    assert {f["properties"]["operator_code"] for f in orange} == {"20801"}
    in_beta = web.get("/api/sites?commune=59002").get_json()["features"]
    assert {f["properties"]["insee"] for f in in_beta} == {"59002"}
    works = web.get("/api/works?commune=59002").get_json()["features"]
    assert all("59002" in f["properties"]["insee"] for f in works)
    assert len(works) < len(web.get("/api/works").get_json()["features"])
    one = web.get("/api/communes?commune=59001").get_json()["features"]
    assert [f["properties"]["insee"] for f in one] == ["59001"]
    for path in ("/api/gap_hexagons?operator=FRTE", "/api/works?operator=FRTE",
                 "/api/communes?operator=FRTE", "/api/communes/59001/progress?operator=FRTE"):
        refused = web.get(path)
        assert refused.status_code == 400 and refused.get_json()["parameter"] == "operator", path
    unknown = web.get("/api/gaps?commune=99999")
    assert unknown.status_code == 400 and "59001" in unknown.get_json()["error"]
    spec = web.get("/api/openapi.json").get_json()["paths"]
    names = {p["name"] for p in spec["/api/sites"]["get"]["parameters"]}
    assert {"operator", "commune"} <= names
    assert "operator" not in {p["name"] for p in spec["/api/works"]["get"]["parameters"]}


IPE_HEADER = ("IdentifiantImmeuble;CodeInseeImmeuble;NombreLogementsAdresseIPE;EtatImmeuble;"
              "TypeProjectionGeographique;CoordonneeImmeubleX;CoordonneeImmeubleY;CodeOI;"
              "DateDerniereModification")


@pytest.mark.parametrize(("content", "expected"), [
    (IPE_HEADER + "\nB1;59001;3;DEPLOYE;WGS84;3,005;50,605;FRTE;31/02/2020\n",
     "ipe_FRTE_20210331.csv:2: column 'DateDerniereModification': value '31/02/2020': not a date"),
    (IPE_HEADER + "\n", "no building row after the header"),
    ("\ufeff" + IPE_HEADER + "\nB1;59001;3;DÉPLOYÉ;WGS84;3,005;50,605;FRTE;01/02/2020\n",
     "byte-order mark but its bytes are not UTF-8"),
])
def test_ipe_files_follow_the_arcep_and_commitments_rules(communes_url, tmp_path, content,
                                                           expected):
    path = tmp_path / "ipe_FRTE_20210331.csv"
    data = content.encode("cp1252", errors="ignore")
    if content.startswith("\ufeff"):
        data = b"\xef\xbb\xbf" + content[1:].encode("cp1252")
    path.write_bytes(data)
    result = _cli(communes_url, "import", "premises", str(path))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_sites_without_an_in_service_date_are_in_service_at_no_date(communes_url, web,
                                                                    tmp_path):
    from tests.partial_states import input_files

    files = input_files(tmp_path / "in")
    assert _cli(communes_url, "import", "sites", str(files["sites"])).exit_code == 0
    listed = json.loads(_cli(communes_url, "sites", "--format", "json").output)
    undated = {s["station_id"] for s in listed if s["in_service_on"] is None}
    assert undated  # the ANFR builder has one 5G station without any date
    early = web.get("/api/sites?as_of=1900-01-01").get_json()["features"]
    assert early == []
    today = {f["properties"]["station_id"] for f in web.get("/api/sites").get_json()["features"]}
    assert today and not today & undated
