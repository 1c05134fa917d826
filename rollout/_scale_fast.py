"""Fast paths of :func:`rollout.scale.aggregate_buildings`: Arrow streaming and Dask.

Both check every column of an ARCEP building file with the canonical reader's own rules
(``geodata.premises``), applied once per distinct value, sum per block over vocabulary ids
and raise ``_NotClean`` on anything the canonical reader would reject or read differently,
so that ``aggregate_buildings`` falls back to the canonical path.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from geodata.premises import (
    RAD_STATUSES,
    STATUS_KEYS,
    STATUSES,
    PremisesFile,
    clean_text,
    insee_code,
    size_class_premises,
    status_day,
    status_key,
)
from rollout.scale import _MEASURES, BuildingTotals, Locator, _NotClean, combine

_KEYS = ("building_id", "x", "y", "insee", "operator_code", "size_class", "status",
         "status_date")
# Distinct values parsed once per process (INSEE codes, dates, operators, statuses).
_CACHED_VALUES = 1 << 17
_COMPACT_EVERY = 8  # partial summaries summed together past this many
_CONNECTABLE = STATUSES.index("deploye")
_RAD = [STATUSES.index(s) for s in RAD_STATUSES]
_ABANDONED = STATUSES.index("abandonne")


def _arrow_totals(opened: PremisesFile, locator: Locator, block_bytes: int) -> BuildingTotals:
    names = {k: opened.columns[k] for k in _KEYS if k in opened.columns}
    # Repeated text (codes, statuses, dates) arrives dictionary-encoded: parsed once per value.
    types = {n: pa.float64() if k in ("x", "y") else pa.string() if k == "building_id"
             else pa.dictionary(pa.int32(), pa.string()) for k, n in names.items()}
    reader = pacsv.open_csv(
        opened.path,
        read_options=pacsv.ReadOptions(block_size=block_bytes),
        parse_options=pacsv.ParseOptions(delimiter=opened.delimiter, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(names.values()), column_types=types, null_values=[""],
            strings_can_be_null=True),
    )
    known, placed, rows, located, warnings = _RunningSums(), [], 0, 0, Counter()
    for batch in _read_ahead(reader):
        sums, width, loose, part_rows, part_warnings = _block_sums(
            pa.Table.from_batches([batch]), names)
        known.add(sums, width)
        # Rows without INSEE are located block by block, while the next block is parsed.
        found = locator.locate(loose["lon"].to_numpy(), loose["lat"].to_numpy())
        located += int(pd.notna(found).sum())
        placed.append(loose.drop(columns=["lon", "lat"]).assign(insee=found)
                      .dropna(subset=["insee"]))
        rows += part_rows
        warnings.update(part_warnings)
    part = _labelled((known.frame(), pd.concat(placed, ignore_index=True), rows, warnings))
    return _finish([part], locator, opened, "arrow", located)


def _read_ahead(items: Iterable, depth: int = 2) -> Iterator:
    """``items`` produced by a thread, ``depth`` ahead (bounded memory).

    Arrow parses a CSV block without holding the GIL, so the next block is parsed on the
    other core while this one is checked and summed. The producer's exception is raised
    here; leaving the loop early stops the producer.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as error:  # re-raised in the consumer, whatever it is
            put(("error", error))

    producer = threading.Thread(target=produce, name="rollout-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            kind, item = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        producer.join()


class _RunningSums:
    """Totals per (INSEE id, operator id) summed block after block in dense arrays.

    Vocabulary ids only grow: the arrays grow with them (rows: communes, columns: operators,
    the last column for rows without an operator).
    """

    def __init__(self) -> None:
        self.grid = {m: np.zeros((0, 1), np.int64) for m in _MEASURES}

    def add(self, sums: dict[str, np.ndarray], width: int) -> None:
        communes = len(sums["buildings"]) // width
        for m, flat in sums.items():
            grid = self.grid[m]
            rows, cols = max(grid.shape[0], communes), max(grid.shape[1], width)
            if (rows, cols) != grid.shape:
                grown = np.zeros((rows, cols), np.int64)
                grown[: grid.shape[0], : grid.shape[1] - 1] = grid[:, :-1]
                grown[: grid.shape[0], -1] = grid[:, -1]
                grid = self.grid[m] = grown
            block = flat.reshape(communes, width)
            grid[:communes, : width - 1] += block[:, :-1]
            grid[:communes, -1] += block[:, -1]

    def frame(self) -> pd.DataFrame:
        width = self.grid["buildings"].shape[1]
        return _cells_frame({m: g.ravel() for m, g in self.grid.items()}, width)


def _cells_frame(sums: dict[str, np.ndarray], width: int) -> pd.DataFrame:
    """Dense sums over (INSEE id x operator slot, the last slot for none) -> non-empty cells."""
    cells = np.flatnonzero(sums["buildings"])
    last = cells % width == width - 1
    return pd.DataFrame({"insee_id": cells // width,
                         "op_id": np.where(last, -1, cells % width),
                         **{m: v[cells] for m, v in sums.items()}})


def _dask_totals(
    opened: PremisesFile, locator: Locator, scheduler: str, block_bytes: int
) -> BuildingTotals:
    import dask
    import dask.dataframe as dd
    from distributed import Client

    names = {k: opened.columns[k] for k in _KEYS if k in opened.columns}
    frame = dd.read_csv(
        str(opened.path), sep=opened.delimiter, encoding=opened.encoding, dtype=str,
        usecols=list(names.values()), keep_default_na=False, na_values=[""],
        blocksize=block_bytes,
    )
    tasks = [dask.delayed(_pandas_partial)(part, names) for part in frame.to_delayed()]
    with Client(scheduler) as client:
        parts = client.gather(client.compute(tasks))
    return _finish(parts, locator, opened, "dask")


def _pandas_partial(frame: pd.DataFrame, names: dict[str, str]) -> tuple:
    """A Dask partition (text columns) through the same per-block rules."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    try:
        table = table.set_column(table.schema.get_field_index(names["x"]), names["x"],
                                 pc.cast(table[names["x"]], pa.float64()))
        table = table.set_column(table.schema.get_field_index(names["y"]), names["y"],
                                 pc.cast(table[names["y"]], pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _NotClean("coordinates") from None
    # Vocabulary ids are this worker's own: send labels back.
    return _labelled(partial_totals(table, names))


def _labelled(part: tuple) -> tuple[pd.DataFrame, pd.DataFrame, int, Counter[str]]:
    """Vocabulary ids of a partial result -> INSEE codes and operator codes (None: none)."""
    known, loose, rows, warnings = part
    insee = np.array([*_VOCABULARY["insee"].labels, None], dtype=object)
    ops = np.array([*_VOCABULARY["operator"].labels, None], dtype=object)
    known = known.assign(insee=insee[known.pop("insee_id").to_numpy()],
                         operator_code=ops[known.pop("op_id").to_numpy()])
    loose = loose.assign(operator_code=ops[loose.pop("op_id").to_numpy()])
    return known, loose, rows, warnings


def partial_totals(
    table: pa.Table, names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, int, Counter[str]]:
    """One block of ARCEP rows -> (totals of rows with INSEE, rows without, rows, warnings).

    Raises _NotClean on anything the canonical reader would reject or read differently.
    """
    sums, width, loose, n, warnings = _block_sums(table, names)
    return _cells_frame(sums, width), loose, n, warnings


def _block_sums(
    table: pa.Table, names: dict[str, str]
) -> tuple[dict[str, np.ndarray], int, pd.DataFrame, int, Counter[str]]:
    """:func:`partial_totals` with the totals as dense arrays over (INSEE id x operator slot)."""
    n = table.num_rows
    warnings: Counter[str] = Counter()
    building = table[names["building_id"]]
    if building.null_count or pc.any(pc.utf8_is_space(building)).as_py():
        raise _NotClean("building_id")
    lon, lat = (table[names[k]].to_numpy() for k in ("x", "y"))
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()
            and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        raise _NotClean("coordinates")  # also catches nulls (NaN)
    status = _codes(table[names["status"]], _status_code, "status")
    if (status < 0).any():
        raise _NotClean("status")
    premises = _codes(table.column(names["size_class"]) if "size_class" in names
                      else pa.nulls(n, pa.string()), _size_premises, "size_class")
    unknown = int((premises < 0).sum())
    if unknown:
        warnings["unknown building size class counted as 1 premises"] += unknown
    warnings["premises estimated from building size class"] += n
    premises = np.where(premises < 0, 1, premises).astype(np.int64)
    if "status_date" in names:
        unreadable = _codes(table[names["status_date"]], _date_readable, "status_date")
        if (unreadable == 0).any():
            warnings["unreadable status date left empty"] += int((unreadable == 0).sum())
    insee = _VOCABULARY["insee"].rows(table, names.get("insee"), n)
    if (insee == -2).any():
        raise _NotClean("insee")
    operator = _VOCABULARY["operator"].rows(table, names.get("operator_code"), n)
    measures = {
        "premises_total": premises,
        "connectable": np.where(status == _CONNECTABLE, premises, 0),
        "rad": np.where(np.isin(status, _RAD), premises, 0),
        "abandoned": np.where(status == _ABANDONED, premises, 0),
        "buildings": np.ones(n, dtype=np.int64),
    }
    # Dense cells (commune id x operator id, the last operator slot for none): bincounts.
    width = len(_VOCABULARY["operator"].labels) + 1
    slot = np.where(operator < 0, width - 1, operator)
    have = insee >= 0
    key = insee[have] * width + slot[have]
    size = len(_VOCABULARY["insee"].labels) * width
    sums = {m: np.bincount(key, weights=v[have], minlength=size).astype(np.int64)
            for m, v in measures.items()}
    loose = pd.DataFrame({"lon": lon[~have], "lat": lat[~have], "op_id": operator[~have],
                          **{m: v[~have] for m, v in measures.items()}})
    return sums, width, loose, n, warnings


def _finish(parts: Iterable[tuple], locator: Locator, opened: PremisesFile,
            engine: str, located: int = 0) -> BuildingTotals:
    """Locate the rows without INSEE and sum the blocks' totals as they come (bounded memory).

    Rows without INSEE that already carry an ``insee`` column were located by the caller
    (``located`` of them).
    """
    warnings: Counter[str] = Counter()
    summaries, rows_read = [], 0
    for known, loose, rows, part_warnings in parts:
        rows_read += rows
        warnings.update(part_warnings)
        summaries.append(known)
        if "insee" in loose.columns:
            summaries.append(loose)
        elif len(loose):
            found = locator.locate(loose["lon"].to_numpy(), loose["lat"].to_numpy())
            located += int(pd.notna(found).sum())
            summaries.append(loose.drop(columns=["lon", "lat"]).assign(insee=found)
                             .dropna(subset=["insee"]))
        if len(summaries) >= _COMPACT_EVERY:
            summaries = [combine(summaries)]
    everything = combine(summaries)
    inside = everything["insee"].isin(locator.known).to_numpy()
    outside = rows_read - int(everything.loc[inside, "buildings"].sum())
    summary = everything[inside].reset_index(drop=True)
    return BuildingTotals(summary, rows_read, located, outside, opened.format, opened.as_of,
                          engine, warnings)


def _unique_map(column: pa.ChunkedArray | pa.Array, parse: Callable[[str], object]):
    """Dictionary-encode ``column``; parse each distinct value once; (indices, parsed values)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
    parsed = [parse(v) for v in encoded.dictionary.to_pylist()]
    return np.where(null, -1, np.nan_to_num(indices, nan=-1)).astype(np.int64), parsed


def _codes(column, parse: Callable[[str | None], int], what: str) -> np.ndarray:
    """Integer code per row from ``parse`` of each distinct value (``None`` for a null)."""
    indices, parsed = _unique_map(column, parse)
    table = np.array([*parsed, parse(None)], dtype=np.int64)
    return table[indices]


class _Vocabulary:
    """Distinct raw texts -> ids of canonical labels, parsed once per process.

    Blocks are matched against the texts already seen by Arrow's hash lookup (``index_in``):
    only new texts reach Python. Ids: label position, -1 missing, -2 invalid.
    """

    def __init__(self, parse: Callable[[str], str | bool | None]) -> None:
        self.parse = parse
        self.texts: list[str] = []
        self.known = pa.array([], pa.string())
        self.ids = np.zeros(0, dtype=np.int64)
        self.position: dict[str, int] = {}
        self.labels: list[str] = []

    def id_of(self, label: str) -> int:
        if label not in self.position:
            self.position[label] = len(self.labels)
            self.labels.append(label)
        return self.position[label]

    def rows(self, table: pa.Table, name: str | None, n: int) -> np.ndarray:
        """Id of each row's value in column ``name`` (all -1 without the column)."""
        if name is None:
            return np.full(n, -1, dtype=np.int64)
        column = table[name]
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.string())
        encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
        values = encoded.dictionary.cast(pa.string())
        found = pc.index_in(values, value_set=self.known)
        if found.null_count:
            new = values.filter(found.is_null()).to_pylist()
            parsed = [self.parse(v) for v in new]
            self.ids = np.r_[self.ids, [self.id_of(p) if isinstance(p, str)
                                        else -2 if p is False else -1 for p in parsed]]
            self.texts += new
            self.known = pa.array(self.texts, pa.string())
            found = pc.index_in(values, value_set=self.known)
        per_value = np.r_[self.ids[found.to_numpy(zero_copy_only=False).astype(np.int64)], -1]
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return per_value[indices]


@lru_cache(maxsize=_CACHED_VALUES)
def _status_code(value: str | None) -> int:
    text = None if value is None else clean_text(value)
    status = None if text is None else STATUS_KEYS.get(status_key(text))
    return -1 if status is None else STATUSES.index(status)


@lru_cache(maxsize=_CACHED_VALUES)
def _size_premises(value: str | None) -> int:
    text = None if value is None else clean_text(value)
    count = None if text is None else size_class_premises(text)
    return -1 if count is None else count


@lru_cache(maxsize=_CACHED_VALUES)
def _date_readable(value: str | None) -> int:
    text = None if value is None else clean_text(value)
    return 1 if text is None or not np.isnat(status_day(text)) else 0


@lru_cache(maxsize=_CACHED_VALUES)
def _insee_label(value: str) -> str | bool | None:
    """The canonical INSEE code, None when blank, False when not a code."""
    text = clean_text(value)
    return None if text is None else (insee_code(text) or False)


@lru_cache(maxsize=_CACHED_VALUES)
def _operator_label(value: str) -> str | None:
    text = clean_text(value)
    return None if text is None else text.upper()


_VOCABULARY = {"insee": _Vocabulary(_insee_label), "operator": _Vocabulary(_operator_label)}
