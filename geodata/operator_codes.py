"""What an operator code may look like (issue 12, item 8).

Codes end up in URLs (``/operators/<code>``), file names (``Content-Disposition``) and
layer names, so every reader that yields one checks it here and refuses the file otherwise:

- ``fixed``: ARCEP's 4-character codes of fixed-network operators (``FRTE``, ``SFR0``,
  ``THD5``): upper-case ASCII letters and digits;
- ``mobile``: the MCC-MNC of a mobile network, 5 digits (``20801``);
- ``licensee``: the code the ANFR reader derives from the name of another radio licensee
  (``TDF``, ``TELEDIFFUSION_DE``): upper-case ASCII letters, digits and ``_``, 16 at most.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PATTERNS = {
    "fixed": re.compile(r"[A-Z0-9]{4}"),
    "mobile": re.compile(r"[0-9]{5}"),
    "licensee": re.compile(r"[A-Z0-9_]{1,16}"),
}
_DESCRIPTIONS = {
    "fixed": "an ARCEP operator code (4 upper-case letters or digits, e.g. FRTE)",
    "mobile": "an MCC-MNC mobile network code (5 digits, e.g. 20801)",
    "licensee": "a radio licensee code (1 to 16 upper-case letters, digits or _)",
}


def is_code(code: str, kinds: Iterable[str]) -> bool:
    """Whether ``code`` is written as one of ``kinds`` (``fixed``, ``mobile``, ``licensee``)."""
    return any(PATTERNS[kind].fullmatch(code) for kind in kinds)


def refusal(kinds: Iterable[str]) -> str:
    """The reason a reader gives for a code that is none of ``kinds``."""
    return "not " + " or ".join(_DESCRIPTIONS[kind] for kind in kinds)
