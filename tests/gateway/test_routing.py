"""Pointing a bot's public market-data URLs at the gateway, and only those."""

from __future__ import annotations

from freqfleet.gateway.profile import BINANCE_SPOT
from freqfleet.gateway.routing import route_public, upstream_of


def test_a_real_exchange_is_fronted_at_its_own_url():
    exchange = {"name": "binance", "ccxt_config": {}}
    assert upstream_of(exchange, BINANCE_SPOT) == BINANCE_SPOT.default_upstream
    routed = route_public(exchange, BINANCE_SPOT, "http://127.0.0.1:8490")
    assert routed["ccxt_config"]["urls"]["api"] == {"public": "http://127.0.0.1:8490/api/v3"}
    assert routed["ccxt_async_config"]["urls"]["api"] == {"public": "http://127.0.0.1:8490/api/v3"}
    assert exchange == {"name": "binance", "ccxt_config": {}}  # the user's config is unchanged
