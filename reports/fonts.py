"""DejaVu Sans for PDF reports: full French coverage (accents, « », €, narrow spaces).

Debian's copy (fonts-dejavu-core) is preferred; matplotlib ships the same two files in its
``mpl-data`` folder, which is the fallback on machines without the Debian package.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(matplotlib.get_data_path()) / "fonts" / "ttf",
)


def _find(name: str) -> Path:
    for folder in FOLDERS:
        path = folder / f"{name}.ttf"
        if path.is_file():
            return path
    raise FileNotFoundError(f"{name}.ttf not found in {[str(f) for f in FOLDERS]}")


def register() -> tuple[str, str]:
    """Register the regular and bold faces once; return their reportlab names."""
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(_find(REGULAR))))
        pdfmetrics.registerFont(TTFont(BOLD, str(_find(BOLD))))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR, BOLD
