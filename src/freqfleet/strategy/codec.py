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

_DATETIME_KINDS = "M"
_INFINITY = {"Infinity": np.inf, "-Infinity": -np.inf}


class FrameDecodeError(ValueError):
    """A fleet-encoded frame that cannot be rebuilt (malformed or hostile input)."""


def _column_cells(series: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (datetimes as epoch milliseconds)."""
    if series.dtype.kind in _DATETIME_KINDS:
        values = series.dt.as_unit("ms").astype("int64").to_numpy()
        mask = series.isna().to_numpy()
        cells: list[Any] = values.tolist()
        if mask.any():
            for index in np.flatnonzero(mask):
                cells[index] = None
        return cells
    if series.dtype.kind == "f":
        values = series.to_numpy()
        cells = values.tolist()  # orjson writes NaN as null, as pandas' to_json does
        infinite = np.isinf(values)
        if infinite.any():  # JSON has no infinity: written as text, read back as float
            for index in np.flatnonzero(infinite):
                cells[index] = "Infinity" if values[index] > 0 else "-Infinity"
        return cells
    if series.dtype.kind in "iub":
        return series.to_numpy().tolist()
    return [None if _is_missing(value) else value for value in series.to_numpy(dtype=object)]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def encode_frame(frame: DataFrame) -> dict[str, Any]:
    """The wire object of ``frame``: freqtrade's envelope plus the fleet's dtype record.

    The frame is not modified (freqtrade's own serialiser rewrites the date columns of
    the frame it is given).
    """
    columns = [str(name) for name in frame.columns]
    cells = [_column_cells(frame.iloc[:, position]) for position in range(frame.shape[1])]
    rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
    split = {"columns": columns, "index": list(range(len(frame))), "data": rows}
    value = orjson.dumps(split, option=orjson.OPT_NON_STR_KEYS).decode()
    dtypes = {name: str(dtype) for name, dtype in zip(columns, frame.dtypes, strict=True)}
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
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        data = {}
        for name, cells in zip(columns, by_column, strict=True):
            data[name] = _restore(list(cells), str(dtypes.get(name, "object")))
        frame = DataFrame(data, columns=columns)
    except FrameDecodeError:
        raise
    except Exception as error:  # hostile input: any failure is one kind of error
        raise FrameDecodeError(f"{type(error).__name__}: {error}") from error
    return frame


def _restore(cells: list[Any], dtype: str) -> pd.Series:
    """One column with the producer's dtype (pandas would infer another for some)."""
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
