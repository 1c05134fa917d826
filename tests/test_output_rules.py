"""The one rule per output kind (issue 12, item 4 and the corpus): every hostile payload goes
through each renderer of a report document (XLSX, CSV, PDF, HTML), the CLI table and CSV
writers and the chart labels, and comes out as literal text: never a formula, never a
spreadsheet-evaluated lead, never ReportLab or HTML markup, never mathtext, never a raw
control character on a terminal."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from reports import charts, render_csv, render_html, render_pdf, render_xlsx
from reports import model as m
from reports.i18n import Words
from rollout.formatting import FORMULA_LEADS, csv_cell, to_csv, to_table, visible
from tests import hostile
from tests.hostile_checks import csv_rows, folded, html_seen, pdf_text, xlsx_cells

TEXTS = [p.text for p in hostile.PAYLOADS if p.family != "huge"] + ["A" * 300]


def _document(lang: str = "fr") -> m.Document:
    columns = [m.Column("n", "N", "int"), m.Column("text", "Texte", "text", 4),
               m.Column("share", "Part", "share")]
    rows = [[-i, text, -0.25] for i, text in enumerate(TEXTS)]
    facts = m.Facts([(text, text, "text") for text in TEXTS[:5]])
    return m.Document("test", "Rapport <b>$x$</b> {{ 7919*7907 }}", TEXTS[0], dt.date(2023, 1, 1),
                      "ABC", [m.Section("Partie", [m.Paragraph(t) for t in TEXTS] +
                                        [facts, m.Table("Lignes", "Lignes", columns, rows)])],
                      csv_table=m.Table("Plat", "Plat", columns, rows), lang=lang)


def _xlsx_shown(text: str) -> str:
    """What an XLSX reader gets back: XML holds no C0 control (shown as ``\\x1b``) and reads a
    lone carriage return as a line feed."""
    return render_xlsx.cell_text(text).replace("\r", "\n")


def test_xlsx_text_is_never_a_formula() -> None:
    cells = xlsx_cells(render_xlsx.render(_document()))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {_xlsx_shown(t) for t in TEXTS} <= texts
    assert _xlsx_shown("\x1b[31mROUGE\x1b[0m") == "\\x1b[31mROUGE\\x1b[0m"
    numbers = [c.value for c in cells if c.column == 1 and isinstance(c.value, int)]
    assert numbers[-len(TEXTS):] == [-i for i in range(len(TEXTS))]  # numbers stay numbers


def test_csv_text_cells_are_neutralised_and_numbers_untouched() -> None:
    rows = csv_rows(render_csv.render(_document()).decode("utf-8"))
    assert [r[1] for r in rows[1:]] == [("'" + t if t.startswith(FORMULA_LEADS) else t)
                                        for t in TEXTS]
    assert [r[0] for r in rows[1:]] == [str(-i) for i in range(len(TEXTS))]
    assert {r[2] for r in rows[1:]} == {"-0.25"}
    frame = pd.DataFrame({"name": TEXTS, "n": [-1] * len(TEXTS)})
    listed = csv_rows(to_csv(frame, ["name", "n"]))
    assert [r[0] for r in listed[1:]] == [csv_cell(t) for t in TEXTS]
    assert all(not r[0].startswith(FORMULA_LEADS) for r in listed[1:])
    assert {r[1] for r in listed[1:]} == {"-1"}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_shows_reportlab_markup_as_typed(lang: str) -> None:
    text = pdf_text(render_pdf.render(_document(lang)))
    for payload in ("reportlab_para", "entities", "script", "jinja_expression", "mathtext"):
        assert folded(hostile.by_name(payload).text) in text, payload
    for betrayal in hostile.betrayals():
        assert betrayal not in text


def test_html_escapes_markup() -> None:
    page = render_html.render(_document()).decode("utf-8")
    seen = html_seen(page)
    for payload in hostile.MARKUP + hostile.TEMPLATE:
        assert payload.text in seen.text, payload.name
    assert {tag for tag, _ in seen.elements} & {"img", "svg", "a", "font", "b", "script"} == set()
    assert not [attrs for _, attrs in seen.elements
                if "http-equiv" in attrs or any(a.startswith("on") for a in attrs)]
    for betrayal in hostile.betrayals():
        assert betrayal not in page


def test_chart_labels_are_not_mathtext() -> None:
    mathtext = hostile.by_name("mathtext_command").text  # mathtext would raise on it
    panel = charts.Panel(mathtext, [dt.date(2020, 1, 1), dt.date(2021, 1, 1)], [0.1, 0.2],
                         [(dt.date(2022, 1, 1), 0.8)], dt.date(2021, 6, 1))
    assert charts.trajectories([panel], Words("fr")).startswith(b"\x89PNG")
    import matplotlib.pyplot as plt

    figure = plt.figure()
    label = figure.text(0, 0, mathtext)
    assert label.get_parse_math() is False
    plt.close(figure)


def test_terminal_tables_show_control_characters() -> None:
    table = to_table([[p.text] for p in hostile.CONTROL], ["Nom"])
    assert not [ch for ch in table if ord(ch) < 32 and ch != "\n"]
    assert "\x1b" not in table and "\u202e" not in table
    assert visible("\x1b]0;pwned\x07titre") in table
    assert "\\x1b[31mROUGE\\x1b[0m" in table and "abc\\u202edcba\\u202c" in table
    assert table.count("\n") == 1 + len(hostile.CONTROL)  # "ligne 1\nligne 2" stays one row
