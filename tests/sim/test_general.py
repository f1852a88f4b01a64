"""Binance's general endpoints in process: ping, server time, exchange info."""

from __future__ import annotations

from fastapi.testclient import TestClient

from freqfleet.sim.exchange import SimExchange
from tests.kit.clock import NOW_MS


def test_ping_time_and_exchange_info(client: TestClient, exchange: SimExchange) -> None:
    assert client.get("/api/v3/ping").json() == {}
    assert client.get("/api/v3/time").json() == {"serverTime": NOW_MS}
    info = client.get("/api/v3/exchangeInfo").json()
    assert info["serverTime"] == NOW_MS
    assert [s["symbol"] for s in info["symbols"]] == [m.symbol for m in exchange.markets]
    btc = info["symbols"][0]
    assert (btc["baseAsset"], btc["quoteAsset"], btc["status"]) == ("BTC", "USDT", "TRADING")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert float(filters["PRICE_FILTER"]["tickSize"]) == exchange.markets[0].tick
    assert float(filters["LOT_SIZE"]["stepSize"]) == exchange.markets[0].step
    assert float(filters["NOTIONAL"]["minNotional"]) == 5.0
    one = client.get("/api/v3/exchangeInfo", params={"symbol": "ETHUSDT"}).json()
    assert [s["symbol"] for s in one["symbols"]] == ["ETHUSDT"]
