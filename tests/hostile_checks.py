"""Readers of every output format for the hostile-corpus tests: what a user would see (PDF
text, HTML text and elements, XLSX cells, CSV cells), so tests compare it with the payloads."""

from __future__ import annotations

import csv
import io
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook


@dataclass
class HtmlSeen:
    """The text a browser shows, the elements it builds (tag, attributes) and script bodies."""

    text: str = ""
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen = HtmlSeen()
        self._parts: list[str] = []
        self._raw = 0

    def handle_starttag(self, tag, attrs):
        self.seen.elements.append((tag, dict(attrs)))
        self._raw += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._raw -= tag in ("script", "style") and self._raw > 0

    def handle_data(self, data):
        if not self._raw:
            self._parts.append(data)


def html_seen(page: str) -> HtmlSeen:
    """Parse ``page`` as a browser would (entities decoded, script/style bodies not text)."""
    collector = _Collector()
    collector.feed(page)
    collector.close()
    collector.seen.text = "".join(collector._parts)
    return collector.seen


def pdf_text(payload: bytes) -> str:
    """The PDF's text by poppler's pdftotext, whitespace runs folded to one space."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.pdf"
        path.write_bytes(payload)
        out = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                             capture_output=True, text=True).stdout
    return " ".join(out.split())


def xlsx_cells(payload: bytes) -> list:
    """Every cell of every sheet."""
    workbook = load_workbook(io.BytesIO(payload))
    return [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def folded(text: str) -> str:
    """``text`` with whitespace runs folded, as :func:`pdf_text` gives it."""
    return " ".join(text.split())
