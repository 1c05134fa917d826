"""An input file read whole: its bytes or its JSON document, with an InputError for bad content.

Unreadable, empty, NUL-holding or malformed files are refused the same way by
every reader that takes a file at once (works, WZDx, CIFS, ARCEP sites).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geodata.errors import InputError
from geodata.limits import parse_json
from geodata.text import NUL_REASON, detect_encoding, nul_line


def read_input_bytes(path: Path) -> bytes:
    """The bytes of an input file; unreadable or empty files become an InputError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            path.name, f"cannot read file ({exc.strerror})", code="not_found"
        ) from None
    if not data.strip():
        raise InputError.single(path.name, "empty file", code="empty_file")
    return data


def load_json(path: Path) -> Any:
    """Read a JSON file in any usual encoding; syntax errors become an InputError with the line."""
    data = read_input_bytes(path)
    text = data.decode(detect_encoding(data), errors="replace").lstrip("\ufeff")
    if (line := nul_line(text)) is not None:
        raise InputError.single(path.name, NUL_REASON, row=line, code="bad_encoding")
    return parse_json(text, path.name)
