"""PDF rendering with reportlab platypus: deterministic (invariant mode, dates from the as-of)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepInFrame,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from reports import fonts
from reports import model as m
from reports.i18n import Words

MARGIN = 1.5 * cm
NUMERIC = {"int", "share", "days", "euros", "number"}
BLUE, GREY, RED = colors.HexColor("#1F3B5A"), colors.HexColor("#EEF1F5"), colors.HexColor("#B00020")


def _styles(compact: bool) -> dict[str, ParagraphStyle]:
    regular, bold = fonts.register()
    size = 7.5 if compact else 9
    base = ParagraphStyle("body", fontName=regular, fontSize=size, leading=size * 1.3,
                          spaceAfter=3)
    return {
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=18, leading=22,
                                textColor=BLUE, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=14, spaceAfter=10),
        "h1": ParagraphStyle("h1", base, fontName=bold, fontSize=12 if compact else 13,
                             leading=16, textColor=BLUE, spaceBefore=6, spaceAfter=5),
        "h2": ParagraphStyle("h2", base, fontName=bold, fontSize=size + 0.5, spaceBefore=5),
        "body": base,
        "lead": ParagraphStyle("lead", base, fontName=bold),
        "small": ParagraphStyle("small", base, fontSize=size - 1, leading=(size - 1) * 1.3),
        "warning": ParagraphStyle("warning", base, fontName=bold, textColor=RED, borderColor=RED,
                                  borderWidth=1, borderPadding=4, spaceBefore=6, spaceAfter=8),
        "cell": ParagraphStyle("cell", base, fontSize=size - 1.5, leading=(size - 1.5) * 1.25,
                               spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", base, fontSize=size - 1.5,
                                     leading=(size - 1.5) * 1.25, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", base, fontName=bold, fontSize=size - 1.5,
                               leading=(size - 1.5) * 1.25, spaceAfter=0),
        "caption": ParagraphStyle("caption", base, fontSize=size - 1, textColor=colors.grey),
    }


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    """The one way text reaches a PDF: ReportLab's paragraph mini-markup (``<font>``,
    ``<a href>``, ``<para>``, entities) in ``text`` is escaped, shown as typed (issue 12)."""
    return Paragraph(escape(text), style)


def _grid(data: list, widths: list[float], header: bool) -> LongTable:
    table = LongTable(data, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), GREY))
    table.setStyle(TableStyle(commands))
    return table


def _widths(block: m.Table, texts: list[list[str]], styles: dict, width: float) -> list[float]:
    """Column widths: numbers and dates never wrap, headers break between words only, the
    remaining width goes to text columns by their relative ``width``; shrink if too wide."""
    head, cell = styles["head"], styles["cell"]
    pad = 5.5
    need = []
    for index, column in enumerate(block.columns):
        words = column.label.split(" ")
        low = max(stringWidth(w, head.fontName, head.fontSize) for w in words) if words else 0
        values = [row[index] for row in texts]
        if column.kind in NUMERIC | {"date", "datetime", "flag"}:
            low = max([low, *(stringWidth(v, cell.fontName, cell.fontSize) for v in values)])
        else:
            longest = max([0, *(stringWidth(w, cell.fontName, cell.fontSize)
                                for v in values for w in v.split(" "))])
            low = max(low, min(longest, width / 6))
        need.append(low + pad)
    spare = width - sum(need)
    if spare < 0:
        return [w * width / sum(need) for w in need]
    text = [i for i, c in enumerate(block.columns) if c.kind not in NUMERIC | {"date", "flag"}]
    grow = text or list(range(len(need)))
    total = sum(block.columns[i].width for i in grow)
    for i in grow:
        need[i] += spare * block.columns[i].width / total
    return need


def _table(block: m.Table, styles: dict, width: float, tr: Words) -> list:
    texts = [[tr.value(v, c.kind) for c, v in zip(block.columns, row, strict=True)]
             for row in block.rows]
    widths = _widths(block, texts, styles, width)
    data = [[_text(c.label, styles["head"]) for c in block.columns]]
    for row in texts:
        data.append([
            _text(text, styles["cell_right"] if c.kind in NUMERIC else styles["cell"])
            for c, text in zip(block.columns, row, strict=True)
        ])
    if not block.rows:
        data.append([_text(tr("aucune ligne"), styles["cell"])] + [""] * (len(block.columns) - 1))
    out: list = [CondPageBreak(3 * cm), _text(block.title, styles["h2"]),
                 _grid(data, widths, header=True)]
    if block.note:
        out.append(_text(block.note, styles["small"]))
    return out + [Spacer(1, 4)]


def _facts(block: m.Facts, styles: dict, width: float, tr: Words) -> list:
    data = [[_text(label, styles["cell"]), _text(tr.value(value, kind), styles["cell"])]
            for label, value, kind in block.rows]
    table = _grid(data, [width * 0.42, width * 0.58], header=False)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), GREY)]))
    return [table, Spacer(1, 6)]


def _figure(block: m.Figure, styles: dict, width: float) -> list:
    image = Image(io.BytesIO(block.png))
    scale = min(block.width_cm * cm, width) / image.imageWidth
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return [KeepTogether([image, _text(block.caption, styles["caption"])])]


def _flowables(document: m.Document, styles: dict, width: float, tr: Words) -> list:
    story: list = [_text(document.title, styles["title"]),
                   _text(document.subtitle, styles["subtitle"])]
    for index, section in enumerate(document.sections):
        if section.new_page and index:
            story.append(PageBreak())
        story.append(_text(section.title, styles["h1"]))
        for block in section.blocks:
            if isinstance(block, m.Paragraph):
                story.append(_text(block.text, styles[block.style]))
            elif isinstance(block, m.Facts):
                story += _facts(block, styles, width, tr)
            elif isinstance(block, m.Table):
                story += _table(block, styles, width, tr)
            else:
                story += _figure(block, styles, width)
    return story


def render(document: m.Document, *, compact: bool = False) -> bytes:
    """The document as PDF bytes; ``compact`` uses smaller type (one-page commune sheet)."""
    styles, tr = _styles(compact), Words(document.lang)
    buffer = io.BytesIO()
    stamp = document.as_of.strftime("D:%Y%m%d000000+00'00'")
    footer = tr("{title} — situation au {day} — rapport {rid}", title=document.title,
                day=tr.date(document.as_of), rid=document.report_id)

    def on_page(canvas, doc) -> None:
        # PDF dates come from the as-of date so two runs give the same file (issue 5).
        canvas._doc.info._dateFormatter = lambda *_: stamp
        canvas.saveState()
        canvas.setFont(styles["small"].fontName, 6.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 0.8 * cm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 0.8 * cm, tr("page {n}", n=doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=1.4 * cm, title=document.title, author="rollout",
        subject=document.subtitle, creator="rollout", invariant=1,
    )
    story = _flowables(document, styles, doc.width, tr)
    if compact:
        # The commune sheet is one page (issue 5): shrink rather than spill over; page-flow
        # hints mean nothing inside a single frame.
        flat = [f for item in story for f in (item._content if isinstance(item, KeepTogether)
                                                 else [item])]
        story = [KeepInFrame(doc.width, doc.height,
                             [f for f in flat if not isinstance(f, CondPageBreak)],
                             mode="shrink")]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
