"""A producer's tickers through freqtrade's Exchange (with a real simulator exchange in
``tests/strategy/test_producer_pricing.py``; here the routing itself)."""

from __future__ import annotations

import logging

from freqtrade.data.dataprovider import DataProvider
from freqtrade.exchange import Exchange

from freqfleet import compat

PAIR = "ETH/USDT"


class Tickers:
    """The ccxt client's side: counts REST ticker batches."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def fetch_tickers(self, symbols):
        self.batches.append(list(symbols))
        return {symbol: {"symbol": symbol, "last": 1.0} for symbol in symbols}


class TickerExchange(Exchange):
    """freqtrade's Exchange with a stand-in client; ``fetch_ticker`` is freqtrade's REST."""

    def __init__(self, enable_ws: bool = True) -> None:
        self._api = Tickers()
        self._config = {"exchange": {"name": "binance", "enable_ws": enable_ws}}

    def fetch_ticker(self, pair):
        return {"symbol": pair, "last": 2.0, "source": "rest"}

    def close(self) -> None:
        pass


def test_the_bots_exchange_is_the_one_behind_its_dataprovider():
    exchange = TickerExchange()
    assert compat.bot_exchange(DataProvider({}, exchange)) is exchange
    assert compat.bot_exchange(None) is None


def test_freqtrades_tickers_are_answered_by_the_route_once():
    exchange = TickerExchange()
    asked = []

    def answer(pair, fetch_ticker):
        asked.append(pair)
        return {"symbol": pair, "last": 3.0} if pair == PAIR else fetch_ticker(pair)

    assert compat.route_tickers(exchange, answer)
    assert compat.route_tickers(exchange, lambda pair, fetch: None)  # already routed
    assert exchange.fetch_ticker(PAIR)["last"] == 3.0
    assert exchange.fetch_ticker("BTC/USDT")["source"] == "rest"
    assert asked == [PAIR, "BTC/USDT"]
    assert compat.undo_patches() == 1
    assert exchange.fetch_ticker(PAIR)["source"] == "rest"


def test_without_what_the_route_needs_prices_stay_on_rest(monkeypatch, caplog):
    monkeypatch.delattr(Exchange, "_init_ccxt")
    exchange = TickerExchange()
    with caplog.at_level(logging.WARNING):
        assert not compat.route_tickers(exchange, lambda pair, fetch: None)
    assert exchange.fetch_ticker(PAIR)["source"] == "rest"
    assert any(
        "Producer prices stay on REST: freqtrade" in r.getMessage()
        and "Exchange._init_ccxt(exchange_config, sync, ccxt_kwargs)" in r.getMessage()
        for r in caplog.records
    )


def test_a_batch_of_tickers_is_one_rest_call_past_freqtrades_cache():
    exchange = TickerExchange()
    tickers = compat.fetch_tickers_uncached(exchange, [PAIR, "BTC/USDT"])
    assert set(tickers) == {PAIR, "BTC/USDT"}
    assert exchange._api.batches == [[PAIR, "BTC/USDT"]]


def test_no_stream_when_freqtrades_websockets_are_off():
    assert compat.stream_client_maker(TickerExchange(enable_ws=False)) is None


def test_no_stream_without_what_it_needs(monkeypatch):
    monkeypatch.delattr(Exchange, "_init_ccxt")
    assert compat.stream_client_maker(TickerExchange()) is None
