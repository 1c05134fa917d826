"""The hostile corpus: text an adversary can put into any field of any file we import.

Operators facing sanctions send the IPE files and commitments; third parties publish the
works feeds; anonymous visitors type into the public site. Every text field of every
importer is filled with these payloads (builders in this module and its users), then every
output surface is checked to show them as literal text (issue 12).

Each payload is a ``Payload`` with a family (what class of flaw it probes), the text itself,
and, where rendering would betray the flaw by a recognisable trace, the ``betrayal``: a
string that must never appear in any output (``49`` for ``{{ 7*7 }}`` is too common a
string to search for, so template payloads compute an unlikely product instead).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    """One hostile text: ``family`` is template | markup | formula | control | huge."""

    family: str
    name: str
    text: str
    betrayal: str | None = None


# 7919 * 7907 = 62 615 533: a template engine that evaluates the expression prints it.
TEMPLATE = [
    Payload("template", "jinja_expression", "{{ 7919*7907 }}", "62615533"),
    Payload("template", "jinja_rce",
            "{{ cycler.__init__.__globals__.os.popen('echo PWNED-$((6*7))').read() }}",
            "PWNED-42"),
    Payload("template", "jinja_statement", "{% for x in range(3) %}LOOPED{% endfor %}",
            "LOOPEDLOOPED"),
    Payload("template", "jinja_comment_open", "{# unterminated comment"),
    Payload("template", "jinja_raw_close", "{% endraw %}{{ 7919*7907 }}", "62615533"),
    Payload("template", "js_template_literal", "${7919*7907}", "62615533"),
    Payload("template", "mako_erb", "<%= 7919*7907 %>${ 7919*7907 }", "62615533"),
]

MARKUP = [
    Payload("markup", "script", "<script>window.__pwned=1</script>"),
    Payload("markup", "img_onerror", '<img src=x onerror="window.__pwned=1">'),
    Payload("markup", "meta_refresh",
            '<meta http-equiv="refresh" content="0;url=http://evil.invalid/">'),
    Payload("markup", "script_close", "</script><script>window.__pwned=1</script>"),
    Payload("markup", "attribute_break", "\"'><svg onload=\"window.__pwned=1\">"),
    Payload("markup", "javascript_link", '<a href="javascript:window.__pwned=1">lien</a>'),
    Payload("markup", "report_request",
            '<img src="/operators/FRTE/delay-report.pdf?as_of=2020-01-01">'),
    Payload("markup", "style_close", "</style><style>body{display:none}</style>"),
    # ReportLab's paragraph mini-language and matplotlib's mathtext.
    Payload("markup", "reportlab_para", '<font size="72" color="red">BIG</font><a href="http://evil.invalid/">x</a>'),
    Payload("markup", "mathtext", r"$\frac{a}{b}$ et $unbalanced"),
    # Balanced "$" pairs are typeset; an unknown command stops the chart if parsed.
    Payload("markup", "mathtext_command", r"$\nosuchcommand{x}$ et $\frac{a}{b}$"),
    Payload("markup", "entities", "&lt;b&gt; &amp;amp; &#x3C;i&#x3E;"),
    Payload("markup", "xml_cdata", "]]><!-- --><![CDATA[x"),
]

FORMULA = [
    Payload("formula", "equals", '=HYPERLINK("http://evil.invalid/","clic")'),
    Payload("formula", "plus", "+1+1"),
    Payload("formula", "minus", "-2+3"),
    Payload("formula", "at", "@SUM(1,2)"),
    Payload("formula", "tab", "\t=1+1"),
    Payload("formula", "carriage_return", "\r=1+1"),
    Payload("formula", "dde", "=cmd|' /C calc'!A0"),
]

CONTROL = [
    Payload("control", "ansi_colour", "\x1b[31mROUGE\x1b[0m"),
    Payload("control", "osc_title", "\x1b]0;pwned\x07titre"),
    Payload("control", "bidi_override", "abc\u202edcba\u202c"),
    Payload("control", "zero_width", "Lil\u200ble"),
    Payload("control", "backspace", "ok\x08\x08KO"),
    Payload("control", "newline", "ligne 1\nligne 2"),
    Payload("control", "nul", "avant\x00après"),
]

HUGE = [
    Payload("huge", "ten_thousand", "A" * 10_000),
    Payload("huge", "ten_thousand_wide", "é" * 10_000),
]

FAMILIES = {"template": TEMPLATE, "markup": MARKUP, "formula": FORMULA, "control": CONTROL,
            "huge": HUGE}
PAYLOADS: list[Payload] = [p for family in FAMILIES.values() for p in family]

# Leads that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def by_name(name: str) -> Payload:
    """The payload called ``name``."""
    for payload in PAYLOADS:
        if payload.name == name:
            return payload
    raise KeyError(f"no payload named {name!r}; expected one of {[p.name for p in PAYLOADS]}")


def betrayals() -> list[str]:
    """Strings that appear in an output only if a payload was executed or evaluated."""
    return [p.betrayal for p in PAYLOADS if p.betrayal]
