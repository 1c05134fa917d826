"""The CLI's JSON and CSV listings are the standard encoder's output, byte for byte, however
the cells are typed (they are now encoded once per distinct value, column by column)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from rollout.formatting import json_value, records, to_csv, to_json
from tests.hostile import PAYLOADS


def _reference_records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [
        {c: json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


def _frame() -> pd.DataFrame:
    text = [p.text for p in PAYLOADS if p.family != "huge"][::3][:5] + ["é\u2028\x00"]
    n = 6
    return pd.DataFrame({
        "ints": np.arange(n, dtype=np.int64),
        "bools": [True, False, True, True, False, True],
        "one_and_true": pd.Series([1, True, 1, True, 0, False], dtype=object),
        "floats": [0.5, np.nan, np.inf, -np.inf, 0.0, -0.0],
        "nullable": pd.array([1, None, 3, 3, None, 7], dtype="Int64"),
        "text": pd.array([text[i % len(text)] if i != 2 else None for i in range(n)],
                         dtype="str"),
        "dates": [dt.date(2020, 12, 31), None, dt.date(2020, 12, 31), dt.date(2021, 1, 1),
                  dt.date(2020, 12, 31), None],
        "stamps": pd.to_datetime(["2020-01-01", None, "2020-01-01 10:30", "2021-06-30",
                                  "2020-01-01", None], format="ISO8601"),
        "lists": [["FRTE", "SFR0"], [], ["a\nb"], None, ["FRTE", "SFR0"], [1, 2.5]],
        "category": pd.Categorical(["met", "missed", None, "met", "met", "no_data"]),
        "mixed": pd.Series(["x", 2, 2.0, dt.date(2020, 1, 1), np.int64(4), np.nan],
                           dtype=object),
    })


def test_json_is_the_standard_encoders_output():
    frame = _frame()
    columns = list(frame.columns)
    expected = json.dumps(_reference_records(frame, columns), ensure_ascii=False, indent=2)
    assert to_json(frame, columns) == expected
    assert '"one_and_true": 1,' in expected and '"one_and_true": true,' in expected
    assert to_json(frame.iloc[:0], columns) == "[]"
    assert to_json(frame, []) == json.dumps([{}] * len(frame), indent=2)
    assert to_json(frame, ["dates", "text"]) == json.dumps(
        _reference_records(frame, ["dates", "text"]), ensure_ascii=False, indent=2)


def test_records_and_csv_hold_the_same_cells_as_before():
    frame = _frame()
    columns = list(frame.columns)
    assert records(frame, columns) == _reference_records(frame, columns)
    assert [type(v) for v in records(frame, ["one_and_true"])[0].values()] == [int]
    lines = to_csv(frame, ["ints", "floats", "dates"]).splitlines()
    assert lines[:3] == ["ints,floats,dates", "0,0.5,2020-12-31", "1,,"]
