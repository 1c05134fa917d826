"""Evaluation by blocks of communes: millions of observations, a working set that stays warm.

A commune milestone depends only on its commune's rows (progress, coverage, 5G sites,
premises counts). Above ``BLOCK_ROWS`` observations, the commune milestones -- and the
per-commune rows of perimeter milestones -- are evaluated block by block of contiguous
commune codes, each block on its own rows with its communes renumbered from 0; milestones
on a whole perimeter, which span communes, are then evaluated once on every row.

Why: the per-row arrays of a block are a few MB, reused from block to block, where arrays of
millions of rows cost more in fresh memory (page faults) than in arithmetic. Blocks run in
``WORKERS`` threads: numpy releases the GIL in its array loops, so two cores share the work.
Results are those of one evaluation of everything (tests/test_assessment_blocks.py).
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rollout.assessment._inputs import _Inputs, _rows_of
from rollout.assessment._rules import _evaluate

BLOCK_ROWS = 1 << 19  # observations per block: each per-row column a few MB

WORKERS = min(os.cpu_count() or 1, 4)  # more threads than 4 contend for the GIL


class _Span:
    """The commune codes of a block as _evaluate reads them: only their number matters."""

    def __init__(self, size: int) -> None:
        self.index = range(size)


def _evaluate_by_blocks(inp: _Inputs, cases: dict, as_of: int) -> dict:
    """:func:`_evaluate` of every case, by blocks of communes when the observations are many."""
    block_rows = BLOCK_ROWS
    observed = [obs for obs in (inp.progress, inp.coverage) if obs is not None]
    rows = sum(len(obs["t"]) for obs in observed)
    n_geo = len(inp.geo.index)
    alone = np.flatnonzero((cases["kind"] == 0) & (cases["place"] >= 0))
    if rows <= block_rows or n_geo < 2 or not len(alone):
        return _evaluate(inp, cases, as_of)
    # Contiguous ranges of commune codes holding about block_rows observations each.
    per_geo = sum(obs["geo"].counts(n_geo) for obs in observed)
    cuts = np.searchsorted(np.cumsum(per_geo), np.arange(block_rows, rows, block_rows), "right")
    edges = np.unique(np.r_[0, np.minimum(cuts, n_geo), n_geo])
    n_blocks = len(edges) - 1
    small = np.int16 if n_blocks < 1 << 15 else np.int32
    block_of_geo = (np.searchsorted(edges, np.arange(n_geo), "right") - 1).astype(small)
    # The block of every row (rows without a commune: none, n_blocks); each block's rows are
    # then found by one pass over these 2-byte codes, in input order (so that duplicates
    # resolve as in one evaluation of everything).
    row_blocks = [obs["geo"].through(block_of_geo, n_blocks) for obs in observed]
    case_block = block_of_geo[cases["place"][alone]]
    case_order = np.argsort(case_block, kind="stable")
    case_edges = np.searchsorted(case_block[case_order], np.arange(n_blocks + 1))

    def run(b: int) -> tuple[dict, np.ndarray]:
        idx = alone[case_order[case_edges[b] : case_edges[b + 1]]]
        low, high = int(edges[b]), int(edges[b + 1])
        sub = _block_inputs(inp, row_blocks, b, low, high)
        block_cases = {k: v[idx] for k, v in cases.items()}
        block_cases["place"] = block_cases["place"] - low
        return _evaluate(sub, block_cases, as_of), idx

    out: dict[str, np.ndarray] = {}
    n = len(cases["kind"])
    busy = [b for b in range(n_blocks) if case_edges[b + 1] > case_edges[b]]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        # Each block's figures are placed as it comes, while the workers run the next ones.
        for part, idx in pool.map(run, busy):
            _place(out, part, idx, n)
    rest = np.setdiff1d(np.arange(n), alone, assume_unique=True)
    if len(rest):
        part = _evaluate(copy.copy(inp), {k: v[rest] for k, v in cases.items()}, as_of)
        _place(out, part, rest, n)
    return out


def _rows(obs: dict, row_block: np.ndarray, b: int, low: int) -> dict:
    out = _rows_of(obs, np.flatnonzero(row_block == b))
    out["geo"] -= low
    return out


def _block_inputs(inp: _Inputs, row_blocks: list, b: int, low: int, high: int) -> _Inputs:
    """The inputs of communes ``low:high`` alone, renumbered from 0."""
    sub = copy.copy(inp)
    sub.geo = _Span(high - low)
    observed = (obs for obs in (inp.progress, inp.coverage) if obs is not None)
    blocks = iter(_rows(obs, rb, b, low) for obs, rb in zip(observed, row_blocks, strict=True))
    sub.progress = next(blocks) if inp.progress is not None else None
    sub.coverage = next(blocks) if inp.coverage is not None else None
    first, last = np.searchsorted(inp.pc["geo"], [low, high], "left")
    sub.pc = {k: v[first:last] for k, v in inp.pc.items()}
    sub.pc["geo"] = sub.pc["geo"] - low
    if inp.sites is not None:
        mine = (inp.sites["geo"] >= low) & (inp.sites["geo"] < high)
        sub.sites = {k: v[mine] for k, v in inp.sites.items()}
        sub.sites["geo"] = sub.sites["geo"] - low
    sub.p_agr = sub.p_geo = np.zeros(0, np.int64)  # no perimeter case in a block
    return sub


def _place(out: dict, part: dict, idx: np.ndarray, n: int) -> None:
    """Write a block's figures at its cases' rows (a column widens if a block needs it)."""
    for name, values in part.items():
        merged = out.get(name)
        if merged is None:
            merged = out[name] = np.empty(n, values.dtype)
        elif np.result_type(merged, values) != merged.dtype:
            merged = out[name] = merged.astype(np.result_type(merged, values))
        merged[idx] = values
