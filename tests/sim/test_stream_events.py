"""The streams' events in process: every kline as REST's row of the same candle, every
ticker as REST's 24hr ticker at that moment, and only the streams a model can serve."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from freqfleet.datasets import dataset_dir
from freqfleet.sim.app import create_app
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.models.replay import ReplayModel
from freqfleet.sim.streams import TICKER_MS, UPDATE_MS
from tests.kit.clock import NOW_MS, Clock
from tests.kit.stream_client import as_rest_row, request, rest_candle, rest_newest, subscribe

# A push that never comes must fail the test, not hang it.
pytestmark = pytest.mark.timeout(60)

MINUTE = 60_000
DAY = 24 * 60 * MINUTE


def test_the_candle_in_progress_is_pushed_every_tick_as_rest_shows_it(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    subscribe(streams, "btcusdt@kline_1m")
    for _ in range(2):
        clock.now_ms += UPDATE_MS
        event = streams.receive_json()
        assert (event["e"], event["E"], event["s"]) == ("kline", clock.now_ms, "BTCUSDT")
        kline = event["k"]
        assert (kline["s"], kline["i"], kline["x"]) == ("BTCUSDT", "1m", False)
        assert kline["t"] == clock.now_ms - clock.now_ms % MINUTE
        assert as_rest_row(kline) == rest_newest(client, "BTCUSDT", "1m")
        assert kline["L"] - kline["f"] + 1 == kline["n"]


def test_ticker_streams_push_every_second_what_rest_answers(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    """``<symbol>@ticker`` is Binance's 24hr ticker event, ``@miniTicker`` its mini one,
    each second; every value is the REST ``/api/v3/ticker/24hr`` field at that moment."""
    subscribe(streams, "btcusdt@ticker", "ethusdt@miniTicker")
    fields = {"c": "lastPrice", "b": "bidPrice", "a": "askPrice", "o": "openPrice"}
    fields |= {"h": "highPrice", "l": "lowPrice", "v": "volume", "q": "quoteVolume"}
    for _ in range(2):
        clock.now_ms += TICKER_MS
        full, mini = streams.receive_json(), streams.receive_json()
        rest = client.get("/api/v3/ticker/24hr", params={"symbol": "BTCUSDT"}).json()
        assert (full["e"], full["E"], full["s"]) == ("24hrTicker", clock.now_ms, "BTCUSDT")
        assert {k: full[k] for k in fields} == {k: rest[v] for k, v in fields.items()}
        assert (full["C"], full["n"], full["x"]) == (
            rest["closeTime"],
            rest["count"],
            rest["prevClosePrice"],
        )
        assert float(full["a"]) > float(full["b"]) > 0
        rest_eth = client.get("/api/v3/ticker/24hr", params={"symbol": "ETHUSDT"}).json()
        assert (mini["e"], mini["s"]) == ("24hrMiniTicker", "ETHUSDT")
        assert mini["c"] == rest_eth["lastPrice"] and "b" not in mini
    assert TICKER_MS == 1_000 and request(streams, "SUBSCRIBE", ["nopeusdt@ticker"])["error"]


def test_at_the_close_the_final_candle_equals_rest_then_the_new_candle_follows(
    client: TestClient, streams: Any, clock: Clock
) -> None:
    subscribe(streams, "ethusdt@kline_1m", "ethusdt@kline_5m")
    boundary = NOW_MS - NOW_MS % (5 * MINUTE) + 5 * MINUTE  # a 1m and a 5m close
    clock.now_ms = boundary - 500
    before = [streams.receive_json()["k"] for _ in range(5)]  # three 1m closes, 2 live
    assert [k["x"] for k in before].count(True) == 3
    clock.now_ms = boundary + 3
    events = [streams.receive_json() for _ in range(4)]
    by_interval = {
        interval: [e["k"] for e in events if e["k"]["i"] == interval] for interval in ("1m", "5m")
    }
    for interval, length in (("1m", MINUTE), ("5m", 5 * MINUTE)):
        closed, new = by_interval[interval]
        assert closed["x"] is True and closed["t"] == boundary - length
        assert closed["T"] == boundary - 1
        assert as_rest_row(closed) == rest_candle(client, "ETHUSDT", interval, boundary - length)
        assert new["x"] is False and new["t"] == boundary
        assert as_rest_row(new) == rest_newest(client, "ETHUSDT", interval)
        # The candle in progress just before the close had the same open, and at the close
        # REST serves exactly the pushed final candle.
        assert closed["o"] == rest_candle(client, "ETHUSDT", "1m", boundary - length)[1]


def test_an_interval_finer_than_the_models_candles_is_refused(clock: Clock) -> None:
    model = ReplayModel.from_directory(dataset_dir("binance-2018"), anchor_ms=NOW_MS - NOW_MS % DAY)
    assert model.base_ms == 5 * MINUTE
    with (
        TestClient(create_app(SimExchange(model, clock=clock))) as client,
        client.websocket_connect("/ws/0") as ws,
    ):
        symbol = model.markets[0].symbol.lower()
        assert request(ws, "SUBSCRIBE", [f"{symbol}@kline_1m"])["error"]["code"] == 2
        subscribe(ws, f"{symbol}@kline_5m")
