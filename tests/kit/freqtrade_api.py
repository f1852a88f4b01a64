"""freqtrade's real API server (FastAPI + its threaded uvicorn) inside the test process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest.mock import MagicMock, patch

from freqtrade.enums import RunMode
from freqtrade.persistence import Trade
from freqtrade.rpc.api_server import ApiServer

from tests.kit.ports import free_port

API_USERNAME = "fleet"
API_PASSWORD = "api-password-0123456789"
WRONG_TOKEN = "not-the-producers-token-98765"
"""A message websocket token no server here accepts."""
WS_TOKEN = "producer-one-ws-token-0123456789"
OTHER_TOKEN = "second-accepted-token-abcdefghij"
"""Two tokens a test's producer may accept (``api_server.ws_token`` can be a list)."""


@contextlib.contextmanager
def freqtrade_api_server(ws_token: str | list[str]) -> Iterator[int]:
    """The server on 127.0.0.1 with login ``API_USERNAME``/``API_PASSWORD``; its port.

    The RPC is a mock: the message websocket only needs one to accept a connection, and a
    Trade session for the request's rollback. Endpoints that read the bot's state
    (``/status``, ``/show_config``, ...) are therefore not meaningful here; ``/version``,
    the login and the websocket are freqtrade's own.
    """
    port = free_port()
    config: dict[str, Any] = {
        "runmode": RunMode.DRY_RUN,
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": port,
            "username": API_USERNAME,
            "password": API_PASSWORD,
            "jwt_secret_key": "jwt-secret-key-0123456789-0123456789",
            "ws_token": ws_token,
            "CORS_origins": [],
        },
    }
    with patch.object(Trade, "session", MagicMock(), create=True):
        api = ApiServer(config)
        try:
            api.add_rpc_handler(MagicMock())
            yield port
        finally:
            api.cleanup()
            ApiServer.shutdown()


def publish(message: dict[str, Any]) -> None:
    """Send ``message`` to the server's websocket subscribers, as the bot's RPC does (on the
    server's own event loop: the stream is not thread-safe)."""
    stream = ApiServer._message_stream
    assert stream is not None, "the API server is not running"
    stream._loop.call_soon_threadsafe(stream.publish, message)


@contextlib.contextmanager
def freqtrade_bot_api(
    config: dict[str, Any], *, strategy_version: str | None, started_ts: int
) -> Iterator[int]:
    """freqtrade's API server answering as a running bot with ``config`` (merged over a
    minimal one): ``/version``, ``/show_config`` and ``/health`` are freqtrade's own
    endpoints; the bot behind them (state, strategy ``version()``, start time, an empty
    whitelist, no trades) is a stand-in. Login ``API_USERNAME``/``API_PASSWORD``."""
    from freqtrade.enums import State

    port = free_port()
    full: dict[str, Any] = {
        "runmode": RunMode.DRY_RUN,
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": 10,
        "timeframe": "5m",
        "exchange": {"name": "binance"},
        "api_server": {
            "enabled": True,
            "listen_ip_address": "127.0.0.1",
            "listen_port": port,
            "username": API_USERNAME,
            "password": API_PASSWORD,
            "jwt_secret_key": "jwt-secret-key-0123456789-0123456789",
            "ws_token": WS_TOKEN,
            "CORS_origins": [],
        },
        **config,
    }
    rpc = MagicMock()
    rpc._freqtrade.state = State.RUNNING
    rpc._freqtrade.strategy.version.return_value = strategy_version
    rpc.health.return_value = {"bot_startup_ts": started_ts, "bot_start_ts": started_ts}
    rpc._rpc_whitelist.return_value = {"whitelist": [], "length": 0, "method": ["Static"]}
    rpc._rpc_count.return_value = {"current": 0, "max": -1, "total_stake": 0.0}
    with patch.object(Trade, "session", MagicMock(), create=True):
        api = ApiServer(full)
        try:
            api.add_rpc_handler(rpc)
            yield port
        finally:
            api.cleanup()
            ApiServer.shutdown()
