"""Frame operations that keep their types when a database holds no row of a kind.

Under pandas 3, ``Series.map`` on an empty series returns ``float64`` whatever the function
returns, and ``pd.concat([])`` raises: a new database (communes only, no works, no site)
meets both. Every mask or concatenation over rows that may be absent goes through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd


def mask(series: pd.Series, predicate: Callable[[Any], bool]) -> pd.Series:
    """``predicate`` of each value as a boolean series on the same index (empty stays bool)."""
    return pd.Series([bool(predicate(v)) for v in series], index=series.index, dtype=bool)


def concat_rows(parts: Iterable[pd.DataFrame], columns: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of every part, in order; with no row at all, the first part (its columns and
    types) or, without parts, an empty frame with ``columns``."""
    parts = list(parts)
    kept = [p for p in parts if len(p)]
    if kept:
        return pd.concat(kept, ignore_index=True)
    if parts:
        return parts[0].iloc[0:0].reset_index(drop=True)
    return pd.DataFrame(columns=list(columns))
