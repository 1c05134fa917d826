"""The reference dates a user types (``--as-of``, ``?as_of=``): one rule for the CLI and the web.

Accepted: ``YYYY-MM-DD`` (ISO) and ``DD/MM/YYYY`` (French, day first), from 1900-01-01 to
2100-12-31. Later dates overflow date arithmetic (trend projections, quarter ends) and the ZIP
timestamps of XLSX reports (DOS dates end in 2107), earlier ones mean nothing for a rollout.
"""

from __future__ import annotations

import datetime as dt
import re

AS_OF_MIN = dt.date(1900, 1, 1)
AS_OF_MAX = dt.date(2100, 12, 31)
FORMS = "YYYY-MM-DD or DD/MM/YYYY"
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)  # no full-width digits
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def reference_date(raw: str) -> dt.date:
    """The date ``raw`` names, or ValueError saying what was expected."""
    text = raw.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _FRENCH.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(f"{raw!r} is not a date; expected {FORMS}")
    try:
        found = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{raw!r} is not a calendar date") from None
    if not AS_OF_MIN <= found <= AS_OF_MAX:
        raise ValueError(f"{raw!r} is out of range; expected a date from "
                         f"{AS_OF_MIN.isoformat()} to {AS_OF_MAX.isoformat()}")
    return found
