"""Decompression and parser bombs (issue 12 item 6): small files that inflate or nest far
past what any reader should hold, written without holding the inflated content."""

from __future__ import annotations

import zipfile
from pathlib import Path

GIB = 1 << 30
_CHUNK = b"0" * (1 << 20)


def zip_bomb(path: Path, member: str = "SUP_SUPPORT.txt", inflated: int = GIB,
             others: tuple[str, ...] = ()) -> Path:
    """A zip whose ``member`` inflates to ``inflated`` bytes of one repeated byte (about
    1 MB for 1 GiB); ``others`` are small members written beside it."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in others:
            archive.writestr(name, "A;B\n1;2\n")
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            for _ in range(inflated // len(_CHUNK)):
                out.write(_CHUNK)
    return path


def anfr_bomb(path: Path) -> Path:
    """An ANFR export whose SUP_SUPPORT.txt inflates to 1 GiB, the other tables present."""
    return zip_bomb(path, others=("SUP_STATION.txt", "SUP_EMETTEUR.txt", "SUP_EXPLOITANT.txt"))


def xlsx_bomb(path: Path) -> Path:
    """An .xlsx whose first sheet inflates to 1 GiB."""
    return zip_bomb(path, member="xl/worksheets/sheet1.xml",
                    others=("[Content_Types].xml", "xl/workbook.xml"))


def single_line(path: Path, size: int = 60 << 20, header: str = "") -> Path:
    """A ``size``-byte file of one line without a newline (after an optional header line)."""
    with open(path, "wb") as out:
        out.write(header.encode("utf-8"))
        for _ in range(size // len(_CHUNK)):
            out.write(_CHUNK)
    return path


def nested_json(path: Path, size: int = 400_000) -> Path:
    """``size`` bytes of nested JSON arrays: ``[[[…]]]``."""
    half = size // 2
    path.write_text("[" * half + "]" * half, encoding="utf-8")
    return path


def nested_geojson(path: Path, depth: int = 100_000) -> Path:
    """A GeoJSON feature collection whose one feature's property nests ``depth`` arrays."""
    nested = "[" * depth + "]" * depth
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"geometry": {"type": "Point", "coordinates": [3.0, 50.6]}, '
                    f'"properties": {{"deep": {nested}}}}}]}}', encoding="utf-8")
    return path
