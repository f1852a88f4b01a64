"""Binance's general endpoints: ``/api/v3/ping``, ``/api/v3/time``, ``/api/v3/exchangeInfo``.

Why bytes built once: the symbols and limits ``exchangeInfo`` lists do not change while
the simulator runs; they are serialised when the app is built, and a request only joins
the parts around the current server time.
"""

from __future__ import annotations

from typing import Any

import orjson

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.market_data import symbol_list
from freqfleet.sim.order_limits import ORDERS_PER_DAY
from freqfleet.sim.routing import Params
from freqfleet.sim.weights import BINANCE_WEIGHT_LIMIT


def ping(params: Params, now_ms: int) -> tuple[Any, int]:
    return b"{}", 1


def server_time(params: Params, now_ms: int) -> tuple[Any, int]:
    return {"serverTime": now_ms}, 1


def rate_limits(weight_limit: int | None, order_limit: int) -> list[dict[str, Any]]:
    """What ``exchangeInfo`` announces: the request weight a minute (the simulator's limit,
    else Binance's), the new orders per 10 s and per day, the raw requests."""
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": weight_limit or BINANCE_WEIGHT_LIMIT,
        },
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": order_limit},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": ORDERS_PER_DAY},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]


class ExchangeInfo:
    """``/api/v3/exchangeInfo`` of ``exchange``: every symbol, or those asked for."""

    def __init__(self, exchange: SimExchange, weight_limit: int | None, order_limit: int) -> None:
        self.exchange = exchange
        self.symbols_json = {m.symbol: m.exchange_info() for m in exchange.markets}
        self.all_symbols = orjson.dumps(list(self.symbols_json.values()))
        self.head = orjson.dumps({"timezone": "UTC"})[:-1]
        limits = orjson.dumps(rate_limits(weight_limit, order_limit))
        self.tail = b',"rateLimits":' + limits + b',"exchangeFilters":[],"symbols":'

    def __call__(self, params: Params, now_ms: int) -> tuple[Any, int]:
        markets = symbol_list(self.exchange, params)
        params.text("permissions")
        params.text("showPermissionSets")
        status = params.text("symbolStatus")
        if status is not None and status not in ("TRADING", "HALT", "BREAK"):
            raise errors.invalid_data("symbolStatus")
        if markets is None and status in (None, "TRADING"):
            listed = self.all_symbols
        elif status not in (None, "TRADING"):
            listed = b"[]"
        else:
            symbols = self.symbols_json
            listed = orjson.dumps([symbols[self.exchange.markets[i].symbol] for i in markets or ()])
        body = self.head + b',"serverTime":' + str(now_ms).encode() + self.tail + listed + b"}"
        return body, 20


__all__ = ["ExchangeInfo", "ping", "rate_limits", "server_time"]
