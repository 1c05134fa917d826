"""Columnar reads: a query's result as Arrow columns, not as SQLAlchemy rows.

PostGIS streams ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` through psycopg into pyarrow's CSV
parser; SpatiaLite's DBAPI cursor is read in blocks of :data:`BLOCK_ROWS` rows, each block turned
into Arrow columns at once. Both run on the session's own connection, so the
read sees the session's snapshot like every other query of it.

The helpers below turn those columns into what a frame built from SQLAlchemy rows held
(:func:`inferred`, :func:`nullable_ints`, :func:`dates`), or into integer codes whose order is
the values' order (:func:`codes`): keys for sorting and de-duplicating, and categoricals the
engine takes without hashing text.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pandas.api.extensions import ExtensionArray
from sqlalchemy import Select
from sqlalchemy.orm import Session

BLOCK_ROWS = 16_384

TEXT, INT, FLOAT, BOOL, DATE = pa.string(), pa.int64(), pa.float64(), pa.bool_(), "date"


def fetch(session: Session, statement: Select, types: dict[str, pa.DataType | str]) -> pa.Table:
    """Run ``statement`` and return its columns, named and typed as ``types`` says (in order).

    ``DATE`` columns come as their ISO text (``YYYY-MM-DD``): :func:`dates` converts them once
    per distinct value.
    """
    bind = session.get_bind()
    sql = str(statement.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))
    arrow = {name: TEXT if kind == DATE else kind for name, kind in types.items()}
    driver = session.connection().connection.driver_connection
    if bind.dialect.name == "postgresql":
        return _copy(driver, sql, arrow)
    return _blocks(driver, sql, arrow)


def _blocks(driver, sql: str, types: dict[str, pa.DataType]) -> pa.Table:
    # Each block of row tuples becomes one Arrow struct array: the transposition into columns
    # happens in Arrow's C++ converter, not in Python (zip(*rows) took longer than the fetch).
    row_type = pa.struct([pa.field(name, kind) for name, kind in types.items()])
    chunks = []
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(BLOCK_ROWS):
            chunks.append(pa.array(rows, type=row_type))
    finally:
        cursor.close()
    return pa.Table.from_struct_array(pa.chunked_array(chunks, type=row_type))


def _copy(driver, sql: str, types: dict[str, pa.DataType]) -> pa.Table:
    buffer = io.BytesIO()
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return pa.table({name: pa.array([], type=kind) for name, kind in types.items()})
    # CSV COPY writes NULL as an unquoted empty field and an empty text as "": kept apart.
    return pacsv.read_csv(
        pa.BufferReader(buffer.getbuffer()),
        read_options=pacsv.ReadOptions(column_names=list(types), block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )


def codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of ``column`` (-1 for NULL) numbered in the values' sort order, and the
    sorted distinct values they index."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1
    indices = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int32, copy=False)
    return rank[indices], encoded.dictionary.take(pa.array(order))


def categorical(coded: np.ndarray, distinct: pa.Array, rows: np.ndarray) -> pd.Categorical:
    """The rows ``rows`` of a column given by :func:`codes`, as a pandas categorical."""
    return pd.Categorical.from_codes(coded[rows], categories=pd.Index(distinct.to_pandas()))


def current(batch: np.ndarray, keys: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Rows of the current revision of each key, in key order (NULLs first).

    ``keys`` are (codes, number of distinct values) pairs from :func:`codes`. The rows are the
    ones ``frame.sort_values("batch_id").drop_duplicates(key, keep="last")
    .sort_values(key, na_position="first")`` keeps, in its order: the same sort of the batch
    ids, the last row of each key in it.
    """
    combined = np.zeros(len(batch), dtype=np.int64)
    for coded, size in keys:
        combined *= size + 1
        combined += coded.astype(np.int64) + 1
    order = np.argsort(batch, kind="quicksort")[::-1]
    _, last = np.unique(combined[order], return_index=True)
    return order[last]


def inferred(
    column: pa.ChunkedArray, rows: np.ndarray | slice = slice(None)
) -> np.ndarray | ExtensionArray:
    """Rows ``rows`` of the column as pandas infers it from Python values: integers int64
    (float64 with NaN once a NULL is there), text ``str``, every value NULL (or no row)
    object ``None``."""
    if column.null_count == len(column):
        return np.full(len(column), None, dtype=object)[rows]
    if pa.types.is_string(column.type):
        return text(*codes(column), rows)
    return column.to_numpy()[rows]  # NULLs made NaN (float64) by Arrow, as pandas does


def text(coded: np.ndarray, distinct: pa.Array, rows: np.ndarray | slice) -> np.ndarray:
    """Rows of a text column coded by :func:`codes`, as pandas' ``str`` (object ``None``
    when the whole column is NULL, as pandas infers it)."""
    picked = coded[rows]
    if not len(distinct):
        return np.full(len(picked), None, dtype=object)
    return distinct.take(pa.array(picked, mask=picked < 0)).to_pandas().array


def nullable_ints(column: pa.ChunkedArray, rows: np.ndarray | slice) -> ExtensionArray:
    """Rows ``rows`` of an integer column as pandas' nullable ``Int64``."""
    values = pc.fill_null(column, 0).to_numpy().astype(np.int64, copy=False)[rows]
    mask = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)[rows]
    return pd.arrays.IntegerArray(values, mask)


def dates(coded: np.ndarray, distinct: pa.Array, rows: np.ndarray) -> np.ndarray:
    """``datetime.date`` objects (None for NULL) of ISO text coded by :func:`codes`, each
    distinct date parsed once and shared by its rows."""
    table = np.array([*map(dt.date.fromisoformat, distinct.to_pylist()), None], dtype=object)
    return table[coded[rows]]


def datetimes(coded: np.ndarray, distinct: pa.Array, rows: np.ndarray) -> np.ndarray:
    """The dates of :func:`dates` as ``datetime64[s]`` (NaT for NULL)."""
    table = np.r_[np.array(distinct.to_pylist(), dtype="datetime64[s]"), np.datetime64("NaT")]
    return table[coded[rows]]
