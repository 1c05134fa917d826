"""Rows of a frame as the code reads them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def each_row(frame: pd.DataFrame, *, index: bool = True) -> Iterator[Any]:
    """``frame.itertuples()``: one named tuple a row, its columns as attributes.

    Typed ``Any`` because the attributes are the frame's columns, which only the caller knows;
    pandas-stubs would otherwise give every attribute the union of all scalar types.
    """
    return frame.itertuples(index=index)
