"""Compliance reports on the demo database (SpatiaLite and PostGIS).

Expected figures come from outside the reports package: the `rollout status` and
`rollout communes` JSON, the assessment frames computed here through rollout.compliance, and
counts read straight from the database. Text is read back from the PDF with pdftotext, cells
from the XLSX with openpyxl; pages are rendered to PNG in the artifacts folder for a human.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
from collections import Counter

import openpyxl
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from reports import render_commune_sheet, render_council, render_operator_delay
from rollout import compliance
from rollout.cli import main
from rollout.db import make_engine, session_scope
from rollout.models import AgreementCommune, Milestone

AS_OF = dt.date(2023, 1, 1)
STATUS_FR = {"met": "atteint", "met_late": "atteint en retard", "missed": "manqué",
             "at_risk": "à risque", "on_track": "en bonne voie", "no_data": "données insuffisantes"}
WORST_FIRST = ["missed", "at_risk", "met_late", "no_data", "on_track", "met", None]
LONG_NAMES = ("La Chapelle-d'Armentières", "Villeneuve-d'Ascq", "Hallennes-lez-Haubourdin")


def spaced(n: int) -> str:
    """59696 -> '59 696', by hand."""
    digits = str(n)
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return " ".join(groups)


def cli_json(url: str, *args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["--database", url, *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def pdf_text(payload: bytes, tmp_path, name: str = "r") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(payload)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def out(demo_url):
    """Every report rendered once per backend (the slow part), plus the engine's frames."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        result = {
            f"frte.{fmt}": render_operator_delay(session, "FRTE", AS_OF, fmt)
            for fmt in ("pdf", "xlsx", "csv", "html")
        }
        result["sheet.pdf"] = render_commune_sheet(session, "59143", AS_OF, "pdf")
        result["sheet.html"] = render_commune_sheet(session, "59143", AS_OF, "html")
        result["council.pdf"] = render_council(session, AS_OF, "pdf")
        result["council.xlsx"] = render_council(session, AS_OF, "xlsx")
        result["backend"] = "spatialite" if demo_url.startswith("sqlite") else "postgis"
        result["assessments"] = compliance.assessments(session, AS_OF)
        result["breakdown"] = compliance.assessments(session, AS_OF, breakdown=True)
        result["operators"] = sorted(set(compliance.agreements(session)["operator_code"]))
        result["commune_status"] = compliance.commune_status(session, AS_OF)
        result["perimeter_sizes"] = dict(session.execute(
            select(AgreementCommune.agreement_id, func.count()).group_by(
                AgreementCommune.agreement_id)).all())
        result["frte_milestones"] = session.execute(
            select(func.count()).select_from(Milestone).where(
                Milestone.agreement_id.like("%FRTE%"))).scalar()
    engine.dispose()
    return result


@pytest.fixture(scope="module")
def status(demo_url):
    return cli_json(demo_url, "status", "--operator", "FRTE", "--as-of", AS_OF.isoformat())


def test_operator_summary_matches_status_cli(out, status, tmp_path):
    text = pdf_text(out["frte.pdf"], tmp_path)
    assert len(status) == out["frte_milestones"] == 87
    counts = Counter(r["status"] for r in status)
    for code, label in STATUS_FR.items():
        assert re.search(rf"Jalons au statut « {label} »\s+{counts[code]}\n", text), label
    short = sum(r["shortfall_premises"] for r in status if r["status"] == "missed")
    assert re.search(rf"Locaux manquants, somme des jalons manqués\s+{spaced(short)}\n", text)
    assert f"{spaced(short * 1500)} €" in text and f"{spaced(short * 5000)} €" in text
    assert "INDICATIVE" in text and "indicative" in text
    longest = max(r["delay_days"] for r in status if r["status"] in ("missed", "met_late"))
    assert re.search(rf"Retard le plus long \(jours\)\s+{longest}\n", text)
    assert "DONNÉES SYNTHÉTIQUES" in text


def test_each_perimeter_milestone_section_matches_status_cli(out, status, tmp_path):
    pages = pdf_text(out["frte.pdf"], tmp_path).split("\f")
    perimeter = [r for r in status if r["commune_insee"] is None]
    assert len(perimeter) == 3
    for row in perimeter:
        due = dt.date.fromisoformat(row["due_on"]).strftime("%d/%m/%Y")
        page = next(p for p in pages if f"— {row['agreement_id']}, échéance {due}" in p)
        assert re.search(rf"Statut\s+{STATUS_FR[row['status']]}\n", page)
        assert re.search(rf"Retard \(jours\)\s+{row['delay_days']}\n", page)
        assert re.search(rf"Locaux manquants\s+{spaced(row['shortfall_premises'])}\n", page)
        value = f"{row['value_at_due'] * 100:.1f}".replace(".", ",") + " %"
        assert re.search(rf"Valeur à l'échéance\s+{value}\n", page)
        assert re.search(rf"Dénominateur \(locaux\)\s+{spaced(row['denominator_premises'])}\n",
                         page)
        assert f"ensemble du périmètre ({row['communes_total']} communes)" in page
    assert "borne supérieure" in "".join(pages)


def _sheet_rows(workbook, name):
    sheet = workbook[name]
    header = [c.value for c in sheet[1]]
    return sheet, [dict(zip(header, r, strict=True))
                   for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_xlsx_cells_are_typed_and_match_the_engine(out, status):
    book = openpyxl.load_workbook(io.BytesIO(out["frte.xlsx"]))
    sheet, rows = _sheet_rows(book, "Jalon x commune")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" \
                                    f"{len(rows) + 1}"
    by_key = {(r["agreement_id"], r["commune_insee"], r["metric"], r["due_on"].date()): r
              for r in rows if r["scope"] != "perimeter_commune"}
    for expected in status:
        key = (expected["agreement_id"], expected["commune_insee"], expected["metric"],
               dt.date.fromisoformat(expected["due_on"]))
        got = by_key[key]
        assert got["status"] == expected["status"]
        assert got["delay_days"] == expected["delay_days"]
        assert got["shortfall_premises"] == expected["shortfall_premises"]
        assert got["value_at_due"] == pytest.approx(expected["value_at_due"], abs=1e-12)
        assert got["delay_is_upper_bound"] is expected["delay_is_upper_bound"]
        assert isinstance(got["due_on"], dt.datetime)
        assert got["delay_days"] is None or isinstance(got["delay_days"], int)
    engine = out["breakdown"]
    engine = engine[engine["operator_code"] == "FRTE"]
    parts = {(r["milestone_id"], r["commune_insee"]): r for r in rows
             if r["scope"] == "perimeter_commune"}
    assert len(parts) == len(engine) == 3 * 70
    for r in engine.itertuples():
        got = parts[(r.milestone_id, r.commune_insee)]
        assert (got["status"], got["shortfall_premises"]) == (r.status, r.shortfall_premises)
    summary = {r[1]: r[2] for r in book["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert summary["Situation au"] == dt.datetime(2023, 1, 1)
    assert summary["Jalons évalués"] == 87
    assert book.properties.created == book.properties.modified == dt.datetime(2023, 1, 1)


def test_csv_one_row_per_milestone_and_commune(out, status):
    text = out["frte.csv"].decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    sizes = out["perimeter_sizes"]
    perimeter = [r for r in status if r["commune_insee"] is None]
    expected = len(status) + sum(sizes[r["agreement_id"]] for r in perimeter)
    assert len(rows) == expected == 87 + 3 * 70
    assert not text.startswith("#") and text.splitlines()[0].startswith("milestone_id,")
    commune = {(r["agreement_id"], r["commune_insee"], r["metric"], r["due_on"]): r
               for r in rows if r["scope"] in ("commune", "perimeter")}
    for expected_row in status:
        got = commune[(expected_row["agreement_id"], expected_row["commune_insee"] or "",
                       expected_row["metric"], expected_row["due_on"])]
        assert got["status"] == expected_row["status"]
        assert got["delay_days"] == ("" if expected_row["delay_days"] is None
                                     else str(expected_row["delay_days"]))
        assert got["delay_is_upper_bound"] == str(expected_row["delay_is_upper_bound"]).lower()
        if expected_row["value_at_due"] is None:
            assert got["value_at_due"] == ""
        else:
            assert float(got["value_at_due"]) == expected_row["value_at_due"]
    assert {r["synthetic_evidence"] for r in rows} == {"true"}
    assert next(r for r in rows if r["commune_insee"] == "59009")["commune_name"] == \
        "Villeneuve-d'Ascq"


def test_html_is_standalone(out):
    page = out["frte.html"].decode("utf-8")
    assert page.startswith("<!doctype html>") and 'lang="fr"' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count('src="data:image/png;base64,') == 2
    assert "Villeneuve-d&#39;Ascq" in page and "borne supérieure" in page


def test_reports_are_deterministic(demo_url, out, tmp_path):
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        again = {fmt: render_operator_delay(session, "frte", AS_OF, fmt)
                 for fmt in ("pdf", "xlsx", "csv")}
        council = render_council(session, AS_OF, "xlsx")
    engine.dispose()
    for fmt, payload in again.items():
        assert payload == out[f"frte.{fmt}"], fmt
    assert council == out["council.xlsx"]
    info = subprocess.run(["pdfinfo", "-isodates", "-"], input=out["frte.pdf"],
                          capture_output=True, check=True).stdout.decode()
    assert re.search(r"CreationDate:\s+2023-01-01T00:00:00", info)


def test_commune_sheet_fits_one_page_with_engine_figures(demo_url, out, tmp_path):
    text = pdf_text(out["sheet.pdf"], tmp_path)
    assert text.count("\f") == 1  # one page
    commune = next(c for c in cli_json(demo_url, "communes", "--as-of", AS_OF.isoformat())
                   if c["insee"] == "59143")
    share = f"{commune['connectable_share'] * 100:.1f}".replace(".", ",") + " %"
    assert "La Chapelle-d'Armentières (59143)" in text
    assert re.search(rf"Population\s+{spaced(commune['population'])}\n", text)
    assert re.search(rf"Part de locaux raccordables\s+{share}\n", text)
    assert re.search(rf"Locaux raccordables à la fibre\s+{spaced(commune['connectable'])}\n",
                     text)
    worst = out["commune_status"].set_index("insee").loc["59143", "status"]
    assert re.search(rf"Situation des engagements\s+{STATUS_FR[worst]}\n", text)
    rows = [frame[frame["commune_insee"] == "59143"]
            for frame in (out["assessments"], out["breakdown"])]
    expected = Counter((f"{r.due_on:%d/%m/%Y}", STATUS_FR[r.status])
                       for frame in rows for r in frame.itertuples())
    labels = "|".join(sorted(STATUS_FR.values(), key=len, reverse=True))
    found = Counter(re.findall(rf"(\d\d/\d\d/\d{{4}})\s+({labels})\s+(?:\d|–)", text))
    assert sum(expected.values()) >= 3 and found == expected
    assert "Évolution depuis le" in text and "points" in text
    assert "La Chapelle-d&#39;Armentières (59143)" in out["sheet.html"].decode()


def test_council_counts_and_ranking(out, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(out["council.xlsx"]))
    _, counts = _sheet_rows(book, "Situations")
    engine_counts = Counter(out["commune_status"]["status"])
    expected = {STATUS_FR[s]: engine_counts.get(s, 0) for s in STATUS_FR}
    expected["sans jalon suivi"] = 95 - len(out["commune_status"])
    assert {r["Situation"]: r["Communes"] for r in counts} == expected
    sheet, ranked = _sheet_rows(book, "Classement")
    assert [r["Rang"] for r in ranked] == list(range(1, 96))
    labels = {v: k for k, v in STATUS_FR.items()}
    order = [WORST_FIRST.index(labels.get(r["Situation"])) for r in ranked]
    assert order == sorted(order)
    engine = out["commune_status"].set_index("insee")
    for r in ranked:
        if r["INSEE"] in engine.index:
            assert r["Situation"] == STATUS_FR[engine.loc[r["INSEE"], "status"]]
            assert r["Plus long retard (jours)"] == engine.loc[r["INSEE"], "delay_days"]
    _, priority = _sheet_rows(book, "Priorités")
    assert len(priority) == sum(engine_counts.get(s, 0) for s in ("missed", "at_risk"))
    text = pdf_text(out["council.pdf"], tmp_path)
    assert all(name in text for name in LONG_NAMES)


def test_pages_render_without_overflow(out, tmp_path, artifacts_dir):
    for name in ("frte.pdf", "sheet.pdf", "council.pdf"):
        path = tmp_path / name
        path.write_bytes(out[name])
        prefix = artifacts_dir / f"report-{out['backend']}-{name.replace('.', '-')}"
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(prefix)], check=True)
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout
        right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', html)]
        assert right and max(right) <= 595.3 - 1.5 * 28.35 + 1, name
        fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                               text=True).stdout
        assert "DejaVuSans" in fonts and " yes " in fonts
        assert "ï¿½" not in html and "\ufffd" not in html
    assert list(artifacts_dir.glob("report-*-sheet-pdf-1.png"))


def test_unknown_operator_and_commune_exit_2_with_one_line(demo_url, out, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["--database", demo_url, "report", "operator-delay",
                                  "--operator", "XXXX", "--format", "csv",
                                  "--output", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"--operator: unknown operator code 'XXXX'; known: {', '.join(out['operators'])}"]
    result = runner.invoke(main, ["--database", demo_url, "report", "commune", "99999",
                                  "--format", "pdf", "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "unknown commune '99999'" in result.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.pdf").exists()


@pytest.fixture
def client(demo_url):
    from webmap import cache
    from webmap.reports_views import reports_bp

    app = Flask(__name__)
    app.config["DATABASE_URL"] = demo_url
    app.extensions["rollout_engine"] = make_engine(demo_url)
    cache.init_app(app)  # downloads are served from the shared cache (webmap.cache)
    app.register_blueprint(reports_bp)
    yield app.test_client()
    app.extensions["rollout_engine"].dispose()


def test_routes(client, out):
    assert client.get("/operators/XXXX/delay-report.csv?as_of=2023-01-01").status_code == 404
    assert client.get("/communes/99999/sheet.html?as_of=2023-01-01").status_code == 404
    assert client.get("/operators/FRTE/delay-report.docx").status_code == 404
    assert client.get("/council.csv").status_code == 404
    for bad in ("2023-13-01", "32/01/2023", "yesterday", "2023-02-30"):
        response = client.get(f"/operators/FRTE/delay-report.csv?as_of={bad}")
        assert response.status_code == 400, bad
        assert b"as_of" in response.data
    response = client.get("/operators/FRTE/delay-report.csv?as_of=2023-01-01")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data == out["frte.csv"]
    assert "retard-FRTE-2023-01-01.csv" in response.headers["Content-Disposition"]
    response = client.get("/communes/59143/sheet.html?as_of=2023-01-01")
    assert response.status_code == 200 and response.data == out["sheet.html"]
