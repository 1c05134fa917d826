"""English reports: same figures as the French ones, English words and number/date formats.

English labels below are written by hand; figures are compared with the French report read
back the same way (pdftotext, openpyxl, HTML cells) and with the engine's CLI JSON.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import json
import re
import string
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from reports import (
    commune_sheet_report,
    council_report,
    operator_delay_report,
    render_commune_sheet,
    render_council,
    render_operator_delay,
)
from reports.translations import EN
from rollout import compliance, figures
from rollout.cli import main
from rollout.db import make_engine, session_scope
from tests import test_reports
from tests.builders import SQUARE_A, SQUARE_B, write_arcep_2020, write_communes
from tests.test_reports import AS_OF, STATUS_FR, cli_json, pdf_text, spaced

REPORTS = Path(__file__).parent.parent / "reports"
client = test_reports.client  # the reports blueprint in a bare Flask app, on the demo data
STATUS_EN = {"met": "met", "met_late": "met late", "missed": "missed", "at_risk": "at risk",
             "on_track": "on track", "no_data": "insufficient data"}
# Words of the French reports that never occur in the demo data (names, agreements, files).
FRENCH_WORDS = ("Jalon", "jalon", "Jalons", "Locaux", "locaux", "Statut", "Synthèse", "Cible",
                "Retard", "retard", "manqué", "atteint", "Annexe", "Périmètre", "périmètre",
                "Fichier", "Méthode", "Série", "série", "Dénominateur", "Taux", "taux",
                "Situation", "situation", "oui", "non", "aucune", "raccordables", "Évolution",
                "Rapport", "Commune", "Communes", "Opérateur", "Échéance", "«", "»")


def commas(n: int) -> str:
    """59696 -> '59,696', by hand."""
    return spaced(n).replace(" ", ",")


def french_left(text: str) -> list[str]:
    return [w for w in FRENCH_WORDS if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]


def html_text(payload: bytes) -> str:
    return re.sub(r"<[^>]+>", "\n", payload.decode("utf-8"))


def numeric_cells(payload: bytes) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', payload.decode("utf-8"))


@pytest.fixture(scope="module")
def both(demo_url):
    """Every report in English, and the French ones it is compared with."""
    engine = make_engine(demo_url)
    result = {}
    with session_scope(engine) as session:
        for lang in ("fr", "en"):
            for fmt in ("pdf", "xlsx", "csv", "html"):
                result[f"frte.{fmt}.{lang}"] = render_operator_delay(session, "FRTE", AS_OF, fmt,
                                                                     lang)
            for fmt in ("pdf", "html"):
                result[f"sheet.{fmt}.{lang}"] = render_commune_sheet(session, "59143", AS_OF,
                                                                     fmt, lang)
            for fmt in ("pdf", "xlsx"):
                result[f"council.{fmt}.{lang}"] = render_council(session, AS_OF, fmt, lang)
        result["commune_status"] = compliance.commune_status(session, AS_OF)
        result["ids"] = {lang: operator_delay_report(session, "FRTE", AS_OF, "csv", lang)
                         .report_id for lang in ("fr", "en")}
    engine.dispose()
    return result


def _keys_used() -> set[str]:
    """Every French text the report code passes to ``tr(...)`` or keeps in a label table."""
    from reports import common, csv_columns, i18n
    from rollout.compliance import METRIC_LABELS_FR, STATUS_LABELS_FR

    keys: set[str] = set()
    for path in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                keys.add(node.args[0].value)
    template = (REPORTS / "templates" / "report.html").read_text(encoding="utf-8")
    keys |= set(re.findall(r'tr\("([^"]+)"', template))
    for labels in (common.SERIES_FR, common.METHOD_FR, common.REASON_FR, common.SHORT_METRIC_FR,
                   STATUS_LABELS_FR, METRIC_LABELS_FR):
        keys |= set(labels.values())
    return keys | {common.SYNTHETIC_FR, i18n.NO_MILESTONE_FR, *common.METHOD_TEXTS,
                   *(text for _, _, text in csv_columns.COLUMNS)}


def test_every_french_text_has_one_english_entry_with_the_same_fields():
    used = _keys_used()
    assert len(used) > 250
    assert sorted(used - set(EN)) == []  # a French text without English
    assert sorted(set(EN) - used) == []  # an English entry nothing prints

    def fields(text):
        return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)

    assert [k for k, v in EN.items() if fields(k) != fields(v)] == []


def test_words_shared_with_the_web_pages_are_the_same():
    from webmap.i18n import EN as WEB
    from webmap.i18n import STATUS_LABELS

    shared = set(EN) & set(WEB)
    assert {"Commune", "Échéance", "manqué", "atteint en retard"} <= shared
    assert {k: EN[k] for k in shared} == {k: WEB[k] for k in shared}
    assert {s: EN[label] for s, label in STATUS_LABELS.items()} == STATUS_EN


def test_english_number_and_date_formats():
    assert figures.fmt_int(3545, "en") == "3,545" and figures.fmt_int(1234567, "en") == "1,234,567"
    assert figures.fmt_share(0.865, "en") == "86.5%"
    assert figures.fmt_number(1234.5, "en") == "1,234.50"
    assert figures.fmt_date(dt.date(2026, 9, 30), "en") == "2026-09-30"
    assert figures.fmt_date("2026-09-30T08:00:00", "en") == "2026-09-30"
    assert figures.fmt_int(None, "en") == figures.fmt_date(None, "en") == "–"
    # The French ones keep the project's bytes: U+0020, not CLDR's U+202F, as separator.
    assert figures.fmt_int(3545) == "3 545" and figures.fmt_share(0.865) == "86,5 %"
    assert figures.fmt_int(1234567).encode() == b"1 234 567"
    assert figures.fmt_number(1234.5) == "1 234,50" and figures.fmt_signed(-0.25) == "-0,2"
    assert figures.fmt_date(dt.date(2026, 9, 30)) == "30/09/2026"


def test_babel_figures_round_as_python_formatting_did():
    # The hand-written formatters this replaces: f"{x * 100:.1f}" with "," and " %".
    for value in (0.8655, 0.0125, 2.675 / 100, 1 / 3, 0.99995, 0.0):
        expected = f"{value * 100:.1f}".replace(".", ",") + " %"
        assert figures.fmt_share(value) == expected
    for value in (2.675, 1234.005, 0.125, 1e6 + 0.5):
        assert figures.fmt_number(value, "en") == f"{value:,.2f}"


def test_unknown_language_is_refused_before_any_work(demo_url, tmp_path):
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        for call in (lambda: operator_delay_report(session, "FRTE", AS_OF, "csv", "de"),
                     lambda: commune_sheet_report(session, "59143", AS_OF, "html", "EN"),
                     lambda: council_report(session, AS_OF, "xlsx", "")):
            with pytest.raises(ValueError, match=r"lang was '(de|EN|)'; expected one of "
                                                 r"\['fr', 'en'\]"):
                call()
    engine.dispose()


def test_operator_pdf_in_english_has_the_french_figures(both, tmp_path):
    fr, en = pdf_text(both["frte.pdf.fr"], tmp_path, "fr"), pdf_text(both["frte.pdf.en"],
                                                                      tmp_path, "en")
    assert "Delay report — Orange (FRTE)" in en
    assert "FttH rollout commitments: status as of 2023-01-01" in en
    for code, label in STATUS_FR.items():
        french = re.search(rf"Jalons au statut « {label} »\s+(\d+)\n", fr).group(1)
        assert re.search(rf"Milestones with status “{STATUS_EN[code]}”\s+{french}\n", en), code
    short = int(re.search(r"somme des jalons manqués\s+([\d ]+)\n", fr).group(1).replace(" ", ""))
    assert re.search(rf"Shortfall \(premises\), sum of missed milestones\s+{commas(short)}\n", en)
    assert f"€{commas(short * 1500)}" in en and f"€{commas(short * 5000)}" in en
    longest = re.search(r"Retard le plus long \(jours\)\s+(\d+)\n", fr).group(1)
    assert re.search(rf"Longest delay \(days\)\s+{longest}\n", en)
    assert "Milestone 1 — FRTE-L3313-2018, due 2020-12-31" in en
    assert "whole perimeter (70 municipalities)" in en and "upper bound" in en
    assert "WARNING: 6 of the 6 source files cited are SYNTHETIC DATA" in en
    assert "Annex: method" in en and "Annex: evidence" in en
    flat = " ".join(en.split())
    assert "(the legal test applies to the whole perimeter; per-municipality shares are " \
           "indicators)" in flat
    assert re.search(r"as of 2023-01-01 — report [0-9A-F]{12}\s+page 1\n", en)
    assert french_left(en) == []
    assert en.count("\f") == fr.count("\f")  # same pages, same content


def test_operator_html_in_english(both):
    fr, en = both["frte.html.fr"], both["frte.html.en"]
    assert 'lang="en"' in en.decode() and 'lang="fr"' in fr.decode()
    cells_fr, cells_en = numeric_cells(fr), numeric_cells(en)
    assert len(cells_en) == len(cells_fr) > 500
    english = re.compile(r"–|\d{1,3}(,\d{3})*(\.\d)?%?|€\d{1,3}(,\d{3})*")
    assert [c for c in cells_en if not english.fullmatch(c)] == []
    assert any("," in c for c in cells_en) and any(c.endswith("%") for c in cells_en)

    def number(cell, thousands, decimal):
        return cell.replace(thousands, "").replace(decimal, ".").replace("%", "").strip()

    assert [number(c, " ", ",") for c in cells_fr] == [number(c, ",", ".") for c in cells_en]
    text = html_text(en)
    assert not re.search(r"\b\d\d/\d\d/\d{4}\b", text) and "2020-12-31" in text
    assert french_left(text) == []
    assert both["ids"]["fr"] == both["ids"]["en"]  # same data, same report id


def test_operator_xlsx_in_english_has_the_same_cells(both):
    fr = openpyxl.load_workbook(io.BytesIO(both["frte.xlsx.fr"]))
    en = openpyxl.load_workbook(io.BytesIO(both["frte.xlsx.en"]))
    assert en.sheetnames[:5] == ["Summary", "Agreements", "Municipalities concerned",
                                 "M1 by municipality", "M2 by municipality"]
    assert en.sheetnames[-4:] == ["Evidence per milestone", "Denominators", "CSV columns",
                                  "Milestone x municipality"]
    assert len(en.sheetnames) == len(fr.sheetnames)
    def figures(sheet):
        return [[v for v in row if not isinstance(v, str)] for row in sheet.values]

    # Fact lists sorted by label (statuses, series) follow each language's alphabet.
    assert Counter(map(tuple, figures(en.worksheets[0]))) == Counter(
        map(tuple, figures(fr.worksheets[0])))
    for french, english in zip(fr.worksheets[1:], en.worksheets[1:], strict=True):
        assert figures(english) == figures(french), english.title
    assert [c.value for c in en["Municipalities concerned"][1]] == [
        "Municipality", "INSEE", "Least favourable status", "Longest delay (d)",
        "Milestones assessed"]
    summary = {r[1]: r[2] for r in en["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["As of"] == dt.datetime(2023, 1, 1) and summary["Milestones assessed"] == 87
    assert en["Agreements"]["C2"].number_format == "YYYY-MM-DD"
    assert fr["Engagements"]["C2"].number_format == "DD/MM/YYYY"
    # The machine sheet (the CSV's columns and values) is the same in both languages.
    assert list(en["Milestone x municipality"].values) == list(fr["Jalon x commune"].values)


def test_csv_is_the_same_machine_file_in_both_languages(both):
    assert both["frte.csv.en"] == both["frte.csv.fr"]
    header = next(csv.reader(io.StringIO(both["frte.csv.en"].decode())))
    assert header[:3] == ["milestone_id", "agreement_id", "operator_code"]


def test_commune_sheet_in_english(demo_url, both, tmp_path):
    text = pdf_text(both["sheet.pdf.en"], tmp_path)
    assert text.count("\f") == 1
    commune = next(c for c in cli_json(demo_url, "communes", "--as-of", AS_OF.isoformat())
                   if c["insee"] == "59143")
    assert "La Chapelle-d'Armentières (59143)" in text
    assert "Fibre and operators' commitments: status as of 2023-01-01" in text
    assert re.search(rf"Population\s+{commas(commune['population'])}\n", text)
    assert re.search(rf"Premises connectable to fibre\s+{commas(commune['connectable'])}\n", text)
    share = f"{commune['connectable_share'] * 100:.1f}%"
    assert re.search(rf"Share of connectable premises\s+{re.escape(share)}\n", text)
    worst = both["commune_status"].set_index("insee").loc["59143", "status"]
    assert re.search(rf"Status of the commitments\s+{STATUS_EN[worst]}\n", text)
    french = pdf_text(both["sheet.pdf.fr"], tmp_path, "fr")
    points = re.search(r"Évolution depuis le (\d\d)/(\d\d)/(\d{4})\s+([+-]\d+),(\d) points",
                       french)
    day, month, year, whole, tenth = points.groups()
    assert f"Change since {year}-{month}-{day}" in text and f"{whole}.{tenth} points" in text
    labels = "|".join(sorted(STATUS_EN.values(), key=len, reverse=True))
    found_en = re.findall(rf"(\d{{4}}-\d\d-\d\d)\s+({labels})\s+(?:\d|–)", text)
    found_fr = re.findall(rf"(\d\d)/(\d\d)/(\d{{4}})\s+({'|'.join(STATUS_FR.values())})\s+"
                          rf"(?:\d|–)", french)
    back = {v: k for k, v in STATUS_FR.items()}
    assert len(found_en) >= 3 and Counter(found_en) == Counter(
        (f"{y}-{m}-{d}", STATUS_EN[back[s]]) for d, m, y, s in found_fr)
    assert french_left(text) == []
    page = both["sheet.html.en"].decode()
    assert 'lang="en"' in page and "At a glance" in page


def test_council_in_english(both, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(both["council.xlsx.en"]))
    assert book.sheetnames == ["Summary", "Statuses", "Priorities", "Ranking", "Sources",
                               "Denominators"]
    counts = {r[0]: r[1] for r in book["Statuses"].iter_rows(min_row=2, values_only=True)}
    engine_counts = Counter(both["commune_status"]["status"])
    expected = {STATUS_EN[s]: engine_counts.get(s, 0) for s in STATUS_EN}
    expected["no tracked milestone"] = 95 - len(both["commune_status"])
    assert counts == expected
    ranking = book["Ranking"]
    assert [c.value for c in ranking[1]] == [
        "Rank", "Municipality", "INSEE", "Population", "Status", "Longest delay (days)",
        "Targets missed", "Shortfall (premises)", "Connectable share", "Observed on"]
    french = openpyxl.load_workbook(io.BytesIO(both["council.xlsx.fr"]))["Classement"]
    numbers = [(r[0], r[2], r[3], r[5], r[6], r[7], r[8], r[9])
               for r in french.iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2], r[3], r[5], r[6], r[7], r[8], r[9])
            for r in ranking.iter_rows(min_row=2, values_only=True)] == numbers
    text = pdf_text(both["council.pdf.en"], tmp_path)
    assert "Summary for the metropolitan council" in text
    assert "Ranking of all municipalities" in text and "Annex: method" in text
    assert french_left(text) == []


def _cli(url, *args):
    return CliRunner().invoke(main, ["--database", url, *args])


def test_cli_lang_en_writes_english_and_audits_the_language(db_url, tmp_path):
    communes = write_communes(tmp_path / "c.geojson", {"59001": ("Aa", SQUARE_A),
                                                      "59002": ("Bb", SQUARE_B)})
    arcep = write_arcep_2020(tmp_path / "obs.csv", "T4 2020", {"59001": 1000, "59002": 2000},
                             ["T4 2020"], {"59001": [500], "59002": [1500]})
    assert _cli(db_url, "import", "communes", str(communes)).exit_code == 0
    assert _cli(db_url, "import", "arcep", str(arcep)).exit_code == 0
    english, french = tmp_path / "council-en.xlsx", tmp_path / "council-fr.xlsx"
    base = ["report", "council", "--as-of", "2021-01-15", "--format", "xlsx", "--output"]
    assert _cli(db_url, *base, str(english), "--lang", "en").exit_code == 0
    assert _cli(db_url, *base, str(french)).exit_code == 0
    book = openpyxl.load_workbook(english)
    assert book.sheetnames[:2] == ["Summary", "Statuses"]
    ranking = {r[2]: r for r in book["Ranking"].iter_rows(min_row=2, values_only=True)}
    assert ranking["59002"][3] == 1000 and ranking["59002"][8] == pytest.approx(0.75)
    assert openpyxl.load_workbook(french).sheetnames[:2] == ["Synthèse", "Situations"]
    events = json.loads(_cli(db_url, "audit", "--format", "json").output)
    langs = Counter(e["details"].get("lang") for e in events if e["action"] == "report")
    assert langs == Counter({"en": 1, None: 1})
    result = _cli(db_url, *base, str(tmp_path / "x.xlsx"), "--lang", "de")
    assert result.exit_code == 2 and "Invalid value for '--lang'" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_web_downloads_follow_the_page_language(client, both):
    response = client.get("/council.xlsx?as_of=2023-01-01&lang=en")
    assert response.status_code == 200 and response.data == both["council.xlsx.en"]
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    response = client.get("/communes/59143/sheet.html?as_of=2023-01-01",
                          headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.data == both["sheet.html.en"]
    client.set_cookie("lang", "en")
    response = client.get("/operators/FRTE/delay-report.html?as_of=2023-01-01")
    assert response.data == both["frte.html.en"]
    response = client.get("/operators/FRTE/delay-report.html?as_of=2023-01-01&lang=fr")
    assert response.data == both["frte.html.fr"]
    client.delete_cookie("lang")
    response = client.get("/council.xlsx?as_of=2023-01-01&lang=xx")
    assert response.status_code == 200 and response.data == both["council.xlsx.fr"]
