"""Assessment inputs, validated and coded as integer numpy arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The metrics of the commitments template; their order indexes the per-metric tables below.
from geodata.commitments import METRICS
from rollout.assessment._arrays import (
    _NAT,
    _as_days,
    _count_dtype,
    _dates64,
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
        return self.coded(values).take(None)

    def coded(self, values: pd.Series) -> _Coded:
        """Codes of ``values``, translated only where rows are taken (see :class:`_Coded`)."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            # Already coded (a low-cardinality key column as pandas stores it): its own codes
            # are kept and translated through its categories; no text is hashed.
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        else:
            # Factorised as given: Arrow-backed text is encoded natively, 10x faster than objects.
            codes, uniques = pd.factorize(values)
        uniques = pd.Index(np.asarray(uniques, dtype=object))
        table = self.index.get_indexer(uniques)  # the index's hash table is kept between calls
        if (table < 0).any():  # new values, numbered after the known ones (sorted if they sort)
            new = uniques[table < 0]
            try:
                new = new.sort_values()
            except TypeError:
                pass
            self.index = self.index.append(new)
            table = self.index.get_indexer(uniques)
        return _Coded(np.asarray(codes), np.r_[table, -1].astype(np.int64, copy=False))

    def labels(self, codes: np.ndarray) -> np.ndarray:
        table = np.asarray(self.index, dtype=object)
        return np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else None, None)


class _Coded:
    """A key column as (codes, table): row i has code ``table[codes[i]]`` (-1: NA).

    The codes are the caller's own (a categorical's int8/int16 codes, or factorize's): a
    column of millions of rows is translated block by block, never as a whole int64 copy.
    """

    def __init__(self, codes: np.ndarray, table: np.ndarray) -> None:
        self.codes, self.table = codes, table  # table[-1] is -1: code -1 (NA) wraps round to it

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray | None) -> np.ndarray:
        codes = self.codes if rows is None else self.codes[rows]
        return np.take(self.table, codes, mode="wrap")

    def through(self, lookup: np.ndarray, missing: int) -> np.ndarray:
        """``lookup[code]`` of every row (``missing`` for NA), in ``lookup``'s dtype."""
        table = np.where(self.table >= 0, lookup[np.maximum(self.table, 0)], missing)
        return np.take(table.astype(lookup.dtype), self.codes, mode="wrap")

    def counts(self, size: int) -> np.ndarray:
        """Rows per code ``0..size-1`` (NA rows not counted)."""
        valid = self.codes if self.codes.min(initial=0) >= 0 else self.codes[self.codes >= 0]
        per_code = np.bincount(valid, minlength=len(self.table) - 1)
        known = self.table[:-1] >= 0
        return np.bincount(self.table[:-1][known], weights=per_code[known], minlength=size)


class _Converted:
    """A numeric column kept as the caller's array, converted only where rows are taken."""

    def __init__(self, raw: np.ndarray, convert) -> None:
        self.raw, self.convert = raw, convert

    def __len__(self) -> int:
        return len(self.raw)

    def take(self, rows: np.ndarray | None) -> np.ndarray:
        return self.convert(self.raw if rows is None else self.raw[rows])


def _rows_of(obs: dict, rows: np.ndarray | None = None) -> dict:
    """Observation columns as arrays: every row (``rows`` None) or the rows given."""
    out = {}
    for name, values in obs.items():
        if isinstance(values, (_Coded, _Converted)):
            out[name] = values.take(rows)
        elif rows is None:
            out[name] = values
        elif values.strides == (0,):  # a broadcast constant (no batch ids): stays one
            out[name] = np.broadcast_to(values[:1], (len(rows),)) if len(values) else values
        else:
            out[name] = values[rows]
    return out


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
        # Perimeters matter only to whole-perimeter milestones: those of their agreements alone.
        wanted = perimeters["agreement_id"].isin(m["agreement_id"].iloc[whole].unique())
        per = perimeters[wanted].drop_duplicates(["agreement_id", "insee"])
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
        """Columns of an observation frame: key codes, days, counts and batch ids.

        Kept in the frame's own arrays where they allow (categorical codes, datetime64, plain
        numeric columns) and converted by the rows taken (:func:`_rows_of`): millions of rows
        are then converted block by block, never copied whole.
        """
        when = _dates64(frame["observed_on"], f"{name}.observed_on")
        if (np.isnat(when) if when.dtype.kind == "M" else pd.isna(when)).any():
            raise ValueError(f"{name}.observed_on must be a date on every row")
        # Connectable and RAD premises of the progress series are counts; a coverage frame's
        # premises are its shares' denominators, kept in float64 like every denominator.
        counted = _numbers(frame[first], counts=name == "progress")
        if _has_nan(counted):
            raise ValueError(f"{name}.{first} must be a count on every row")
        return {
            "op": self.op.coded(frame["operator_code"]),
            "geo": self.geo.coded(frame["insee"]),
            "t": _Converted(when, _as_days),
            "a": counted,
            "b": _numbers(frame[second], counts=name == "progress"),
            "batch": (
                _numbers(frame["batch_id"], counts=False)
                if "batch_id" in frame
                else _nans(len(frame))
            ),
        }


def _numbers(values: pd.Series, counts: bool) -> _Converted | np.ndarray:
    """A numeric column as float (float32 for exact counts: :func:`_count_dtype`), NaN for NA."""
    numbers = pd.to_numeric(values, errors="raise")
    dtype = _count_dtype(numbers) if counts else np.float64
    if isinstance(numbers.dtype, np.dtype) and numbers.dtype.kind in "iuf":
        return _Converted(numbers.to_numpy(), lambda raw: raw.astype(dtype))
    return numbers.to_numpy(dtype=dtype, na_value=np.nan)  # nullable or Arrow: NA made NaN


def _has_nan(values: _Converted | np.ndarray) -> bool:
    raw = values.raw if isinstance(values, _Converted) else values
    return raw.dtype.kind == "f" and bool(np.isnan(raw).any())
