"""Assessment inputs, validated and coded as integer numpy arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The metrics of the commitments template; their order indexes the per-metric tables below.
from geodata.commitments import METRICS
from rollout.assessment._arrays import (
    _NAT,
    _counts,
    _days,
    _floats,
    _nans,
)

_FTTH, _SITES, _COVER = 0, 1, 2

_FAMILY = np.array([_FTTH, _FTTH, _FTTH, _SITES, _COVER])

_SHARE = np.array([True, True, False, False, True])

_OR_RAD = 1


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; got {list(frame.columns)}")


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


# When two counts of a commune share a date: ARCEP's "meilleure estimation" (2020+), then
# INSEE logements + établissements, then operators' IPE counts, then any other method by name;
# for one method, the latest import (highest batch). Never row order: reports are evidence.
METHOD_PREFERENCE = ("best_estimate", "insee", "ipe")


def _premises_table(premises_counts: pd.DataFrame, geo: _Codes) -> tuple[dict, list[str]]:
    """Denominator vintages coded and sorted by (commune, date, precedence): per (commune,
    date), the count that wins is the last row. Returns the arrays and the method names."""
    pc = premises_counts
    p_geo, p_asof = geo.add(pc["insee"]), _days(pc["as_of"], "premises_counts.as_of")
    p_batch = _floats(pc["batch_id"]) if "batch_id" in pc else np.full(len(pc), np.nan)
    methods, names = pd.factorize(pc["method"], sort=True)
    names = [*map(str, names)]
    # Rank of each method, preferred last: the known ones in METHOD_PREFERENCE order, others
    # before them by name (first name, highest rank).
    known = {m: len(names) + len(METHOD_PREFERENCE) - i for i, m in enumerate(METHOD_PREFERENCE)}
    rank = np.array([known.get(m, len(names) - i) for i, m in enumerate(names)] + [-1])
    order = np.lexsort((np.nan_to_num(p_batch, nan=-1), rank[methods], p_asof, p_geo))
    table = {
        "geo": p_geo[order],
        "as_of": p_asof[order],
        "premises": _floats(pc["premises"])[order],
        "method": methods[order],
        "batch": p_batch[order],
    }
    return table, names


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
        self.pc, self.methods = _premises_table(premises_counts, self.geo)
        self.methods = [*self.methods, "coverage"]
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
        # Connectable and RAD premises of the progress series are counts; a coverage frame's
        # premises are its shares' denominators, kept in float64 like every denominator.
        counted = (_counts if name == "progress" else _floats)(frame[first])
        if np.isnan(counted).any():
            raise ValueError(f"{name}.{first} must be a count on every row")
        return {
            "op": self.op.add(frame["operator_code"]),
            "geo": self.geo.add(frame["insee"]),
            "t": t,
            "a": counted,
            "b": (_counts if name == "progress" else _floats)(frame[second]),
            "batch": batch,
        }
