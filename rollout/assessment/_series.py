"""Observation series of every scope: sources, denominators, perimeter sums, 5G site counts."""

from __future__ import annotations

import numpy as np

from rollout.assessment._arrays import (
    _CHUNK,
    _NAT,
    _OFF,
    _SHIFT,
    _asof,
    _day_rank,
    _dense_order,
    _group_cumsum,
    _ranges,
    _reduce_sorted,
    _strictly_ordered,
    _take,
    _unique,
)
from rollout.assessment._inputs import _COVER, _FTTH, _SITES, _Inputs, _rows_of


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
    ranked = None
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
    # A source key is (op + 1) * n_geo + geo or geo: the commune is its remainder (None here:
    # worked out from the key where needed), unless some observations have no commune.
    out["geo"] = None if obs["geo"].min(initial=0) >= 0 else pick(obs["geo"])
    return out, need_src


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
    if c["geo"] is not None:  # observations without a commune: searched one by one
        ranked = None
    elif ranked is None:
        ranked = _day_rank(c["t"])
    if ranked is not None and n_geo * len(ranked[1]) <= len(c["t"]) // 2:
        # Operators share their communes' denominators: looked up once per (commune, day) of
        # a small grid, then read per observation, by blocks (no per-row temporaries).
        rank, days = ranked
        grid = _premises_grid(pc, days, n_geo)
        pos = np.empty(len(rank), np.int64)
        for a in range(0, len(rank), _CHUNK):
            cell = c["key"][a : a + _CHUNK] % n_geo
            cell *= len(days)
            cell += rank[a : a + _CHUNK]
            pos[a : a + _CHUNK] = grid[cell]
        del rank, ranked
    else:
        geo = c["key"] % n_geo if c["geo"] is None else c["geo"]
        pos = _premises_at(pc, geo, c["t"])
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
        obs = _rows_of(obs)  # the columns as arrays (converted here when kept as given)
        c, need_src = _sources(obs, need, n_geo)
        m_src = need_src[np.searchsorted(need, m_key)]
        # Series kind per scope: 0 own, 1 all-operator, 2 mixed across a perimeter's communes.
        kmin, kmax = np.full(n, 9), np.full(n, -1)
        np.minimum.at(kmin, m_scope, (m_src < n_geo).astype(int))
        np.maximum.at(kmax, m_scope, (m_src < n_geo).astype(int))
        info["kind"][idx] = np.where(kmin == kmax, kmax, 2)[idx]
        if fam == _FTTH:
            c = _with_premises(inp, c, n_geo)
            facts, offset = fact_blocks[0], 0
        else:
            size = len(c["t"])
            facts = {
                "den_as_of": c["t"],
                "method": np.full(size, len(inp.methods) - 1),
                "mbatch": c["batch"],
            }
            offset = add_facts(facts)
            # Facts numbered within this block (as _aggregate reads them), offset once joined.
            c.update(conn=c["a"], rad=np.full(size, np.nan), den=c["b"], fact=np.arange(size))
        alone = ~info["perimeter"][m_scope]
        rows, keys = _source_rows(c)
        at = np.minimum(np.searchsorted(keys, m_src[alone]), max(len(keys) - 1, 0))
        found = keys[at] == m_src[alone] if len(keys) else np.zeros(alone.sum(), bool)
        info["gid"][m_scope[alone]] = np.where(found, base + at, -1)
        info["missing"][m_scope[alone]] += ~found
        rows["gid"] += base
        if offset:
            rows["fact"] = c["fact"] + offset
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
