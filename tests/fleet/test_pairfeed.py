"""The pairlist feed against the simulator: one evaluation, shares the producers really load."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.pairfeed import run_feed
from freqfleet.fleet.partition import partition
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.sim.launcher import running_simulator
from tests.kit.bots import whitelist_of
from tests.kit.ports import free_port
from tests.kit.user_config import user_config
from tests.kit.waiting import reachable, wait_until

VOLUME = [{"method": "VolumePairList", "number_assets": 7, "sort_key": "quoteVolume"}]


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
        # The consumer tries pairs in the feed's ranking, as a plain bot with this pairlist.
        assert whitelist_of(manifest.consumer.config_files) == evaluated

        # A producer on another host reads the same share over HTTP from the running feed.
        port = free_port()
        stop = threading.Event()
        feed = threading.Thread(
            target=run_feed, args=(out,), kwargs={"stop": stop, "serve": ("127.0.0.1", port)}
        )
        feed.start()
        try:
            url = f"http://127.0.0.1:{port}"
            assert wait_until(lambda: reachable(f"{url}/producer-2.json"))
            remote = json.loads((out / "producer-2.json").read_text())
            remote["pairlists"][0]["pairlist_url"] = f"{url}/producer-2.json"
            (out / "remote.json").write_text(json.dumps(remote))
            assert whitelist_of(["remote.json"]) == shares["producer-2"]
            assert httpx.get(f"{url}/").status_code == 404  # no listing
            assert httpx.get(f"{url}/../consumer.json").status_code == 404
        finally:
            stop.set()
            feed.join(timeout=30)
        assert not feed.is_alive()


def test_serve_address_must_be_host_and_port() -> None:
    from freqfleet.fleet.pairfeed import parse_address

    assert parse_address("0.0.0.0:8000") == ("0.0.0.0", 8000)
    with pytest.raises(ConfigError, match=r"^--serve: '8000' is not HOST:PORT"):
        parse_address("8000")


def test_static_plan_needs_no_feed(user_dir: Path, tmp_path: Path) -> None:
    config = user_config()
    out = tmp_path / "plan"
    write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    with pytest.raises(ConfigError, match="static pairlist; no pairlist feed is needed"):
        run_feed(out, once=True)


@pytest.mark.timeout(120)
def test_consumer_of_a_static_list_keeps_the_users_order(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_simulator(pairs=9, seed=4) as sim:
        pairs = list(reversed(sim.pairs))  # the user's order, not the exchange's
        config = user_config(fleet={"producers": 3})
        config["exchange"] = sim.exchange_config(pairs)
        out = tmp_path / "plan"
        manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
        monkeypatch.chdir(out)
        by_producer = [pair for bot in manifest.producers for pair in bot.pairs]
        assert sorted(by_producer) == sorted(pairs) and by_producer != pairs
        assert whitelist_of(manifest.consumer.config_files) == pairs
        consumer = json.loads((out / "consumer.json").read_text())
        assert consumer["fleet"]["shares"] == {bot.name: bot.pairs for bot in manifest.producers}
