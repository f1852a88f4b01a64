"""The gateway's options: checked before anything listens; the app they build."""

from __future__ import annotations

import pytest

from freqfleet.errors import ConfigError
from freqfleet.gateway.profile import BINANCE_SPOT
from freqfleet.gateway.server import DEFAULT_PORT, DEFAULT_SHARE, GatewayOptions, build_app


def test_good_options_pass_and_build_an_app_with_their_budget() -> None:
    options = GatewayOptions("http://127.0.0.1:8500", share=0.25, live_ttl=2.0)
    assert options.check() is options
    assert (options.port, GatewayOptions("http://x:1").share) == (DEFAULT_PORT, DEFAULT_SHARE)
    app = build_app(options)
    assert app.profile == BINANCE_SPOT
    assert app.budget.capacity == int(BINANCE_SPOT.limit_per_minute * 0.25)


def test_a_weight_limit_of_its_own_makes_the_budget_its_share() -> None:
    app = build_app(GatewayOptions("http://127.0.0.1:8500", share=0.9, weight_limit=1200).check())
    assert (app.budget.limit_per_minute, app.budget.capacity) == (1200, 1080)


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"upstream": "api.binance.com"},
            "--upstream 'api.binance.com': give the exchange's REST base URL, e.g. "
            "https://api.binance.com or http://127.0.0.1:8500",
        ),
        ({"exchange": "kraken"}, "--exchange 'kraken': use one of "),
        ({"share": 1.5}, "--share 1.5: use a fraction of the exchange's limit above 0, at most 1"),
        ({"port": -1}, "--port -1: use a port from 0 to 65535"),
        ({"live_ttl": 61.0}, "--live-ttl 61.0: use seconds above 0, at most 60 (default 5)"),
        (
            {"weight_limit": 0},
            "--weight-limit 0: use the exchange's request weight a minute, at least 1, or "
            "leave it out for binance's 6000",
        ),
    ],
)
def test_a_bad_option_is_one_line_naming_it(changes: dict, line: str) -> None:
    options = GatewayOptions(**{"upstream": "http://127.0.0.1:8500", **changes})
    with pytest.raises(ConfigError) as raised:
        options.check()
    assert str(raised.value).startswith(line)
