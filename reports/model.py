"""The document model every report builds and every renderer reads.

A report is a :class:`Document` of :class:`Section` objects holding blocks: paragraphs, facts
(label / value pairs), tables and figures. Values stay raw (int, float, date, str) with a
``kind`` saying how to show them, so XLSX gets real numbers and dates while PDF and HTML get
text in the document's language (``59 696``, ``42,1 %``, ``31/12/2020`` in French) from one
formatter, :func:`reports.i18n.value_text`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A table column: machine ``key``, shown ``label``, value ``kind``, relative ``width``."""

    key: str
    label: str
    kind: str = "text"
    width: float = 1.0


@dataclass
class Table:
    """A table; ``name`` is its XLSX sheet name (31 characters at most)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str | None = None

    def __post_init__(self) -> None:
        if len(self.name) > 31:
            raise ValueError(f"sheet name {self.name!r} is longer than 31 characters")


@dataclass
class Paragraph:
    """Running text; ``style`` is ``body``, ``small``, ``warning`` or ``lead``."""

    text: str
    style: str = "body"


@dataclass
class Facts:
    """Label / raw value / kind triples shown as a two-column list."""

    rows: list[tuple[str, Any, str]]
    name: str | None = None


@dataclass
class Figure:
    """A PNG image with its caption; ``width_cm`` is its printed width."""

    png: bytes
    caption: str
    width_cm: float = 16.0


Block = Paragraph | Facts | Table | Figure


@dataclass
class Section:
    """A titled part of a report; ``new_page`` starts it on a fresh PDF page."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    new_page: bool = False


@dataclass
class Document:
    """A whole report: metadata, sections, the flat table the CSV export writes, its ``lang``."""

    kind: str
    title: str
    subtitle: str
    as_of: dt.date
    report_id: str
    sections: list[Section]
    csv_table: Table | None = None
    filename: str = "rapport"
    lang: str = "fr"

    def tables(self) -> list[Table]:
        """Every table, in reading order (one XLSX sheet each)."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def facts(self) -> list[tuple[str, Facts]]:
        """Every fact list with its section title."""
        return [(s.title, b) for s in self.sections for b in s.blocks if isinstance(b, Facts)]


# Tables printed (PDF, HTML) show at most this many rows, the first ones: builders order them
# worst first. The XLSX workbook and the CSV file of the same report carry every row.
PRINTED_ROWS = 150


def printed(document: Document, note: Callable[[int, str], str]) -> Document:
    """``document`` with every table longer than :data:`PRINTED_ROWS` cut to that many rows and
    ``note(total rows, sheet name)`` added below it."""
    sections = []
    for section in document.sections:
        blocks = [
            dataclasses.replace(
                b, rows=b.rows[:PRINTED_ROWS],
                note=" ".join(filter(None, [b.note, note(len(b.rows), b.name)])))
            if isinstance(b, Table) and len(b.rows) > PRINTED_ROWS else b
            for b in section.blocks
        ]
        sections.append(dataclasses.replace(section, blocks=blocks))
    return dataclasses.replace(document, sections=sections)


def report_id(*parts: str) -> str:
    """A short stable identifier: the first 12 hex digits of the sha256 of ``parts``."""
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
    return digest[:12].upper()
