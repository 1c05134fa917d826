"""Status rules of DESIGN.md applied to every case at once (see the package docstring)."""

from __future__ import annotations

import numpy as np

from rollout.assessment._arrays import (
    _CHUNK,
    _EPS,
    _LAST_DAY,
    _NAT,
    _first,
    _last_at_or_before,
    _ranges,
    _take,
    _unique,
)
from rollout.assessment._inputs import _COVER, _FAMILY, _OR_RAD, _SHARE, _SITES, _Inputs
from rollout.assessment._series import _series

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
