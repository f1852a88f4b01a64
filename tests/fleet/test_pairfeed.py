"""The pairlist feed against the simulator: one evaluation, shares the producers really load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freqtrade.configuration import Configuration
from freqtrade.data.dataprovider import DataProvider
from freqtrade.plugins.pairlistmanager import PairListManager
from freqtrade.resolvers import ExchangeResolver

from freqfleet.errors import ConfigError
from freqfleet.fleet.pairfeed import run_feed
from freqfleet.fleet.partition import partition
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.sim.testing import running_simulator
from tests.fleet.conftest import user_config

VOLUME = [{"method": "VolumePairList", "number_assets": 7, "sort_key": "quoteVolume"}]


def whitelist_of(config_files: list[str]) -> list[str]:
    """The whitelist freqtrade's own PairListManager produces for these config files."""
    config = Configuration.from_files(config_files)
    exchange = ExchangeResolver.load_exchange(config, validate=False)
    try:
        manager = PairListManager(exchange, config, DataProvider(config, exchange))
        manager.refresh_pairlist()
        return list(manager.whitelist)
    finally:
        exchange.close()


@pytest.mark.timeout(120)
def test_feed_splits_one_evaluation_and_producers_load_their_share(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_simulator(pairs=15, seed=3) as sim:
        config = user_config(fleet={"producers": 3}, pairlists=VOLUME)
        config["exchange"] = sim.exchange_config([])
        out = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
        monkeypatch.chdir(out)

        assert run_feed(out, once=True) == 0

        summary = json.loads((out / "pairlists" / "_fleet.json").read_text())
        evaluated = summary["pairs"]
        assert len(evaluated) == 7
        assert evaluated == whitelist_of([manifest.pairlist_feed.config_file])
        shares = {
            name: json.loads((out / path).read_text())["pairs"]
            for name, path in manifest.pairlist_feed.files.items()
        }
        assert shares == partition(evaluated, ["producer-1", "producer-2", "producer-3"])
        loaded = {bot.name: whitelist_of(bot.config_files) for bot in manifest.producers}
        assert loaded == shares
        assert sorted(pair for share in loaded.values() for pair in share) == sorted(evaluated)


def test_static_plan_needs_no_feed(user_dir: Path, tmp_path: Path) -> None:
    config = user_config()
    out = tmp_path / "plan"
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    with pytest.raises(ConfigError, match="static pairlist; no pairlist feed is needed"):
        run_feed(out, once=True)
