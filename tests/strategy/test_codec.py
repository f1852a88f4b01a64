"""Frames on the wire: exact floats and the producer's dtypes, readable by any consumer."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest
import rapidjson
from freqtrade.misc import dataframe_to_json, json_to_dataframe
from hypothesis import given, settings
from hypothesis import strategies as st

from freqfleet.strategy.codec import FrameDecodeError, decode_frame, encode_frame


def mixed_frame(rows: int = 50) -> pd.DataFrame:
    """A frame with every dtype an analysed frame carries, informative dates included."""
    dates = pd.date_range("2026-11-01", periods=rows, freq="5min", tz="UTC")
    frame = pd.DataFrame(
        {
            "date": dates,
            "close": np.linspace(0.0021027080096, 0.0031, rows),
            "momentum": np.random.default_rng(3).standard_normal(rows) * 1e-7,
            "vol_spike": np.arange(rows) % 3 == 0,
            "streak": np.arange(rows, dtype="int64"),
            "hour": (np.arange(rows) % 24).astype("int32"),
            "regime": pd.Series(["bull", "bear"] * (rows // 2), dtype="str"),
            "vol_state": pd.Series(["high", None] * (rows // 2), dtype=object),
        }
    )
    frame["date_1h"] = frame["date"].dt.floor("1h")
    frame.loc[3, "date_1h"] = pd.NaT
    frame["naive"] = frame["date"].dt.tz_localize(None).dt.as_unit("us")
    frame.loc[5, "momentum"] = np.nan
    frame.loc[6, "momentum"] = np.inf
    frame.loc[7, "momentum"] = -np.inf
    return frame


def over_the_wire(frame: pd.DataFrame) -> dict:
    """Encoded as a producer sends it and parsed as freqtrade's serialiser parses it."""
    text = orjson.dumps({"df": encode_frame(frame)}).decode()
    return rapidjson.loads(text)["df"]


def test_round_trip_keeps_every_value_and_dtype():
    frame = mixed_frame()
    original = frame.copy()
    decoded = decode_frame(over_the_wire(frame))
    pd.testing.assert_frame_equal(decoded, frame, check_exact=True)
    pd.testing.assert_frame_equal(frame, original)  # the sent frame is left alone


def test_freqtrades_own_transport_loses_what_the_fleet_keeps():
    frame = mixed_frame()
    plain = json_to_dataframe(dataframe_to_json(frame.copy()))
    assert plain["date_1h"].dtype.kind == "i"  # informative dates arrive as milliseconds
    assert (plain["momentum"] != frame["momentum"]).sum() > 10  # rounded to 10 decimals


def test_a_plain_freqtrade_consumer_still_reads_the_fleet_encoding():
    frame = mixed_frame()
    plain = json_to_dataframe(over_the_wire(frame)["__value__"])
    assert list(plain.columns) == list(frame.columns)
    assert (plain["date"] == frame["date"]).all()
    assert np.allclose(plain["close"], frame["close"], rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=30))
def test_any_float64_survives_exactly(values):
    dates = pd.date_range("2026-01-01", periods=len(values), freq="1min", tz="UTC")
    frame = pd.DataFrame({"date": dates, "value": np.array(values, dtype="float64")})
    decoded = decode_frame(over_the_wire(frame))
    expected = frame["value"].to_numpy()
    got = decoded["value"].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.array_equal(got[finite].view("int64"), expected[finite].view("int64"))


@pytest.mark.parametrize(
    "wire",
    [
        {"__type__": "dataframe", "__value__": "not json", "__fleet__": {"version": 1, "dtypes": {}}},
        {"__type__": "dataframe", "__value__": '{"columns": ["a"], "data": [[1, 2]]}',
         "__fleet__": {"version": 1, "dtypes": {}}},
        {"__type__": "dataframe", "__value__": '{"columns": ["a"], "data": [["x"]]}',
         "__fleet__": {"version": 1, "dtypes": {"a": "float64"}}},
        {"__type__": "dataframe", "__value__": '{"columns": ["a"], "data": [[1]]}',
         "__fleet__": {"version": 1, "dtypes": {"a": "no-such-dtype"}}},
        {"__type__": "dataframe", "__value__": "{}", "__fleet__": {"version": 99}},
    ],
)  # fmt: skip
def test_malformed_input_is_one_kind_of_error(wire):
    with pytest.raises(FrameDecodeError):
        decode_frame(wire)
