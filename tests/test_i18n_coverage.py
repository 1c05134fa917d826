"""Every French text the templates and views translate has an English version."""

from __future__ import annotations

import re
from pathlib import Path

from webmap import i18n

WEBMAP = Path(__file__).parent.parent / "webmap"
CALL = re.compile(r"""\b_\(\s*(["'])(.+?)\1\s*\)""")


def test_every_translated_text_has_an_english_version():
    files = [*WEBMAP.glob("templates/*.html"), *WEBMAP.glob("*.py"), *WEBMAP.glob("views/*.py")]
    used = {m.group(2) for f in files for m in CALL.finditer(f.read_text(encoding="utf-8"))}
    assert len(used) > 50  # the scan does find the interface's texts
    missing = sorted(text for text in used if text not in i18n.EN)
    assert missing == []
