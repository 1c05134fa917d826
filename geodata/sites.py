"""Radio sites (5G and older systems) from ANFR tables or ARCEP "Mon réseau mobile" CSV.

Canonical frame (one row per station), :attr:`SitesRead.frame`:

``station_id`` str, ``operator_code`` str (MCC-MNC such as ``20801``, or a code
derived from the name for other licensees), ``operator_name`` str, ``insee`` str
or None, ``lon``/``lat`` float (WGS84), ``systems`` list[str] (``5G NR 3500``,
``LTE 800`` for ANFR; ``2G``..``5G`` for ARCEP), ``bands`` list[str] (``NR 3500``,
``LTE 800``), ``has_5g`` bool, ``in_service_on`` date or None (earliest 5G
in-service date for 5G sites, else the station's), ``station_in_service_on``
date or None, ``source_row`` int (1-based line), ``source_table`` str.

The ANFR reader lives in :mod:`geodata._sites_anfr`, the ARCEP reader in
:mod:`geodata._sites_arcep` and the frame they share in :mod:`geodata._sites_frame`;
all their public names are importable from here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from geodata._sites_anfr import ANFR_TABLES, OPERATOR_CODES, operator_code, read_anfr
from geodata._sites_arcep import read_arcep_sites
from geodata._sites_frame import COLUMNS, SitesRead
from geodata.errors import InputError
from geodata.text import detect_encoding, normalise_header

__all__ = [
    "ANFR_TABLES",
    "COLUMNS",
    "OPERATOR_CODES",
    "SitesRead",
    "operator_code",
    "read_anfr",
    "read_arcep_sites",
    "read_sites",
]


def read_sites(path: str | Path) -> SitesRead:
    """Read an ANFR export (zip or folder of tables) or an ARCEP sites CSV, chosen by content."""
    path = Path(path)
    if path.is_dir() or zipfile.is_zipfile(path):
        return read_anfr(path)
    if not path.is_file():
        raise InputError.single(str(path), "file not found", code="not_found")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    first = head.decode(detect_encoding(head), errors="replace").splitlines()[:1]
    if first and "code_op" in normalise_header(first[0]):
        return read_arcep_sites(path)
    raise InputError.single(
        path.name,
        "not a radio-site file: expected an ANFR zip or folder of "
        "SUP_*.txt tables, or an ARCEP sites CSV with a 'code_op' column",
        code="unknown_layout",
    )
