"""Assessment engine: each milestone against observed progress as of a date (DESIGN.md).

Pure, vectorised functions over frames: no database, no loop per milestone.
Rules implemented (DESIGN.md "Assessment semantics") and the choices made where it is silent:

- Series: an operator's milestone uses the operator's own progress series in a commune when
  one exists (any row), else the all-operator series (``operator_code`` NA); ``series`` says
  which (``mixed`` for a perimeter whose communes differ). Duplicate observations of one
  series on one day keep the highest ``batch_id`` (the latest import).
- Share = connectable (+ RAD for ``ftth_connectable_or_rad_share``) / premises, the premises
  being the latest ``premises_count`` with ``as_of`` <= the observation date, else the earliest
  known (ties: highest batch, then last method by name). Unknown RAD makes that metric's
  value unknown; unknown premises make every share unknown. Shares above 1 are kept and
  flagged ``over_100``. A perimeter reports its summed premises, the latest vintage among
  its communes and ``mixed`` when their methods differ.
- Perimeter scope: at every date on which some perimeter commune was observed, each commune
  contributes its own latest observation <= that date and numerators and denominators are
  summed (quarterly ARCEP data: identical to summing same-day observations). A date counts
  only once every perimeter commune has an observation; ``oldest_commune_observed_on`` shows
  the stalest one used. Per-commune rates are indicators (``assess_perimeter_breakdown``);
  ``communes_met`` counts the communes whose own indicator has ``target_reached``.
- D <= A: ``value_at_due`` is the latest observation <= D. ``met`` if it reaches T (and the RAD
  share <= ``rad_cap`` when set); else the first later observation <= A that does gives
  ``met_late`` with ``delay_days`` = its date - D (an upper bound for dated observations:
  the target was reached somewhere since the previous one); else ``missed``, ``delay_days`` =
  A - D. A value reaching T with an unknown RAD share under a cap is ``no_data``: never guess.
  ``delay_days`` is 0 when met; ``rad_cap_breached`` and ``rad_share`` describe the observation
  behind the status (value_at_due when due, the latest one otherwise).
- ``shortfall_premises`` = ceil(T x premises) - achieved at the latest observation <= A for
  shares, ceil(T) - achieved for counts; never negative, 0 when met or met late.
- D > A: already reaching T (and the cap) at the latest observation -> ``on_track`` with
  ``projected_on`` = the first observation of the current run reaching it; reaching T with
  the cap breached -> ``at_risk``. Otherwise a least-squares line through the last 4
  observations <= A (known values, at least 2) gives ``projected_on`` = the first day it
  reaches T (not before A + 1); ``at_risk`` if that is after D or the trend is flat or
  decreasing, else ``on_track``.
- ``mobile_5g_sites``: count of the operator's sites with 5G whose ``in_service_on`` <= the day
  (exact days; the register is complete, so no site means 0 and ``observed_on`` is the day
  itself); ``met_late`` on the day the T-th site entered service; trends use the last 4
  in-service dates.
- ``mobile_5g_premises_coverage_share``: covered / premises of the ``coverage`` frame, whose
  rows are observations like progress rows; without that frame: ``no_data``.
- Statuses of a commune on the map: its worst milestone in ``STATUS_ORDER`` (worst first:
  missed, at_risk, met_late, no_data, on_track, met) and its longest delay.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# The metrics of the commitments template; their order indexes the per-metric tables below.
from geodata.commitments import METRICS

STATUS_ORDER = ("missed", "at_risk", "met_late", "no_data", "on_track", "met")
SERIES_KINDS = ("operator", "all_operators", "mixed")
# Machine texts of ``reason`` (no_data, and why a future milestone is at risk).
REASONS = (
    "no_site_data",
    "no_coverage_data",
    "empty_perimeter",
    "perimeter_commune_without_progress",
    "no_progress_series",
    "no_observation_by_due_date",
    "premises_unknown",
    "rad_unknown",
    "rad_unknown_cap_unchecked",
    "fewer_than_2_observations",
    "rad_share_above_cap",
    "trend_flat_or_decreasing",
    "projected_after_due_date",
)
TREND_POINTS = 4

_FTTH, _SITES, _COVER = 0, 1, 2
_FAMILY = np.array([_FTTH, _FTTH, _FTTH, _SITES, _COVER])
_SHARE = np.array([True, True, False, False, True])
_OR_RAD = 1
_NAT = np.iinfo(np.int64).min
_SHIFT = np.int64(1 << 32)
_OFF = np.int64(1 << 31)
_EPS = 1e-9
_CHUNK = 1 << 18  # rows per block of a pass over millions of rows: temporaries stay warm
_LAST_DAY = int(np.datetime64("9999-12-31", "D").astype(np.int64))


# ---------------------------------------------------------------- inputs


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; got {list(frame.columns)}")


def _days(values: object, what: str) -> np.ndarray:
    """Dates (datetime.date, datetime64, Timestamp; NA allowed) as int64 days since 1970.

    Text is refused rather than parsed: ``01/02/2021`` must not become 2 January by accident.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if not pd.api.types.is_datetime64_any_dtype(series):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("date", "datetime", "datetime64", "empty"):
            shown = series.dropna().iloc[0] if series.notna().any() else None
            raise ValueError(f"{what} holds {kind} values such as {shown!r}; expected dates")
        series = pd.to_datetime(series)
    # astype makes a new array: viewing it as int64 saves a second 5 M-row copy.
    return np.asarray(series.to_numpy()).astype("datetime64[D]").view(np.int64)


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


class _Codes:
    """Shared integer codes for string keys (INSEE codes, operators, agreements); NA -> -1."""

    def __init__(self) -> None:
        self.index = pd.Index([], dtype=object)

    def add(self, values: pd.Series) -> np.ndarray:
        if isinstance(values.dtype, pd.CategoricalDtype):
            # Already coded (a low-cardinality key column as pandas stores it): its codes are
            # translated through its categories, no text is hashed (5 M rows: 0.3 s saved).
            codes = values.cat.codes.to_numpy().astype(np.int64)  # a copy: rewritten below
            uniques = values.cat.categories
        else:
            # Factorised as given: Arrow-backed text is encoded natively, 10x faster than objects.
            codes, uniques = pd.factorize(values)
        new = pd.Index(np.asarray(uniques, dtype=object)).difference(self.index)
        if len(new):
            self.index = self.index.append(new)
        table = np.r_[self.index.get_indexer(np.asarray(uniques, dtype=object)), -1]
        # Code -1 (NA) wraps round to the last slot: -1. Rewritten in place (factorize's codes
        # are a fresh array): no second array of millions of rows.
        codes = np.asarray(codes, dtype=np.int64)
        if not codes.flags.writeable:
            codes = codes.copy()
        return np.take(table.astype(np.int64, copy=False), codes, out=codes, mode="wrap")

    def labels(self, codes: np.ndarray) -> np.ndarray:
        table = np.asarray(self.index, dtype=object)
        return np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else None, None)


# ---------------------------------------------------------------- array helpers


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


# ---------------------------------------------------------------- series


class _Inputs:
    """Validated inputs as integer-coded numpy arrays."""

    def __init__(self, milestones, perimeters, progress, premises_counts, sites, coverage) -> None:
        _require(
            milestones,
            "milestones",
            (
                "milestone_id",
                "agreement_id",
                "operator_code",
                "insee",
                "metric",
                "target",
                "due_on",
                "rad_cap",
            ),
        )
        _require(perimeters, "perimeters", ("agreement_id", "insee"))
        _require(
            progress, "progress", ("insee", "operator_code", "observed_on", "connectable", "rad")
        )
        _require(premises_counts, "premises_counts", ("insee", "as_of", "premises", "method"))
        self.geo, self.op, self.agr = _Codes(), _Codes(), _Codes()
        unknown = sorted(set(pd.unique(milestones["metric"].dropna())) - set(METRICS))
        if unknown or milestones["metric"].isna().any():
            raise ValueError(f"metric was {unknown or [None]}; expected one of {sorted(METRICS)}")
        self.m_frame = milestones.reset_index(drop=True)
        m = self.m_frame
        metric, names = pd.factorize(m["metric"])
        self.m_mc = pd.Index(METRICS).get_indexer(names)[metric]
        self.m_op = self.op.add(m["operator_code"])
        self.m_geo = self.geo.add(m["insee"])
        # Agreements matter only to whole-perimeter milestones: code those rows alone.
        whole = np.flatnonzero(self.m_geo < 0)
        self.m_agr = np.full(len(m), -1, dtype=np.int64)
        self.m_agr[whole] = self.agr.add(m["agreement_id"].iloc[whole])
        self.m_due = _days(m["due_on"], "milestones.due_on")
        self.m_target = _floats(m["target"])
        self.m_cap = _floats(m["rad_cap"])
        if (self.m_due == _NAT).any() or np.isnan(self.m_target).any():
            raise ValueError("milestones need a due_on date and a target on every row")
        if (self.m_op < 0).any():
            raise ValueError("milestones need an operator_code on every row")
        if (~np.isnan(self.m_cap) & (_FAMILY[self.m_mc] != _FTTH)).any():
            raise ValueError("rad_cap applies to FTTH metrics only")
        per = perimeters.drop_duplicates(["agreement_id", "insee"])
        self.p_agr, self.p_geo = self.agr.add(per["agreement_id"]), self.geo.add(per["insee"])
        order = np.argsort(self.p_agr, kind="stable")
        self.p_agr, self.p_geo = self.p_agr[order], self.p_geo[order]
        self.progress = self._observations(progress, "progress", "connectable", "rad")
        pc = premises_counts
        p_geo, p_asof = self.geo.add(pc["insee"]), _days(pc["as_of"], "premises_counts.as_of")
        p_batch = _floats(pc["batch_id"]) if "batch_id" in pc else np.full(len(pc), np.nan)
        methods, names = pd.factorize(pc["method"], sort=True)
        self.methods = [*map(str, names), "coverage"]
        # Same commune and date: the highest batch wins, then the last method by name, so
        # the choice never depends on row order (reports must be deterministic).
        order = np.lexsort((methods, np.nan_to_num(p_batch, nan=-1), p_asof, p_geo))
        self.pc = {
            "geo": p_geo[order],
            "as_of": p_asof[order],
            "premises": _floats(pc["premises"])[order],
            "method": methods[order],
            "batch": p_batch[order],
        }
        self.coverage = None
        if coverage is not None:
            _require(
                coverage, "coverage", ("insee", "operator_code", "as_of", "covered", "premises")
            )
            cov = coverage.rename(columns={"as_of": "observed_on"})
            self.coverage = self._observations(cov, "coverage", "covered", "premises")
        self.sites = None
        if sites is not None:
            _require(
                sites, "sites", ("station_id", "operator_code", "insee", "has_5g", "in_service_on")
            )
            s = sites[sites["has_5g"].fillna(False).astype(bool)]
            day = _days(s["in_service_on"], "sites.in_service_on")
            frame = pd.DataFrame(
                {
                    "station": s["station_id"].to_numpy(dtype=object),
                    "op": self.op.add(s["operator_code"]),
                    "geo": self.geo.add(s["insee"]),
                    "t": day,
                }
            )[day != _NAT]
            # One station counts once per operator, from its earliest in-service day.
            frame = frame.sort_values("t").drop_duplicates(["station", "op"])
            self.sites = {k: frame[k].to_numpy() for k in ("op", "geo", "t")}

    def _observations(self, frame: pd.DataFrame, name: str, first: str, second: str) -> dict:
        t = _days(frame["observed_on"], f"{name}.observed_on")
        if (t == _NAT).any():
            raise ValueError(f"{name}.observed_on must be a date on every row")
        batch = _floats(frame["batch_id"]) if "batch_id" in frame else _nans(len(frame))
        counted = _floats(frame[first])
        if np.isnan(counted).any():
            raise ValueError(f"{name}.{first} must be a count on every row")
        return {
            "op": self.op.add(frame["operator_code"]),
            "geo": self.geo.add(frame["insee"]),
            "t": t,
            "a": counted,
            "b": _floats(frame[second]),
            "batch": batch,
        }


def _members(inp: _Inputs, s_op, s_kind, s_place):
    """(scope, operator, commune) rows: a commune scope is its own member, a perimeter has many."""
    own = np.flatnonzero(s_kind == 0)
    per = np.flatnonzero(s_kind == 1)
    lo = np.searchsorted(inp.p_agr, s_place[per], "left")
    hi = np.searchsorted(inp.p_agr, s_place[per], "right")
    owner, pos = _ranges(lo, hi)
    scope = np.r_[own, per[owner]]
    return scope, s_op[scope], np.r_[s_place[own], inp.p_geo[pos]]


def _sources(obs: dict, need: np.ndarray, n_geo: int) -> tuple[dict, np.ndarray]:
    """Observations of the series that needed (operator, commune) keys use, and each key's source.

    A source is an operator's own series in a commune (key ``(op + 1) * n_geo + geo``), else the
    commune's all-operator series (key ``geo``), shared by every operator lacking its own.
    """
    # (op + 1) * n_geo + geo is geo itself for the all-operator rows (op -1). Built in place:
    # every temporary of 5 M rows costs fresh memory.
    src = obs["op"] + 1
    src *= n_geo
    src += obs["geo"]
    # Keys are small dense integers: presence tables instead of sorts (linear in the rows).
    size = int(max(src.max(initial=-1), need.max(initial=-1) + n_geo)) + 1
    own = np.zeros(size, bool)
    own[src] = True  # no mask over 5 M rows: the all-operator keys are cleared after
    own[: n_geo - 1] = False  # keys below n_geo - 1 are communes (all-operator series)
    if src.min(initial=0) < 0:  # key -1 (no commune) wrapped round to the last slot: recount
        own[-1] = size - 1 >= n_geo - 1 and bool((src == size - 1).any())
    need_src = np.where(own[need + n_geo], need + n_geo, need % n_geo)
    wanted = np.zeros(size, bool)
    wanted[need_src] = True
    used = wanted[src]
    rows = None if used.all() else np.flatnonzero(used)
    key, t = (src, obs["t"]) if rows is None else (src[rows], obs["t"][rows])
    # Same series, same day: the highest batch (the latest import) wins. One int64 sort key
    # (series, day); the batch joins it only when batches differ (3x faster on 5 M rows).
    batch = obs["batch"] if rows is None else obs["batch"][rows]
    constant = not len(batch) or np.isnan(batch).all() or (batch == batch[0]).all()
    dense = ranked = None
    if constant and _strictly_ordered(key, t):
        picked = rows  # already in (series, day) order, one row a day: no sort (O(n) check)
    elif key.min(initial=0) >= 0 and (dense := _dense_order(key, t, size)) is not None:
        # One row per (series, day) on a small grid of series x distinct days: rows are
        # placed in their cells, read back in order (linear, where a sort costs 1 s on 5 M rows).
        order, key, t, ranked = dense
        picked = order if rows is None else rows[order]
    else:
        series_day = key * _SHIFT
        series_day += t
        series_day += _OFF
        key = src = None  # rebuilt from the sorted keys: freed before the sort's arrays
        if constant:
            order = np.argsort(series_day, kind="stable")
        else:
            order = np.lexsort((np.nan_to_num(batch, nan=-1), series_day))
        series_day = series_day[order]
        keep = np.r_[series_day[1:] != series_day[:-1], True][: len(series_day)]
        if not keep.all():
            order, series_day = order[keep], series_day[keep]
        picked = order if rows is None else rows[order]
        key, t = series_day >> 32, (series_day & 0xFFFFFFFF) - _OFF  # // and % _SHIFT

    def pick(values: np.ndarray) -> np.ndarray:
        return values if picked is None else values[picked]  # None: every row, in order

    # Only the fields used downstream are gathered: each one is a 5 M-row random access.
    out = {"key": key, "t": t, "a": pick(obs["a"]), "b": pick(obs["b"]), "ranked": ranked}
    out["batch"] = (
        np.broadcast_to(batch[0], (len(t),)) if constant and len(batch) else (pick(obs["batch"]))
    )
    # A source key is (op + 1) * n_geo + geo or geo: the commune is its remainder, divided
    # out once per series (keys are sorted now) and repeated over the series' rows.
    if obs["geo"].min(initial=0) >= 0:
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]][: len(key)])
        out["geo"] = np.repeat(key[starts] % n_geo, np.diff(np.r_[starts, len(key)]))
    else:
        out["geo"] = pick(obs["geo"])
    return out, need_src


def _strictly_ordered(key: np.ndarray, t: np.ndarray) -> bool:
    """Whether rows are in strictly increasing (key, day) order, checked by blocks."""
    for a in range(0, max(len(key) - 1, 0), _CHUNK):
        k, d = key[a : a + _CHUNK + 1], t[a : a + _CHUNK + 1]
        up, same = k[1:] > k[:-1], k[1:] == k[:-1]
        if not (up | (same & (d[1:] > d[:-1]))).all():
            return False
    return True


def _day_rank(t: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Rank of each day among the distinct days, and those days, by a presence table.

    None when the days span more than the rows: a sort is then cheaper than the table.
    """
    if not len(t):
        return None
    low = t.min()
    span = int(t.max() - low) + 1
    if span > max(len(t), 1 << 16):
        return None
    offset = np.subtract(t, low, out=np.empty(len(t), np.int32), casting="unsafe")
    present = np.zeros(span, bool)
    present[offset] = True
    rank = np.cumsum(present, dtype=np.int32)
    rank -= 1
    return np.take(rank, offset, out=offset), np.flatnonzero(present) + low


def _dense_order(key: np.ndarray, t: np.ndarray, n_keys: int):
    """Rows in (key, day) order without a sort when (key, day) cells are few.

    Returns (order, key, t, (rank of each day, distinct days)).

    Each row is written into its cell of a key x distinct-day table, and the filled cells are
    read back in order. None when the table would be larger than a few times the rows, or when
    two rows share a cell (duplicates go through the sort that ranks their batches).
    """
    ranked = _day_rank(t)
    if ranked is None:
        return None
    rank, days = ranked
    size = n_keys * len(days)
    if size > max(4 * len(t), 1 << 20) or size >= 1 << 62:
        return None
    small = np.int32 if max(size, len(t)) < 1 << 31 else np.int64
    cell = np.multiply(key, len(days), out=np.empty(len(t), small), casting="unsafe")
    cell += rank
    del rank
    table = np.full(size, -1, small)
    table[cell] = np.arange(len(t), dtype=small)
    del cell
    cells = np.flatnonzero(table >= 0)
    if len(cells) != len(t):
        return None
    order = table[cells].astype(np.int64)
    del table
    key, rank = np.divmod(cells, len(days), out=(cells, np.empty(len(cells), small)))
    return order, key, days[rank], (rank, days)


def _premises_at(pc: dict, geo: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Denominator row of (commune, day): the latest count as of the day, else the earliest."""
    pos = _asof(pc["geo"], pc["as_of"], geo, t)
    early = np.flatnonzero(pos < 0)
    if len(early):
        geo = geo[early]
        first = np.searchsorted(pc["geo"], geo, "left")
        known = first < len(pc["geo"])
        known[known] = pc["geo"][first[known]] == geo[known]
        earliest = _take(pc["as_of"], np.where(known, first, -1), _NAT)
        pos[early] = _asof(pc["geo"], pc["as_of"], geo, earliest)
    return pos


def _premises_grid(pc: dict, days: np.ndarray, n_geo: int) -> np.ndarray:
    """:func:`_premises_at` for every (commune, day) of ``days``, as a flat commune x day grid.

    Each count is written at the first day it applies to, then carried forward along the
    days (counts are sorted by commune, date and precedence, so the latest row wins); the
    days before a commune's first count take its earliest one.
    """
    n_days = len(days)
    first_day = np.searchsorted(days, pc["as_of"], "left")
    rows = np.flatnonzero((first_day < n_days) & (pc["geo"] >= 0))
    cell = pc["geo"][rows] * n_days + first_day[rows]
    last = np.r_[cell[1:] != cell[:-1], True][: len(cell)]
    grid = np.full(n_geo * n_days, -1, np.int64)
    grid[cell[last]] = rows[last]
    grid = np.maximum.accumulate(grid.reshape(n_geo, n_days), axis=1).ravel()
    empty = np.flatnonzero(grid < 0)
    if len(empty) and len(pc["geo"]):
        geo = np.arange(n_geo)
        first = np.minimum(np.searchsorted(pc["geo"], geo, "left"), len(pc["geo"]) - 1)
        known = pc["geo"][first] == geo if len(first) and len(pc["geo"]) else np.zeros(n_geo, bool)
        earliest = _asof(pc["geo"], pc["as_of"], np.where(known, geo, -1), pc["as_of"][first])
        grid[empty] = earliest[empty // n_days]
    return grid


def _with_premises(inp: _Inputs, c: dict, n_geo: int) -> dict:
    """Attach the denominator: latest premises count as of the observation, else the earliest."""
    pc = inp.pc
    ranked = c.pop("ranked", None)
    if c["geo"].min(initial=0) < 0:  # observations without a commune: searched one by one
        ranked = None
    elif ranked is None:
        ranked = _day_rank(c["t"])
    if ranked is not None and n_geo * len(ranked[1]) <= len(c["t"]) // 2:
        # Operators share their communes' denominators: looked up once per (commune, day) of
        # a small grid, then read per observation.
        rank, days = ranked
        cell = c["geo"] * len(days)
        cell += rank
        del rank, ranked
        pos = np.take(_premises_grid(pc, days, n_geo), cell, out=cell)
    else:
        pos = _premises_at(pc, c["geo"], c["t"])
    del c["geo"]  # needed for the denominator only: freed before the next 5 M-row columns
    c.update(
        conn=c["a"],
        rad=c["b"],
        den=_take(pc["premises"], pos),
        fact=pos,  # the count's row: its date, method and batch are read where reported
    )
    return c


def _source_rows(c: dict) -> tuple[dict, np.ndarray]:
    """Series rows of the sources themselves (numbered from 0) and their sorted keys."""
    first = np.r_[True, c["key"][1:] != c["key"][:-1]] if len(c["key"]) else np.zeros(0, bool)
    names = ("t", "conn", "rad", "den", "fact")
    rows = {k: c[k] for k in names}
    gid = np.cumsum(first)
    gid -= 1
    rows.update(gid=gid, pbatch=c["batch"], oldest=c["t"])
    return rows, c["key"][first]


def _aggregate(
    c: dict, facts: dict, m_scope, m_key, n_scopes: int
) -> tuple[dict, dict, np.ndarray]:
    """Sum members' latest observations per (scope, date); a date needs every member observed.

    Returns the rows, the denominator facts of each row (latest vintage, method or ``-2`` for
    mixed, batch) and the number of members without a series per scope.
    """
    lo = np.searchsorted(c["key"], m_key, "left")
    hi = np.searchsorted(c["key"], m_key, "right")
    missing = np.bincount(m_scope, weights=hi == lo, minlength=n_scopes)
    owner, pos = _ranges(lo, hi)
    dates = _unique(m_scope[owner] * _SHIFT + (c["t"][pos] + _OFF))
    d_scope, d_t = dates // _SHIFT, dates % _SHIFT - _OFF
    owner, cell = _ranges(
        np.searchsorted(d_scope, m_scope, "left"), np.searchsorted(d_scope, m_scope, "right")
    )
    used = _asof(c["key"], c["t"], m_key[owner], d_t[cell])
    order = np.argsort(cell, kind="stable")
    cell, used = cell[order], used[order]
    n = len(dates)
    rows = {
        "scope": d_scope,
        "t": d_t,
        "complete": np.bincount(cell, weights=used < 0, minlength=n) == 0,
    }
    for name in ("conn", "rad", "den"):
        rows[name] = np.bincount(cell, weights=_take(c[name], used), minlength=n)
    fact = _take(c["fact"], used, -1)
    for name, fill in (("den_as_of", _NAT), ("method", -1), ("pbatch", np.nan), ("mbatch", np.nan)):
        values = (
            _take(c["batch"], used, fill) if name == "pbatch" else _take(facts[name], fact, fill)
        )
        low = _reduce_sorted(cell, values, np.fmin)
        high = _reduce_sorted(cell, values, np.fmax)
        rows[name] = (
            high
            if name == "den_as_of"
            else np.where(low == high, high, -2 if name == "method" else np.nan)
        )
    rows["oldest"] = _reduce_sorted(cell, _take(c["t"], used, _NAT), np.minimum)
    keep = rows.pop("complete")
    rows = {k: v[keep] for k, v in rows.items()}
    own_facts = {k: rows.pop(k) for k in ("den_as_of", "method", "mbatch")}
    return rows, own_facts, missing


def _site_rows(inp: _Inputs, m_scope, m_key, n_geo: int) -> dict:
    """Cumulative count of 5G sites in service per (scope, in-service day)."""
    s = inp.sites
    key = s["op"] * n_geo + s["geo"]
    order = np.lexsort((s["t"], key))
    key, t = key[order], s["t"][order]
    owner, pos = _ranges(np.searchsorted(key, m_key, "left"), np.searchsorted(key, m_key, "right"))
    cells, counts = _unique(m_scope[owner] * _SHIFT + (t[pos] + _OFF), counts=True)
    scope = cells // _SHIFT
    nan = np.full(len(cells), np.nan)
    return {
        "scope": scope,
        "t": cells % _SHIFT - _OFF,
        "conn": _group_cumsum(scope, counts).astype(float),
        "rad": nan,
        "den": nan,
        "fact": np.full(len(cells), -1),
        "pbatch": nan,
        "oldest": np.full(len(cells), _NAT),
    }


def _series(inp: _Inputs, scopes: np.ndarray, n_op: int, n_place: int) -> tuple[dict, dict]:
    """Observation rows sorted by (series id, date) and, per scope, its series id and facts.

    Commune scopes point at their source series (operators without their own series share the
    all-operator one); perimeters and 5G site counts get series of their own.
    """
    n, n_geo = len(scopes), len(inp.geo.index) + 1
    s_place, rest = scopes % n_place, scopes // n_place
    s_op, rest = rest % n_op, rest // n_op
    s_fam, s_kind = rest % 3, rest // 3
    info = {
        "gid": np.full(n, -1),
        "kind": np.full(n, -1),
        "total": np.zeros(n, np.int64),
        "missing": np.zeros(n, np.int64),
        "perimeter": s_kind == 1,
    }
    blocks, base = [], 0
    # Denominator facts (date, method, batch) of the rows, read at the few positions reported:
    # the premises counts first, then those of coverage observations and perimeter sums.
    pc = inp.pc
    fact_blocks = [{"den_as_of": pc["as_of"], "method": pc["method"], "mbatch": pc["batch"]}]
    n_facts = len(pc["as_of"])

    def add_facts(facts: dict) -> int:
        nonlocal n_facts
        fact_blocks.append(facts)
        n_facts += len(facts["den_as_of"])
        return n_facts - len(facts["den_as_of"])

    def add_scoped(rows: dict) -> None:
        nonlocal base
        ids = _unique(rows["scope"])
        rows["gid"] = base + np.searchsorted(ids, rows.pop("scope"))
        info["gid"][ids] = base + np.arange(len(ids))
        blocks.append(rows)
        base += len(ids)

    # Progress is read once, here: released so that its 5 M-row arrays can be freed early.
    progress, inp.progress = inp.progress, None
    c = rows = None
    for fam, obs in ((_FTTH, progress), (_SITES, inp.sites), (_COVER, inp.coverage)):
        idx = np.flatnonzero(s_fam == fam)
        local, m_op, m_geo = _members(inp, s_op[idx], s_kind[idx], s_place[idx])
        m_scope, m_key = idx[local], m_op * n_geo + m_geo
        info["total"] += np.bincount(m_scope, minlength=n)
        if not len(idx) or obs is None:
            continue
        if fam == _SITES:
            add_scoped(_site_rows(inp, m_scope, m_key, n_geo))
            info["kind"][idx] = 0
            continue
        need = _unique(m_key)
        c, need_src = _sources(obs, need, n_geo)
        m_src = need_src[np.searchsorted(need, m_key)]
        # Series kind per scope: 0 own, 1 all-operator, 2 mixed across a perimeter's communes.
        kmin, kmax = np.full(n, 9), np.full(n, -1)
        np.minimum.at(kmin, m_scope, (m_src < n_geo).astype(int))
        np.maximum.at(kmax, m_scope, (m_src < n_geo).astype(int))
        info["kind"][idx] = np.where(kmin == kmax, kmax, 2)[idx]
        if fam == _FTTH:
            c = _with_premises(inp, c, n_geo)
            facts = fact_blocks[0]
        else:
            size = len(c["t"])
            facts = {
                "den_as_of": c["t"],
                "method": np.full(size, len(inp.methods) - 1),
                "mbatch": c["batch"],
            }
            first = add_facts(facts)
            c.update(conn=c["a"], rad=np.full(size, np.nan), den=c["b"])
            c["fact"] = np.arange(size)
        c_fact = c["fact"]
        alone = ~info["perimeter"][m_scope]
        rows, keys = _source_rows(c)
        at = np.minimum(np.searchsorted(keys, m_src[alone]), max(len(keys) - 1, 0))
        found = keys[at] == m_src[alone] if len(keys) else np.zeros(alone.sum(), bool)
        info["gid"][m_scope[alone]] = np.where(found, base + at, -1)
        info["missing"][m_scope[alone]] += ~found
        rows["gid"] += base
        if fam != _FTTH:
            rows["fact"] = c_fact + first
        blocks.append(rows)
        base += len(keys)
        rows, own_facts, missing = _aggregate(c, facts, m_scope[~alone], m_src[~alone], n)
        rows["fact"] = add_facts(own_facts) + np.arange(len(rows["t"]))
        info["missing"] += missing.astype(np.int64)
        add_scoped(rows)
    facts = {
        k: np.concatenate([np.asarray(f[k]) for f in fact_blocks])
        if len(fact_blocks) > 1
        else np.asarray(fact_blocks[0][k])
        for k in ("den_as_of", "method", "mbatch")
    }
    names = ("gid", "t", "conn", "rad", "den", "fact", "pbatch", "oldest")
    blocks = [b for b in blocks if len(b["t"])] or [{k: np.zeros(0, np.int64) for k in names}]
    if len(blocks) == 1:
        return {**blocks[0], "facts": facts}, info
    # Blocks are numbered one after the other, each sorted by (series id, date): no sort needed.
    # Joined one column at a time, each block's column freed as soon as it is copied (the
    # blocks hold the only references left), so that the peak memory stays about one column.
    progress = obs = c = rows = None
    shared = all(b["oldest"] is b["t"] for b in blocks)
    series = {}
    for k in names:
        if k == "oldest" and shared:
            series[k] = series["t"]
            continue
        series[k] = np.concatenate([b.pop(k) for b in blocks])
        if k == "t" and shared:
            for b in blocks:
                del b["oldest"]
    series["facts"] = facts
    return series, info


class _State:
    """Metric value and RAD-cap state of cases at series positions (-1: no observation)."""

    def __init__(self, s: dict, cases: dict, i: np.ndarray | None, pos: np.ndarray) -> None:
        # Per-case flags are tested on the cases first: a flag that is uniform there is never
        # expanded to the (up to 5 M) positions, nor its branch computed.
        def case(name: str) -> np.ndarray:
            return cases[name] if i is None else cases[name][i]

        mc, target, cap = cases["mc"], case("target"), cases["cap"]
        self.conn = _take(s["conn"], pos)
        if (_FAMILY[mc] == _SITES).any():
            sites = _FAMILY[case("mc")] == _SITES
            self.conn = np.where((pos < 0) & sites, 0.0, self.conn)
        self.rad, self.den = _take(s["rad"], pos), _take(s["den"], pos)
        or_rad = mc == _OR_RAD
        self.num = self.conn
        if or_rad.all():
            self.num = self.conn + self.rad
        elif or_rad.any():
            self.num = np.where(case("mc") == _OR_RAD, self.conn + self.rad, self.conn)
        share = _SHARE[mc]
        with np.errstate(divide="ignore", invalid="ignore"):
            if share.all():
                self.value = self.num / self.den
            elif share.any():
                self.value = np.where(_SHARE[case("mc")], self.num / self.den, self.num)
            else:
                self.value = self.num
            self.rad_share = self.rad / self.den
        self.reach = self.value >= target
        # cap: 1 respected or none, 0 breached, -1 unknown (RAD not published)
        self.cap = np.ones(len(pos), np.int8)
        if (~np.isnan(cap)).any():
            cap = case("cap")
            capped = ~np.isnan(cap)
            unknown = capped & np.isnan(self.rad_share)
            self.cap -= (capped & ~unknown & ~(self.rad_share <= cap)) + 2 * unknown
        self.reached = self.reach & (self.cap == 1)


def _scan(
    s: dict, cases: dict, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray, hit, last: bool = False
) -> np.ndarray:
    """First (or last) position in [lo, hi) where ``hit(_State)`` holds, per case; -1 if none.

    The ranges are expanded about ``_CHUNK`` positions at a time: millions of positions at once
    cost more in fresh memory for the temporaries than in arithmetic.
    """
    out = np.full(len(idx), -1, dtype=np.int64)
    sizes = np.cumsum(np.maximum(hi - lo, 0))
    cuts = (
        np.unique(np.searchsorted(sizes, np.arange(_CHUNK, sizes[-1], _CHUNK)))
        if len(sizes)
        else np.zeros(0, np.int64)
    )
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(idx)], strict=True):
        owner, pos = _ranges(lo[a:b], hi[a:b])
        out[a:b] = _first(owner, pos, hit(_State(s, cases, idx[a:b][owner], pos)), b - a, last)
    return out


def _may_reach(
    s: dict, cases: dict, idx: np.ndarray, gid: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """False for cases whose target is above every value of their series: they never reach it.

    Values are those of :class:`_State` (per metric); unknown values never rule a case out.
    """
    out = np.ones(len(idx), bool)
    if len(bounds) < 2:
        return out
    mc, value = cases["mc"][idx], np.empty(len(s["t"]))
    for metric in np.unique(mc[gid >= 0]):
        num = s["conn"] + s["rad"] if metric == _OR_RAD else s["conn"]
        if _SHARE[metric]:
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(num, s["den"], out=value)
        else:
            value[:] = num
        highest = np.fmax.reduceat(value, bounds[:-1])
        these = np.flatnonzero((mc == metric) & (gid >= 0))
        out[these] = ~(cases["target"][idx[these]] > highest[gid[these]])
    return out


def _least_count(share: np.ndarray, premises: np.ndarray) -> np.ndarray:
    """Smallest integer n with n / premises >= share (the same test as the status)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.ceil(share * premises)
        n = np.where((n - 1) / premises >= share, n - 1, n)
        return np.where(n / premises < share, n + 1, n)


def _trend(s: dict, cases: dict, i: np.ndarray, p_asof: np.ndarray, start: np.ndarray, as_of: int):
    """Least-squares line through the last observations <= A: (points, slope, crossing day)."""
    pos = p_asof[:, None] - np.arange(TREND_POINTS)[None, :]
    pos = np.where(pos >= start[:, None], pos, -1)
    flat_i = np.repeat(i, TREND_POINTS)
    y = _State(s, cases, flat_i, pos.ravel()).value.reshape(pos.shape)
    x = (_take(s["t"], pos.ravel(), _NAT).reshape(pos.shape) - as_of).astype(float)
    ok = (pos >= 0) & ~np.isnan(y)
    count = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.where(ok, x, 0).sum(axis=1) / count
        ym = np.where(ok, y, 0).sum(axis=1) / count
        dx, dy = np.where(ok, x - xm[:, None], 0), np.where(ok, y - ym[:, None], 0)
        slope = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
        cross = xm + (cases["target"][i] - ym) / slope
    return count, slope, cross


def _evaluate(inp: _Inputs, cases: dict, as_of: int) -> dict:
    """Status and figures of every case (a milestone on one scope), all at once."""
    n, mc, due_on, target = len(cases["mc"]), cases["mc"], cases["due"], cases["target"]
    fam, sites = _FAMILY[mc], _FAMILY[mc] == _SITES
    n_op, n_place = len(inp.op.index) + 1, max(len(inp.geo.index), len(inp.agr.index)) + 1
    skey = ((cases["kind"] * 3 + fam) * n_op + cases["op"]) * n_place + cases["place"]
    scopes = _unique(skey)
    sc = np.searchsorted(scopes, skey)
    s, info = _series(inp, scopes, n_op, n_place)
    gid = info["gid"][sc]
    # Rows of series g are bounds[g]:bounds[g + 1]; a case without a series gets an empty range.
    n_gid = int(s["gid"][-1]) + 1 if len(s["gid"]) else 0
    bounds = np.searchsorted(s["gid"], np.arange(n_gid + 1))
    known = gid >= 0
    start = np.where(known, bounds[np.where(known, gid, 0)], 0)
    end = np.where(known, bounds[np.where(known, gid + 1, 0)], 0)
    due = due_on <= as_of
    # The latest observation <= A is the same for every case of a series: searched per series.
    now_of = _last_at_or_before(s["t"], bounds[:-1], bounds[1:], np.full(n_gid, as_of))
    p_now = _take(now_of, gid, -1)
    p_due = np.full(n, -1)
    d = np.flatnonzero(due & known)
    p_due[d] = _last_at_or_before(s["t"], start[d], end[d], due_on[d])
    at_due, now = _State(s, cases, None, p_due), _State(s, cases, None, p_now)
    status = np.full(n, STATUS_ORDER.index("no_data"), np.int8)
    reason = np.full(n, -1, np.int8)
    delay, upper = np.full(n, np.nan), np.zeros(n, bool)
    met_pos, projected = np.full(n, -1), np.full(n, _NAT)

    def mark(where: np.ndarray, what: str, why: str | None = None) -> None:
        status[where] = STATUS_ORDER.index(what)
        reason[where] = -1 if why is None else REASONS.index(why)

    # Structural gaps come first: nothing to assess, whatever the dates.
    blocked = np.zeros(n, bool)
    for cond, why in (
        ((fam == _SITES) & (inp.sites is None), "no_site_data"),
        ((fam == _COVER) & (inp.coverage is None), "no_coverage_data"),
        (info["perimeter"][sc] & (info["total"][sc] == 0), "empty_perimeter"),
        (info["perimeter"][sc] & (info["missing"][sc] > 0), "perimeter_commune_without_progress"),
        (~info["perimeter"][sc] & (info["missing"][sc] > 0), "no_progress_series"),
    ):
        mark(cond & ~blocked, "no_data", why)
        blocked |= cond
    # D <= A: the value at the due date decides; later observations can only make it late.
    d = due & ~blocked
    mark(d & (p_due < 0) & ~sites, "no_data", "no_observation_by_due_date")
    d &= (p_due >= 0) | sites
    unknown = d & np.isnan(at_due.value)
    mark(unknown, "no_data", "premises_unknown")
    mark(unknown & ~np.isnan(at_due.den) & np.isnan(at_due.rad), "no_data", "rad_unknown")
    d &= ~unknown
    met = d & at_due.reached
    mark(met, "met")
    delay[met], met_pos[met] = 0, p_due[met]
    mark(d & at_due.reach & (at_due.cap == -1), "no_data", "rad_unknown_cap_unchecked")
    scan = np.flatnonzero(d & ~met & ~(at_due.reach & (at_due.cap == -1)))
    lo = np.where(p_due[scan] >= 0, p_due[scan] + 1, start[scan])
    first = np.full(len(scan), -1)
    # Only a series that reaches the target somewhere can reach it late: most missed
    # milestones never do, and their observations need not be scanned one by one.
    may = np.flatnonzero(_may_reach(s, cases, scan, gid[scan], bounds))
    first[may] = _scan(
        s,
        cases,
        scan[may],
        lo[may],
        p_now[scan[may]] + 1,
        lambda seen: seen.reach & (seen.cap != 0),
    )
    cap_first = _State(s, cases, scan, first).cap
    late, missed = scan[(first >= 0) & (cap_first == 1)], scan[first < 0]
    mark(scan[(first >= 0) & (cap_first == -1)], "no_data", "rad_unknown_cap_unchecked")
    mark(late, "met_late")
    met_pos[late] = first[(first >= 0) & (cap_first == 1)]
    delay[late] = s["t"][met_pos[late]] - due_on[late]
    upper[late] = ~sites[late]
    mark(missed, "missed")
    delay[missed] = as_of - due_on[missed]
    # D > A: reached already, else the trend of the last observations.
    f = ~due & ~blocked
    mark(f & (p_now < 0) & ~sites, "no_data", "fewer_than_2_observations")
    f &= (p_now >= 0) | sites
    run = np.flatnonzero(f & now.reached)
    mark(run, "on_track")
    below = _scan(s, cases, run, start[run], p_now[run] + 1, lambda st: ~st.reached, last=True)
    first_run = np.where(below >= 0, below + 1, start[run])
    projected[run] = np.where(first_run <= p_now[run], _take(s["t"], first_run, _NAT), _NAT)
    mark(f & now.reach & (now.cap == -1), "no_data", "rad_unknown_cap_unchecked")
    mark(f & now.reach & (now.cap == 0), "at_risk", "rad_share_above_cap")
    tr = np.flatnonzero(f & ~now.reach)
    count, slope, cross = _trend(s, cases, tr, p_now[tr], start[tr], as_of)
    mark(tr[count < 2], "no_data", "fewer_than_2_observations")
    rising = (count >= 2) & (slope > 1e-12)
    mark(tr[(count >= 2) & ~rising], "at_risk", "trend_flat_or_decreasing")
    # A crossing beyond the last representable date (9999-12-31) is no date at all.
    cross = np.where(rising, np.minimum(cross, _LAST_DAY - as_of + 1), 0)
    day = np.maximum(as_of + np.ceil(cross - _EPS), as_of + 1).astype(np.int64)
    projected[tr[rising]] = np.where(day[rising] > _LAST_DAY, _NAT, day[rising])
    late_trend = rising & (day > due_on[tr])
    mark(tr[late_trend], "at_risk", "projected_after_due_date")
    mark(tr[rising & ~late_trend], "on_track")
    # Figures for the report, at the observation behind the status.
    at = np.where(due, p_due, p_now)
    held = _State(s, cases, None, at)
    share, cap = _SHARE[mc], cases["cap"]
    with np.errstate(invalid="ignore"):
        need = np.where(share, _least_count(target, now.den), np.ceil(target))
        met_or_late = (status == STATUS_ORDER.index("met")) | (
            status == STATUS_ORDER.index("met_late")
        )
        shortfall = np.where(met_or_late, 0, np.maximum(need - now.num, 0))
        allowed = np.floor(cap * held.den)
        allowed = np.where((allowed + 1) / held.den <= cap, allowed + 1, allowed)
        allowed = np.where(allowed / held.den > cap, allowed - 1, allowed)
        value_at_due = np.where(due & ((p_due >= 0) | sites), at_due.value, np.nan)
        achieved = np.where((p_now >= 0) | sites, now.value, np.nan)
        over = share & ((value_at_due > 1) | (achieved > 1))
    # Without a site register there is no count at all, not a count of zero.
    void = sites & (inp.sites is None)
    value_at_due[void], achieved[void], shortfall[void] = np.nan, np.nan, np.nan
    kinds = np.array([*SERIES_KINDS, None], dtype=object)
    fact = _take(s["fact"], at, -1)
    method = _take(s["facts"]["method"], fact, -1)
    labels = np.array([*inp.methods, "mixed", None], dtype=object)
    return {
        "status": np.array(STATUS_ORDER, dtype=object)[status],
        "reason": np.array([*REASONS, None], dtype=object)[reason],
        "value_at_due": value_at_due,
        "observed_on": np.where(
            sites & due & ~void, due_on, np.where(due, _take(s["t"], p_due, _NAT), _NAT)
        ),
        "achieved_value": achieved,
        "achieved_on": np.where(sites & ~void, as_of, _take(s["t"], p_now, _NAT)),
        "delay_days": delay,
        "delay_is_upper_bound": upper,
        "shortfall_premises": shortfall,
        "projected_on": projected,
        "target_reached": np.where(due, status == STATUS_ORDER.index("met"), now.reached),
        "series": kinds[np.where(sites, 0, info["kind"][sc])],
        "denominator_premises": held.den,
        "denominator_as_of": _take(s["facts"]["den_as_of"], fact, _NAT),
        "denominator_method": labels[
            np.where(method == -2, len(inp.methods), np.where(method < 0, -1, method))
        ],
        "rad_share": held.rad_share,
        "rad_cap_breached": held.cap == 0,
        "rad_excess_premises": np.where(np.isnan(cap), np.nan, np.maximum(held.rad - allowed, 0)),
        "over_100": over,
        "communes_total": np.where(info["perimeter"][sc], info["total"][sc], np.nan),
        "oldest_commune_observed_on": np.where(
            info["perimeter"][sc], _take(s["oldest"], at, _NAT), _NAT
        ),
        "due_batch_id": _take(s["pbatch"], p_due),
        "achieved_batch_id": _take(s["pbatch"], p_now),
        "met_batch_id": _take(s["pbatch"], met_pos),
        "premises_batch_id": _take(s["facts"]["mbatch"], fact),
    }


# ---------------------------------------------------------------- public API

_DATE_COLUMNS = (
    "observed_on",
    "achieved_on",
    "projected_on",
    "denominator_as_of",
    "oldest_commune_observed_on",
)
_INT_COLUMNS = (
    "delay_days",
    "shortfall_premises",
    "denominator_premises",
    "rad_excess_premises",
    "communes_total",
    "due_batch_id",
    "achieved_batch_id",
    "met_batch_id",
    "premises_batch_id",
    "communes_met",
)


def _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage):
    """Evaluate every milestone and, for perimeter milestones, each commune of the perimeter."""
    inp = _Inputs(milestones, perimeters, progress, premises_counts, sites, coverage)
    day = _day(as_of, "as_of")
    n = len(inp.m_mc)
    per = np.flatnonzero(inp.m_geo < 0)
    owner, pos = _ranges(
        np.searchsorted(inp.p_agr, inp.m_agr[per], "left"),
        np.searchsorted(inp.p_agr, inp.m_agr[per], "right"),
    )
    src = np.r_[np.arange(n), per[owner]]
    place = np.r_[np.where(inp.m_geo < 0, inp.m_agr, inp.m_geo), inp.p_geo[pos]]
    kind = np.r_[(inp.m_geo < 0).astype(np.int64), np.zeros(len(pos), np.int64)]
    cases = {
        "mc": inp.m_mc[src],
        "op": inp.m_op[src],
        "kind": kind,
        "place": place,
        "target": inp.m_target[src],
        "cap": inp.m_cap[src],
        "due": inp.m_due[src],
    }
    out = _evaluate(inp, cases, day)
    out["communes_met"] = np.full(len(src), np.nan)
    out["communes_met"][per] = np.bincount(
        owner, weights=out["target_reached"][n:], minlength=len(per)
    )
    geo = np.r_[inp.m_geo, inp.p_geo[pos]]
    frame = _frame(inp, src, geo, out, day)
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].reset_index(drop=True)


def _frame(inp: _Inputs, src: np.ndarray, geo: np.ndarray, out: dict, as_of: int) -> pd.DataFrame:
    m = inp.m_frame
    columns = {
        name: m[name].take(src).reset_index(drop=True)
        for name in ("milestone_id", "agreement_id", "operator_code")
    }
    columns.update(
        commune_insee=inp.geo.labels(geo),
        metric=m["metric"].take(src).reset_index(drop=True),
        due_on=_dates(inp.m_due[src]),
        target=inp.m_target[src],
        rad_cap=inp.m_cap[src],
        as_of=np.full(len(src), _dates(np.array([as_of]))[0], dtype=object),
    )
    columns.update(out)
    for name, values in columns.items():
        if name in _DATE_COLUMNS:
            values = _dates(values)
        elif name in _INT_COLUMNS:
            missing = np.isnan(values)
            values = pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)
        if isinstance(values, np.ndarray) and values.dtype == object:
            # Text and dates stay Python objects with None for missing (not NaN), uninferred.
            values = pd.Series(values, dtype=object)
        columns[name] = values
    return pd.DataFrame(columns)


def assess(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Assess every milestone as of ``as_of``: one row per milestone, in input order.

    Parameters
    ----------
    milestones
        ``milestone_id, agreement_id, operator_code, insee`` (NA: whole perimeter),
        ``metric, target, due_on, rad_cap`` (NaN: no cap).
    perimeters
        ``agreement_id, insee``: the communes of each agreement.
    progress
        ``insee, operator_code`` (NA: all operators), ``observed_on, connectable, rad``
        (NA: unknown) and optionally ``batch_id``.
    premises_counts
        ``insee, as_of, premises, method`` and optionally ``batch_id``; every vintage.
    sites
        ``station_id, operator_code, insee, has_5g, in_service_on`` for ``mobile_5g_sites``.
    coverage
        ``insee, operator_code, as_of, covered, premises`` (optionally ``batch_id``) for
        ``mobile_5g_premises_coverage_share``.

    Returns
    -------
    DataFrame
        ``milestone_id, agreement_id, operator_code, commune_insee`` (None: perimeter),
        ``metric, due_on, target, rad_cap, as_of, status, reason`` (one of ``REASONS`` or None),
        ``value_at_due, observed_on, achieved_value, achieved_on`` (latest <= as_of),
        ``delay_days, delay_is_upper_bound, shortfall_premises, projected_on, target_reached,
        series`` (``SERIES_KINDS``), ``denominator_premises, denominator_as_of,
        denominator_method`` (at the observation behind the status: value_at_due when due,
        achieved_value otherwise; for a perimeter the summed premises, the latest vintage and
        ``mixed`` when methods differ), ``rad_share, rad_cap_breached, rad_excess_premises``
        (RAD premises above the cap), ``over_100, communes_total, communes_met,
        oldest_commune_observed_on`` (perimeters) and the evidence ``due_batch_id,
        achieved_batch_id, met_batch_id, premises_batch_id`` (NA for a perimeter whose
        communes came from several batches: see the breakdown). Dates are ``datetime.date``
        or None, counts and ids ``Int64``, shares ``float64``, text ``object`` with None.
    """
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)[0]


def assess_perimeter_breakdown(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-commune indicator rows of every perimeter milestone (same columns as :func:`assess`)."""
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)[1]


def assess_with_breakdown(
    milestones: pd.DataFrame,
    perimeters: pd.DataFrame,
    progress: pd.DataFrame,
    premises_counts: pd.DataFrame,
    as_of: dt.date | np.datetime64,
    *,
    sites: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`assess` and :func:`assess_perimeter_breakdown` from one evaluation."""
    return _run(milestones, perimeters, progress, premises_counts, as_of, sites, coverage)


def commune_status(assessments: pd.DataFrame) -> pd.DataFrame:
    """Map status of each commune: its worst milestone (``STATUS_ORDER``) and its longest delay.

    Rows without ``commune_insee`` (whole-perimeter milestones) are ignored; pass breakdown rows
    to let perimeter milestones colour their communes.
    """
    rows = assessments[assessments["commune_insee"].notna()]
    rank = pd.Series(range(len(STATUS_ORDER)), index=STATUS_ORDER)
    ranked = rows.assign(_rank=rank.reindex(rows["status"]).to_numpy())
    if ranked["_rank"].isna().any():
        raise ValueError(f"status outside {list(STATUS_ORDER)}")
    worst = ranked.sort_values(["commune_insee", "_rank", "milestone_id"]).drop_duplicates(
        "commune_insee"
    )
    grouped = ranked.groupby("commune_insee")
    out = pd.DataFrame(
        {
            "insee": worst["commune_insee"].to_numpy(),
            "status": worst["status"].to_numpy(),
            "worst_milestone_id": worst["milestone_id"].to_numpy(),
        }
    )
    out["delay_days"] = pd.array(
        grouped["delay_days"].max().reindex(out["insee"]).to_numpy(), dtype="Int64"
    )
    out["milestones"] = grouped.size().reindex(out["insee"]).to_numpy()
    return out.reset_index(drop=True)
