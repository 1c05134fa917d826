"""Standalone HTML rendering (Jinja2, no Flask): inline CSS, images as data URIs, no request."""

from __future__ import annotations

import base64

from jinja2 import Environment, PackageLoader, select_autoescape

from reports import model as m
from reports.i18n import Words, value_text

NUMERIC = {"int", "share", "days", "euros", "number"}
_ENV = Environment(loader=PackageLoader("reports", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_ENV.filters["shown"] = value_text
_ENV.filters["data_uri"] = lambda png: "data:image/png;base64," + base64.b64encode(png).decode()
_ENV.tests.update(
    paragraph=lambda b: isinstance(b, m.Paragraph),
    facts=lambda b: isinstance(b, m.Facts),
    table=lambda b: isinstance(b, m.Table),
    figure=lambda b: isinstance(b, m.Figure),
)


def render(document: m.Document) -> bytes:
    """The document as one self-contained UTF-8 HTML page."""
    page = _ENV.get_template("report.html").render(doc=document, numeric=NUMERIC,
                                                   tr=Words(document.lang))
    return page.encode("utf-8")
