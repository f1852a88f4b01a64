"""The demo's options and config, without running a fleet (the fleet e2e test runs one)."""

from __future__ import annotations

import json

import pytest

from freqfleet.cli import main
from freqfleet.errors import ConfigError
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.run.demo import (
    DemoOptions,
    account_line,
    check_every_producer_has_pairs,
    demo_config,
    max_concurrent,
)
from freqfleet.sim.config import exchange_config


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (DemoOptions(producers=0), "--producers 0: use 1 to 20 producers"),
        (DemoOptions(producers=4, pairs=3), "--pairs 3: use at least one pair per producer"),
        (DemoOptions(minutes=0), "--minutes 0: use a positive number of minutes"),
        (DemoOptions(max_open_trades=0), "--max-open-trades 0: use 1 or more"),
    ],
)
def test_bad_demo_options_name_the_option(options: DemoOptions, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        options.check()


def test_bad_demo_option_on_the_command_line(capsys) -> None:
    assert main(["demo", "--producers", "0"]) == 2
    assert "--producers 0" in capsys.readouterr().err


def test_demo_config_is_a_valid_fleet_config() -> None:
    options = DemoOptions(producers=3, pairs=9, max_open_trades=4)
    config = demo_config(exchange_config("http://127.0.0.1:9", ["BTC/USDT"]), options)
    spec = validate_fleet_config(config)
    assert spec.producer_names == ["producer-1", "producer-2", "producer-3"]
    ports = [producer["port"] for producer in config["fleet"]["producers"]]
    assert len({*ports, config["fleet"]["consumer_port"]}) == 4
    assert config["max_open_trades"] == 4
    assert config["order_types"]["entry"] == "market"


def test_a_live_demo_config_trades_live_with_the_accounts_key() -> None:
    key, secret = "k" * 64, "s" * 64
    exchange = exchange_config("http://127.0.0.1:9", ["BTC/USDT"], key=key, secret=secret)
    config = demo_config(exchange, DemoOptions(live=True))
    assert config["dry_run"] is False
    assert (config["exchange"]["key"], config["exchange"]["secret"]) == (key, secret)
    assert demo_config(exchange_config("http://127.0.0.1:9", []), DemoOptions())["dry_run"]


def test_the_live_demo_option_on_the_command_line(capsys) -> None:
    assert main(["demo", "--live", "--producers", "0"]) == 2  # checked before anything starts
    assert "--producers 0" in capsys.readouterr().err


def test_account_line_lists_the_simulators_balances() -> None:
    account = {
        "balances": {
            "USDT": {"free": "6699.84112600", "locked": "0.00000000"},
            "ETH": {"free": "1.39150710", "locked": "0.10000000"},
        },
        "orders": [],
    }
    assert account_line(account) == (
        "simulator account: ETH 1.39150710 free, 0.10000000 locked; "
        "USDT 6699.84112600 free, 0.00000000 locked"
    )
    assert account_line({}) == "simulator account: no balances"


def test_demo_refuses_a_split_that_leaves_a_producer_without_pairs() -> None:
    # The simulator's first four pairs all fall to producer-1 under the stable split.
    options = DemoOptions(producers=2, pairs=4)
    pairs = ["BTC/USDT", "ETH/USDT", "BNB/USDT", "SOL/USDT"]
    config = demo_config(exchange_config("http://127.0.0.1:9", pairs), options)
    with pytest.raises(ConfigError, match=r"--pairs 4: .* gives producer-2 none of the 4 pairs"):
        check_every_producer_has_pairs(config, options)


def test_demo_accepts_a_split_where_every_producer_has_pairs() -> None:
    options = DemoOptions(producers=2, pairs=5)
    pairs = ["BTC/USDT", "ETH/USDT", "BNB/USDT", "SOL/USDT", "XRP/USDT"]
    config = demo_config(exchange_config("http://127.0.0.1:9", pairs), options)
    check_every_producer_has_pairs(config, options)
    assert config["fleet"]["producers"][1]["name"] == "producer-2"


def test_max_concurrent_counts_overlaps() -> None:
    trades = [
        {"open_date": "2026-01-01T00:00:00", "close_date": "2026-01-01T00:10:00"},
        {"open_date": "2026-01-01T00:05:00", "close_date": "2026-01-01T00:06:00"},
        {"open_date": "2026-01-01T00:10:00", "close_date": None},  # opens as the first closes
        {"open_date": "2026-01-01T00:07:00"},  # still open
    ]
    assert max_concurrent(trades) == 2


def test_a_futures_demo_config_plans_a_futures_fleet(tmp_path, user_dir) -> None:
    from freqfleet.fleet.plan import write_plan
    from freqfleet.sim.config import futures_config

    keys = futures_config("http://127.0.0.1:9", ["BTC/USDT:USDT", "ETH/USDT:USDT"])
    config = demo_config(keys["exchange"], DemoOptions(producers=2, pairs=4, futures=True))
    assert (config["trading_mode"], config["margin_mode"]) == ("futures", "isolated")
    assert config["strategy"] == "FleetFuturesSampleStrategy"
    manifest = write_plan(config, validate_fleet_config(config), tmp_path / "fleet")
    assert manifest.strategy == "FleetFuturesSampleStrategy"
    for bot in manifest.bots:
        written = json.loads((tmp_path / "fleet" / bot.config_files[0]).read_text())
        assert written["trading_mode"] == "futures", bot.name
        assert all(pair.endswith(":USDT") for pair in written["exchange"]["pair_whitelist"])


def test_the_futures_demo_option_on_the_command_line(capsys) -> None:
    assert main(["demo", "--futures", "--producers", "0"]) == 2  # checked before anything starts
    assert "--producers 0" in capsys.readouterr().err


def test_account_line_shows_the_futures_wallet() -> None:
    account = {
        "balances": {"USDT": {"free": "10000", "locked": "0"}},
        "futures": {
            "wallet": {
                "totalWalletBalance": "9990.5",
                "totalUnrealizedProfit": "-1.25",
                "availableBalance": "9800",
                "totalMaintMargin": "1",
            },
            "positions": [{"symbol": "BTCUSDT"}],
        },
    }
    line = account_line(account)
    assert line.endswith(
        "futures (USDT): totalWalletBalance 9990.5, totalUnrealizedProfit -1.25, "
        "availableBalance 9800; 1 open position(s)"
    )
