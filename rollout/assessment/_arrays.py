"""Array helpers of the assessment engine: int days, as-of searches, ranges, orderings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

_NAT = np.iinfo(np.int64).min

_SHIFT = np.int64(1 << 32)

_OFF = np.int64(1 << 31)

_EPS = 1e-9

_CHUNK = 1 << 18  # rows per block of a pass over millions of rows: temporaries stay warm

_LAST_DAY = int(np.datetime64("9999-12-31", "D").astype(np.int64))


def _days(values: object, what: str) -> np.ndarray:
    """Dates (datetime.date, datetime64, Timestamp; NA allowed) as int64 days since 1970.

    Text is refused rather than parsed: ``01/02/2021`` must not become 2 January by accident.
    """
    return _as_days(_dates64(values, what))


def _as_days(values: np.ndarray) -> np.ndarray:
    # astype makes a new array: viewing it as int64 saves a second copy of millions of rows.
    return values.astype("datetime64[D]").view(np.int64)


def _dates64(values: object, what: str) -> np.ndarray:
    """The dates of :func:`_days` as a datetime64 array (the caller's own when it is one)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if not pd.api.types.is_datetime64_any_dtype(series):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("date", "datetime", "datetime64", "empty"):
            shown = series.dropna().iloc[0] if series.notna().any() else None
            raise ValueError(f"{what} holds {kind} values such as {shown!r}; expected dates")
        series = pd.to_datetime(series)
    return np.asarray(series.to_numpy())


def _day(value: dt.date | np.datetime64, what: str) -> int:
    days = _days([value], what)[0]
    if days == _NAT:
        raise ValueError(f"{what} was {value!r}; expected a date")
    return int(days)


def _dates(days: np.ndarray) -> np.ndarray:
    """Int days back to datetime.date objects (None for NA), through a small lookup table."""
    out = np.full(len(days), None, dtype=object)
    ok = days != _NAT
    if ok.any():
        low, high = days[ok].min(), days[ok].max()
        if high - low > len(days):
            out[ok] = days[ok].astype("datetime64[D]").astype(object)
        else:
            table = np.arange(low, high + 1).astype("datetime64[D]").astype(object)
            out[ok] = table[days[ok] - low]
    return out


def _nans(size: int) -> np.ndarray:
    """A read-only NaN column of ``size`` rows that takes no memory (a broadcast view)."""
    return np.broadcast_to(np.nan, (size,))


def _floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _count_dtype(counts: pd.Series) -> type:
    """float32 for integer counts exact there (every count and every sum of two below 2**24),
    else float64: half the memory on millions of observations, same results (shares are
    divided in float64)."""
    # The extremes rather than abs().max(): no temporary of millions of rows. NA when every
    # count is unknown.
    low, high = (counts.min(), counts.max()) if len(counts) else (0, 0)
    exact = pd.api.types.is_integer_dtype(counts.dtype) and (
        pd.isna(high) or (-(1 << 23) < low and high < 1 << 23)
    )
    return np.float32 if exact else np.float64


def _keys(group: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One sortable int64 per (group, day): the search keys of :func:`_asof`."""
    keys = group * _SHIFT
    keys += day
    keys += _OFF
    return keys


def _asof(
    group: np.ndarray,
    day: np.ndarray,
    q_group: np.ndarray,
    q_day: np.ndarray,
    keys: np.ndarray | None = None,
) -> np.ndarray:
    """Row of the latest ``day <= q_day`` in ``q_group`` (rows sorted by group, day), else -1.

    ``keys`` are ``_keys(group, day)`` when the caller already has them.
    """
    keys = _keys(group, day) if keys is None else keys
    if len(q_group) > 4 * _CHUNK:
        # Millions of queries: by blocks, so that the temporaries reuse warm memory.
        out = np.empty(len(q_group), dtype=np.int64)
        for a in range(0, len(q_group), _CHUNK):
            part = slice(a, a + _CHUNK)
            out[part] = _asof(group, day, q_group[part], q_day[part], keys)
        return out
    valid = (q_group >= 0) & (q_day != _NAT)
    queries = np.where(valid, q_group * _SHIFT + (q_day + _OFF), -1)
    pos = np.searchsorted(keys, queries, side="right") - 1
    valid &= pos >= 0
    valid[valid] = group[pos[valid]] == q_group[valid]
    return np.where(valid, pos, -1)


def _last_at_or_before(
    t: np.ndarray, lo: np.ndarray, hi: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Last position in each sorted range ``t[lo:hi]`` whose day is <= ``day``, else -1.

    A binary search run on every range at once: about log2(longest range) passes over the
    queries, where a search of the whole array touches log2(all rows) scattered places each.
    """
    first, lo, hi = lo, lo.copy(), hi.copy()
    active = np.flatnonzero(lo < hi)
    while len(active):
        a, b = lo[active], hi[active]
        mid = (a + b) >> 1
        right = t[mid] <= day[active]
        lo[active] = np.where(right, mid + 1, a)
        hi[active] = np.where(right, b, mid)
        active = active[lo[active] < hi[active]]
    return np.where(lo > first, lo - 1, -1)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand half-open ranges [lo, hi) into (owner index, position) pairs, in order."""
    lengths = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), lengths)
    starts = np.cumsum(lengths) - lengths
    return owner, np.arange(lengths.sum()) - np.repeat(starts - lo, lengths)


def _first(
    owner: np.ndarray, pos: np.ndarray, hit: np.ndarray, n: int, last: bool = False
) -> np.ndarray:
    """First (or last) hit position per owner of an expansion from :func:`_ranges`; -1 if none."""
    out = np.full(n, -1, dtype=np.int64)
    o, p = owner[hit], pos[hit]
    if len(o):
        edge = np.r_[o[1:] != o[:-1], True] if last else np.r_[True, o[1:] != o[:-1]]
        out[o[edge]] = p[edge]
    return out


def _take(values: np.ndarray, pos: np.ndarray, fill: object = np.nan) -> np.ndarray:
    if len(values) and (not len(pos) or pos.min() >= 0):
        # Every position found: one gather, no mask (hot on 5 M rows); same dtype as np.where.
        return values[pos].astype(np.result_type(values, fill), copy=False)
    out = values[np.maximum(pos, 0)] if len(values) else np.zeros(len(pos), values.dtype)
    return np.where(pos >= 0, out, fill)


def _group_cumsum(group: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each new value of a sorted ``group``."""
    total = np.cumsum(counts)
    start = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)
    base = (total - counts)[start]
    return total - np.repeat(base, np.diff(np.r_[np.flatnonzero(start), len(group)]))


def _unique(values: np.ndarray, counts: bool = False):
    """Sorted unique values (and their counts): a sort, cheaper than numpy's hash for big arrays."""
    ordered = np.sort(values)
    edge = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, bool)
    if not counts:
        return ordered[edge]
    return ordered[edge], np.diff(np.r_[np.flatnonzero(edge), len(ordered)])


def _reduce_sorted(group: np.ndarray, values: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` over runs of equal ``group`` values (``group`` sorted, every run non-empty)."""
    if not len(group):
        return values[:0]
    return ufunc.reduceat(values, np.flatnonzero(np.r_[True, group[1:] != group[:-1]]))


def _strictly_ordered(key: np.ndarray, t: np.ndarray) -> bool:
    """Whether rows are in strictly increasing (key, day) order, checked by blocks."""
    for a in range(0, max(len(key) - 1, 0), _CHUNK):
        k, d = key[a : a + _CHUNK + 1], t[a : a + _CHUNK + 1]
        up, same = k[1:] > k[:-1], k[1:] == k[:-1]
        if not (up | (same & (d[1:] > d[:-1]))).all():
            return False
    return True


def _day_table(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Rank of every day of ``t``'s span among its distinct days: (rank by offset, days, low).

    None when the days span more than the rows: a sort is then cheaper than the table.
    """
    if not len(t):
        return None
    low = int(t.min())
    span = int(t.max()) - low + 1
    if span > max(len(t), 1 << 16):
        return None
    present = np.zeros(span, bool)
    for a in range(0, len(t), _CHUNK):
        present[t[a : a + _CHUNK] - low] = True
    rank = np.cumsum(present, dtype=np.int32)
    rank -= 1
    return rank, np.flatnonzero(present) + low, low


def _day_rank(t: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Rank of each day among the distinct days, and those days, by a presence table."""
    table = _day_table(t)
    if table is None:
        return None
    rank, days, low = table
    out = np.empty(len(t), np.int32)
    for a in range(0, len(t), _CHUNK):
        out[a : a + _CHUNK] = rank[t[a : a + _CHUNK] - low]
    return out, days


def _dense_order(key: np.ndarray, t: np.ndarray, n_keys: int):
    """Rows in (key, day) order without a sort when (key, day) cells are few.

    Returns (order, key, t, (rank of each day, distinct days)).

    Each row is written into its cell of a key x distinct-day table, and the filled cells are
    read back in order. None when the table would be larger than a few times the rows, or when
    two rows share a cell (duplicates go through the sort that ranks their batches). Rows are
    placed by blocks: the per-row temporaries stay small and warm (fresh memory is what costs
    most on millions of rows).
    """
    found = _day_table(t)
    if found is None:
        return None
    day_rank, days, low = found
    n_days = len(days)
    size = n_keys * n_days
    if size > max(4 * len(t), 1 << 20) or size >= 1 << 62:
        return None
    small = np.int32 if max(size, len(t)) < 1 << 31 else np.int64
    table = np.full(size, -1, small)
    for a in range(0, len(t), _CHUNK):
        cell = key[a : a + _CHUNK] * n_days
        cell += day_rank[t[a : a + _CHUNK] - low]
        table[cell] = np.arange(a, a + len(cell), dtype=small)
    cells = np.flatnonzero(table >= 0)
    if len(cells) != len(t):
        return None
    order = np.empty(len(cells), np.int64)
    for a in range(0, len(cells), _CHUNK):
        order[a : a + _CHUNK] = table[cells[a : a + _CHUNK]]
    del table
    key, rank = np.divmod(cells, n_days, out=(cells, np.empty(len(cells), small)))
    return order, key, days[rank], (rank, days)
