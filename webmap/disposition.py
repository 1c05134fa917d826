"""``Content-Disposition`` for every download, built one way (RFC 6266, issue 12 item 8).

A file name may carry data (an operator code, an INSEE code): it never reaches the header
as is. ``filename=`` gets an ASCII fallback restricted to letters, digits, ``.``, ``_`` and
``-`` (no quote, backslash, ``;`` or control character can end the parameter early), and
``filename*=`` the exact name, UTF-8 and percent-encoded (RFC 8187), which browsers prefer.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The header value offering ``filename``: ``inline`` shows it, else a download."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = _UNSAFE.sub("_", ascii_name).strip("._") or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
