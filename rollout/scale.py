"""National scale: per-building totals of a building file, streamed through Arrow or Dask.

:func:`aggregate_buildings` gives the per commune x operator totals of a building file
(``geodata.premises.SUMMARY_COLUMNS``) without storing points:

- ``arrow``: ARCEP building files (FORMATS.md §3, the national file) in UTF-8 are parsed by
  Arrow's streaming CSV reader, a block at a time (bounded memory), the next block parsed by
  a thread while this one is checked and summed; every column is checked with the canonical
  reader's own rules, applied once per distinct value;
- ``dask``: the same per-block function over ``dask.dataframe`` file partitions on a cluster
  (``scheduler`` = its address); workers return totals for rows with an INSEE code and the
  few rows without one, which are located here;
- ``pandas``: the canonical reader (``open_premises(...).chunks()`` + ``summarise_chunk``),
  used for IPE files, other encodings and as soon as a fast path meets anything it does not
  take as-is, so that every defect is reported exactly as the canonical reader reports it.

Both fast paths live in :mod:`rollout._scale_fast`. All three give identical totals
(tests/test_scale.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from geodata.premises import SUMMARY_COLUMNS, PremisesFile, open_premises, summarise_chunk

ARROW_BLOCK_BYTES = 16 << 20  # about 1 GB peak RSS for 10 M rows, 35,000 communes included
DASK_BLOCK_BYTES = 64 << 20
_MEASURES = ("premises_total", "connectable", "rad", "abandoned", "buildings")


class Locator(Protocol):
    """What the aggregation needs from ``rollout.spatial.CommuneLocator``."""

    known: set[str]

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray: ...


@dataclass
class BuildingTotals:
    """Totals of one building file: ``summary`` has SUMMARY_COLUMNS, sorted, int64 counts."""

    summary: pd.DataFrame
    rows_read: int
    located: int
    outside: int
    format: str
    as_of: dt.date
    engine: str  # arrow | dask | pandas
    warnings: Counter[str] = field(default_factory=Counter)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.outside


class _NotClean(Exception):
    """A value the fast path does not take as-is: the canonical reader decides."""


def aggregate_buildings(
    path: str | Path,
    locator: Locator,
    *,
    as_of: dt.date | None = None,
    scheduler: str | None = None,
    block_bytes: int | None = None,
    chunksize: int = 250_000,
) -> BuildingTotals:
    """Per commune x operator totals of a building file; see the module docstring.

    Buildings without an INSEE code are located with ``locator``; buildings outside its
    ``known`` communes are counted in ``outside`` and left out. Raises InputError for bad
    input, with the canonical reader's rows and reasons. ``chunksize``: rows per chunk of
    the canonical path.
    """
    opened = open_premises(path, as_of=as_of, chunksize=chunksize)
    if opened.format == "arcep_immeubles" and opened.encoding == "utf-8-sig":
        # Imported here: the fast paths build this module's BuildingTotals (no import cycle).
        from rollout._scale_fast import _arrow_totals, _dask_totals

        try:
            if scheduler is not None:
                return _dask_totals(opened, locator, scheduler, block_bytes or DASK_BLOCK_BYTES)
            return _arrow_totals(opened, locator, block_bytes or ARROW_BLOCK_BYTES)
        except (_NotClean, ValueError):  # ArrowInvalid, UnicodeDecodeError, ParserError
            opened = open_premises(path, as_of=as_of, chunksize=chunksize)
    return aggregate_chunks(opened, locator)


def aggregate_chunks(opened: PremisesFile, locator: Locator) -> BuildingTotals:
    """The single-process reference: canonical chunks, located, summarised, summed."""
    summaries, rows_read, located, outside = [], 0, 0, 0
    for chunk in opened.chunks():
        rows_read += len(chunk)
        inside, found, out = locate_chunk(chunk, locator)
        located, outside = located + found, outside + out
        if len(inside):
            summaries.append(summarise_chunk(inside))
    return BuildingTotals(combine(summaries), rows_read, located, outside, opened.format,
                          opened.as_of, "pandas", opened.warnings)


def locate_chunk(chunk: pd.DataFrame, locator: Locator) -> tuple[pd.DataFrame, int, int]:
    """Fill missing INSEE codes by point in polygon; keep rows in known communes.

    Returns the rows kept, how many were located and how many fell outside.
    """
    insee = chunk["insee"].astype(object).where(chunk["insee"].notna(), None)
    missing = insee.isna().to_numpy()
    located = 0
    if missing.any():
        insee.loc[missing] = locator.locate(
            chunk.loc[missing, "lon"].to_numpy(), chunk.loc[missing, "lat"].to_numpy())
        located = int(pd.notna(insee[missing]).sum())
    inside = insee.isin(locator.known).to_numpy()
    return chunk.assign(insee=insee)[inside], located, int((~inside).sum())


def combine(summaries: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum partial summaries by (insee, operator_code), sorted, operator NA last."""
    if not summaries:
        frame = pd.DataFrame({c: pd.Series(dtype="int64") for c in SUMMARY_COLUMNS})
        return frame.astype({"insee": "str", "operator_code": "str"})
    totals = (pd.concat(summaries, ignore_index=True)
              .astype({"insee": "str", "operator_code": "str"})
              .groupby(["insee", "operator_code"], dropna=False, sort=True)[list(_MEASURES)]
              .sum().reset_index())
    return totals.astype({m: "int64" for m in _MEASURES})[SUMMARY_COLUMNS]
