"""No new place where text meets a template compiler or is marked safe (issue 12, item 1).

Imported text is data: it never passes through a template compiler (Jinja ``Template``,
``render_template_string``, branca/Folium ``Element``/``MacroElement``) and is never marked
safe (``Markup``, ``|safe``). The few remaining call sites are fed by constants or escape
what they hold; each says why in a comment. A new one fails here until it is reviewed and
added to ``ALLOWED`` with its reason.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
SINK = re.compile(r"(?<![\w.])(?:Element|Template|MacroElement|Markup)\(|"
                  r"branca\.element\.Element\(|render_template_string|\|\s*safe\b|"
                  r"\.from_string\(")
# file -> (number of sinks, why no data reaches them as markup or template source)
ALLOWED = {
    "webmap/mapview.py": (3, "Folium's header, frame and script, built from constants only"),
    "webmap/charts.py": (2, "an SVG of computed numbers and escaped labels; an empty one"),
    "webmap/security.py": (1, "nonced() marks Folium's constant frame, nothing else"),
}


def _sinks() -> dict[str, int]:
    found: dict[str, int] = {}
    for folder in ("webmap", "reports", "rollout"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html") or "vendor" in path.parts:
                continue
            count = len(SINK.findall(path.read_text(encoding="utf-8")))
            if count:
                found[path.relative_to(ROOT).as_posix()] = count
    return found


def test_only_reviewed_template_and_markup_sinks_remain():
    assert _sinks() == {name: count for name, (count, _) in ALLOWED.items()}


def test_the_scan_finds_the_sinks_it_looks_for():
    samples = ["Element(text)", "branca.element.Element(x)", "MacroElement()", "Template(s)",
               "render_template_string(s)", "Markup(s)", "{{ x|safe }}", "{{ x | safe }}",
               "env.from_string(s)"]
    assert [bool(SINK.search(s)) for s in samples] == [True] * len(samples)
    assert not SINK.search("ET.SubElement(root, 'x')") and not SINK.search("ET.Element('x')")
    assert not SINK.search("SimpleDocTemplate(path)")
