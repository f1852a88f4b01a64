"""The REST client against freqtrade's own API server, and against servers that answer
what a freqtrade bot would not (checked where the answer arrives)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from freqtrade import __version__ as freqtrade_version

from freqfleet.botapi import BotApi, BotApiError
from tests.kit.freqtrade_api import API_PASSWORD, API_USERNAME, freqtrade_api_server
from tests.kit.json_server import json_server
from tests.kit.ports import free_port

WS_TOKEN = "botapi-ws-token-0123456789abcdef"


@pytest.fixture(scope="module")
def freqtrade_port() -> Iterator[int]:
    with freqtrade_api_server(WS_TOKEN) as port:
        yield port


@pytest.mark.timeout(60)
def test_version_with_the_bots_login(freqtrade_port: int) -> None:
    with BotApi(f"http://127.0.0.1:{freqtrade_port}/", API_USERNAME, API_PASSWORD) as api:
        assert api.version() == {"version": freqtrade_version}


@pytest.mark.timeout(60)
def test_producer_link_carries_url_and_login(freqtrade_port: int) -> None:
    link = {
        "url": f"http://127.0.0.1:{freqtrade_port}",
        "username": API_USERNAME,
        "password": API_PASSWORD,
    }
    api = BotApi.from_link(link, timeout=5)
    assert api is not None
    with api:
        assert api.version()["version"] == freqtrade_version
    assert BotApi.from_link({"username": API_USERNAME}) is None
    assert BotApi.from_link({"url": ""}) is None
    assert BotApi.from_link(None) is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("password", ["wrong-password-0123456789", None])
def test_rejected_login_is_one_state_without_the_password(
    freqtrade_port: int, password: str | None
) -> None:
    api = BotApi(f"http://127.0.0.1:{freqtrade_port}", API_USERNAME, password)
    with api, pytest.raises(BotApiError) as raised:
        api.show_config()
    assert str(raised.value) == "credentials rejected"
    assert "wrong-password" not in repr(api)


def test_closed_port_is_unreachable() -> None:
    api = BotApi(f"http://127.0.0.1:{free_port()}", "u", "p", timeout=2)
    with api, pytest.raises(BotApiError) as raised:
        api.count()
    assert str(raised.value) == "unreachable"


def test_answers_are_checked_for_their_shape() -> None:
    answers = {
        "/api/v1/status": {"trades": []},
        "/api/v1/count": [1, 2],
        "/api/v1/whitelist": {"length": 0},
        "/api/v1/trades": {"trades": [{"pair": "BTC/USDT"}, "not a trade"]},
        "/api/v1/show_config": b"<html>a web page</html>",
    }
    with json_server(answers) as (url, _), BotApi(url) as api:
        problems = {}
        for name, call in {
            "status": api.open_trades,
            "count": api.count,
            "whitelist": api.whitelist,
            "trades": api.trades,
            "show_config": api.show_config,
            "balance": api.balance,
        }.items():
            with pytest.raises(BotApiError) as raised:
                call()
            problems[name] = str(raised.value)
    assert problems == {
        "status": "unexpected answer to /api/v1/status (not a list)",
        "count": "unexpected answer to /api/v1/count (not an object)",
        "whitelist": "unexpected answer to /api/v1/whitelist (no whitelist)",
        "trades": "unexpected answer to /api/v1/trades (a trade is not an object)",
        "show_config": "not a freqtrade API",
        "balance": "error: Not Found",
    }


def test_parameters_left_unset_are_not_sent() -> None:
    trades = [{"pair": "ETH/USDT", "open_date": "2026-01-01 00:00:00"}]
    answers = {"/api/v1/trades": {"trades": trades, "trades_count": 1}}
    with json_server(answers) as (url, stand_in), BotApi(url) as api:
        assert api.trades() == trades
        assert api.trades(limit=100, newest_first=True) == trades
    assert stand_in.queries == ["", "limit=100&order_by_id=false"]
