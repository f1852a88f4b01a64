"""Analysed dataframes on the wire, exactly as the producer computed them.

freqtrade sends a producer's frame as ``DataFrame.to_json(orient="split")``: floats are
rounded to 10 decimals (``0.0021027080096`` arrives as ``0.002102708``) and every datetime
column but ``date`` arrives as integer milliseconds (``date_1h`` of an informative merge).
Callbacks on a consumer would then decide on other numbers than the producer's.

The fleet encoding keeps freqtrade's envelope (``{"__type__": "dataframe", "__value__":
<split JSON>}``) so any freqtrade consumer still reads it, but writes the split JSON with
shortest round-trip floats (orjson) and adds ``"__fleet__"``: the version and each
column's dtype. A fleet consumer rebuilds the frame with exact floats and the producer's
dtypes; a frame without ``__fleet__`` (a producer without the fleet strategy) is decoded
the way freqtrade decodes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd
from pandas import DataFrame

FORMAT_VERSION = 1
ENVELOPE_KEY = "__fleet__"

_DEFAULT_DTYPE = "float64"
_INFINITY = {"Infinity": np.inf, "-Infinity": -np.inf}


class FrameDecodeError(ValueError):
    """A fleet-encoded frame that cannot be rebuilt (malformed or hostile input)."""


def _group_positions(frame: DataFrame) -> dict[str, list[int]]:
    """Column positions by how they are written: float, int/bool, datetime, other."""
    groups: dict[str, list[int]] = {"f": [], "i": [], "M": [], "O": []}
    for position, dtype in enumerate(frame.dtypes):
        kind = dtype.kind
        groups[
            "f" if kind == "f" else "i" if kind in "iub" else "M" if kind == "M" else "O"
        ].append(position)
    return groups


def _cells(frame: DataFrame) -> np.ndarray:
    """The frame as a 2-D array of JSON-ready Python values, written group by group."""
    rows, width = frame.shape
    table = np.empty((rows, width), dtype=object)
    groups = _group_positions(frame)
    if groups["f"]:
        block = frame.iloc[:, groups["f"]].to_numpy(dtype="float64")
        cells = block.astype(object)  # orjson writes NaN as null, as pandas' to_json does
        infinite = np.isinf(block)
        if infinite.any():  # JSON has no infinity: written as text, read back as float
            cells[infinite & (block > 0)] = "Infinity"
            cells[infinite & (block < 0)] = "-Infinity"
        table[:, groups["f"]] = cells
    for position in groups["i"]:
        table[:, position] = frame.iloc[:, position].to_numpy().astype(object)
    for position in groups["M"]:
        series = frame.iloc[:, position]
        millis = series.dt.as_unit("ms").astype("int64").to_numpy().astype(object)
        millis[series.isna().to_numpy()] = None
        table[:, position] = millis
    for position in groups["O"]:
        values = frame.iloc[:, position].to_numpy(dtype=object)
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = None
        table[:, position] = values
    return table


def encode_frame(frame: DataFrame) -> dict[str, Any]:
    """The wire object of ``frame``: freqtrade's envelope plus the fleet's dtype record.

    The frame is not modified (freqtrade's own serialiser rewrites the date columns of
    the frame it is given). Only dtypes other than float64 are recorded.
    """
    columns = [str(name) for name in frame.columns]
    split = {
        "columns": columns,
        "index": list(range(len(frame))),
        "data": _cells(frame).tolist(),
    }
    value = orjson.dumps(split).decode()
    dtypes = {
        name: str(dtype)
        for name, dtype in zip(columns, frame.dtypes, strict=True)
        if str(dtype) != _DEFAULT_DTYPE
    }
    return {
        "__type__": "dataframe",
        "__value__": value,
        ENVELOPE_KEY: {"version": FORMAT_VERSION, "dtypes": dtypes},
    }


def is_fleet_encoded(wire: dict[str, Any]) -> bool:
    return isinstance(wire.get(ENVELOPE_KEY), dict)


def decode_frame(wire: dict[str, Any]) -> DataFrame:
    """Rebuild a fleet-encoded frame with its exact values and dtypes.

    Raises FrameDecodeError on anything malformed, never another exception.
    """
    try:
        meta = wire[ENVELOPE_KEY]
        if meta.get("version") != FORMAT_VERSION:
            raise FrameDecodeError(f"unknown frame format {meta.get('version')!r}")
        split = orjson.loads(wire["__value__"])
        columns = split["columns"]
        rows = split["data"]
        dtypes = meta["dtypes"]
        if not isinstance(columns, list) or not isinstance(rows, list):
            raise FrameDecodeError("columns and data must be lists")
        if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
            raise FrameDecodeError("a row has another length than the columns")
        table = np.array(rows, dtype=object).reshape(len(rows), len(columns))
        data = {
            name: _restore(table[:, position], str(dtypes.get(name, _DEFAULT_DTYPE)))
            for position, name in enumerate(columns)
        }
        frame = DataFrame(data, columns=columns)
    except FrameDecodeError:
        raise
    except Exception as error:  # hostile input: any failure is one kind of error
        raise FrameDecodeError(f"{type(error).__name__}: {error}") from error
    return frame


def _restore(cells: np.ndarray, dtype: str) -> Any:
    """One column with the producer's dtype (pandas would infer another for some)."""
    if dtype == _DEFAULT_DTYPE:
        missing = cells == None  # noqa: E711 - elementwise on an object array
        if missing.any():
            cells = cells.copy()
            cells[missing] = np.nan
        strings = [i for i, c in enumerate(cells) if isinstance(c, str)]
        for index in strings:
            cells[index] = _INFINITY[cells[index]]
        return cells.astype("float64")
    if dtype.startswith("datetime64"):
        ms = pd.Series([np.nan if c is None else c for c in cells], dtype="float64")
        restored = pd.to_datetime(ms, unit="ms", utc=True)
        unit = dtype.split("[", 1)[1].split(",", 1)[0].rstrip("]") if "[" in dtype else "ns"
        restored = restored.dt.as_unit(unit)
        if "," not in dtype:
            restored = restored.dt.tz_localize(None)
        return restored
    if dtype.startswith("float"):
        values = [np.nan if c is None else _INFINITY.get(c, c) if isinstance(c, str) else c
                  for c in cells]  # fmt: skip
        return pd.Series(np.array(values, dtype=dtype))
    return pd.Series(cells, dtype=dtype)


__all__ = [
    "ENVELOPE_KEY",
    "FORMAT_VERSION",
    "FrameDecodeError",
    "decode_frame",
    "encode_frame",
    "is_fleet_encoded",
]
