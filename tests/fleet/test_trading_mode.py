"""One trading mode for the fleet: futures configs are checked whole (margin mode, swaps
settled in the stake currency, no override changing the mode) and every bot of a plan,
the pairlist feed included, trades in the user's mode; a live futures fleet hands the key
to the consumer alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.live import trading_line
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.fleet.trading_mode import swap_pair, trading_mode_problems
from freqfleet.sim.config import exchange_config
from tests.kit.user_config import PAIRS, user_config

SWAPS = [swap_pair(pair, "USDT") for pair in PAIRS]
VOLUME = [{"method": "VolumePairList", "number_assets": 6, "sort_key": "quoteVolume"}]


def futures_config(**changes: Any) -> dict[str, Any]:
    config = user_config(**{"trading_mode": "futures", "margin_mode": "isolated", **changes})
    config["exchange"] = exchange_config("http://127.0.0.1:9", SWAPS, trading_mode="futures")
    return config


def plan(config: dict[str, Any], user_dir: Path, out: Path) -> None:
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)


def bots(out: Path) -> dict[str, dict[str, Any]]:
    """Every freqtrade config of the plan (the bots' and the pairlist feed's)."""
    return {
        path.name: json.loads(path.read_text())
        for path in out.glob("*.json")
        if path.name.startswith(("producer-", "consumer", "pairlist-feed"))
    }


def test_every_bot_of_a_futures_plan_trades_swaps_in_the_users_margin_mode(
    user_dir: Path, tmp_path: Path
) -> None:
    plan(futures_config(margin_mode="cross"), user_dir, tmp_path / "fleet")
    written = bots(tmp_path / "fleet")
    assert len(written) == 4  # three producers and the consumer
    for name, bot in written.items():
        assert (bot["trading_mode"], bot["margin_mode"]) == ("futures", "cross"), name
    shares = [written[f"producer-{i}.json"]["exchange"]["pair_whitelist"] for i in (1, 2, 3)]
    assert sorted(pair for share in shares for pair in share) == sorted(SWAPS)
    assert written["consumer.json"]["exchange"]["pair_whitelist"] == SWAPS


def test_a_dynamic_futures_pairlist_feed_runs_on_futures(user_dir: Path, tmp_path: Path) -> None:
    config = futures_config(pairlists=VOLUME)
    config["exchange"]["pair_whitelist"] = []
    plan(config, user_dir, tmp_path / "fleet")
    feed = json.loads((tmp_path / "fleet" / "pairlist-feed.json").read_text())
    assert (feed["trading_mode"], feed["margin_mode"]) == ("futures", "isolated")


def test_a_live_futures_fleet_gives_the_key_to_the_consumer_only(
    user_dir: Path, tmp_path: Path
) -> None:
    config = futures_config(dry_run=False)
    config["exchange"].update(key="key-of-the-user", secret="secret-of-the-user")
    plan(config, user_dir, tmp_path / "fleet")
    written = bots(tmp_path / "fleet")
    consumer = written.pop("consumer.json")
    assert consumer["dry_run"] is False and consumer["trading_mode"] == "futures"
    assert consumer["exchange"]["key"] == "key-of-the-user"
    assert trading_line(config, validate_fleet_config(config)).startswith(
        "consumer trades LIVE on binance futures (isolated margin) with your key"
    )
    assert written
    for name, bot in written.items():
        assert bot["dry_run"] is True and bot["trading_mode"] == "futures", name
        assert "key-of-the-user" not in json.dumps(bot), name


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"margin_mode": None}, 'margin_mode: futures needs a margin mode; set "margin_mode"'),
        ({"margin_mode": "portfolio"}, "margin_mode: 'portfolio' is not a margin mode; use"),
        ({"trading_mode": "margin"}, "trading_mode: 'margin' is not a mode a fleet trades in"),
        (
            {"pairs": ["BTC/USDT", "ETH/USDT:USDT"]},
            "exchange.pair_whitelist: 'BTC/USDT' are spot pairs; on futures list swaps settled "
            "in the stake currency, e.g. 'BTC/USDT:USDT'",
        ),
        (
            {"pairs": ["BTC/USDC:USDC"]},
            "exchange.pair_whitelist: 'BTC/USDC:USDC' settle in USDC, not in the stake "
            'currency USDT; list \':USDT\' swaps or set "stake_currency": "USDC"',
        ),
        (
            {"trading_mode": "spot", "pairs": SWAPS},
            "exchange.pair_whitelist: 'BTC/USDT:USDT', 'ETH/USDT:USDT', 'SOL/USDT:USDT' and 6 "
            "more are swaps, which spot cannot trade",
        ),
        (
            {"trading_mode": "spot", "pairs": PAIRS},
            "margin_mode: 'isolated' applies to futures only; remove it",
        ),
    ],
)
def test_a_futures_config_that_cannot_trade_is_refused_in_one_line(
    changes: dict[str, Any], message: str
) -> None:
    pairs = changes.pop("pairs", None)
    config = futures_config(**changes)
    if changes.get("margin_mode", "") is None:
        config.pop("margin_mode")
    if pairs is not None:
        config["exchange"]["pair_whitelist"] = pairs
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(config)
    assert message in str(raised.value)
    assert any(message in line for line in str(raised.value).splitlines())


@pytest.mark.parametrize(
    "fleet",
    [
        {"producers": 2, "producer_overrides": {"trading_mode": "spot"}},
        {"producers": 2, "consumer_overrides": {"margin_mode": "cross"}},
        {"producers": [{"name": "a", "overrides": {"trading_mode": "spot"}}, {"name": "b"}]},
    ],
)
def test_overrides_may_not_change_one_bots_mode(fleet: dict[str, Any]) -> None:
    config = futures_config(fleet=fleet)
    with pytest.raises(ConfigError, match="every bot of a fleet trades in one mode; set"):
        validate_fleet_config(config)


def test_a_spot_config_has_no_trading_mode_problem() -> None:
    assert trading_mode_problems(user_config()) == []
    assert trading_mode_problems(futures_config()) == []


def test_a_shorting_strategy_on_spot_is_refused_by_the_plan_in_one_line(
    user_dir: Path, tmp_path: Path
) -> None:
    strategy = user_dir / "user_data" / "strategies" / "my_strategy.py"
    text = strategy.read_text().replace(
        "    stoploss = -0.1\n", "    stoploss = -0.1\n    can_short = True\n"
    )
    strategy.write_text(text)
    with pytest.raises(ConfigError) as raised:
        plan(user_config(), user_dir, tmp_path / "fleet")
    [line] = str(raised.value).splitlines()
    assert "trading_mode: MyStrategy shorts (can_short = True)" in line
    assert '"trading_mode": "futures"' in line and "can_short = False" in line
    assert not (tmp_path / "fleet").exists()
    # The same strategy in futures plans.
    plan(futures_config(), user_dir, tmp_path / "futures")
    assert json.loads((tmp_path / "futures" / "consumer.json").read_text())["trading_mode"] == (
        "futures"
    )
