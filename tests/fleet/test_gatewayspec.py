"""``fleet.gateway``: the settings it accepts, and a plan whose bots' public URLs lead to
the gateway, private ones not; ``up`` runs it first."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import ccxt
import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.plan_warnings import plan_warnings
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.gateway import running_gateway
from freqfleet.run.demo import DemoOptions, demo_config
from freqfleet.run.processes import process_specs
from freqfleet.sim.config import ccxt_ws_urls
from freqfleet.sim.launcher import running_simulator
from tests.kit.gateway_fleet import SIM, plan, user_config
from tests.kit.ports import free_port


def test_every_bot_asks_the_gateway_for_public_data_only(tmp_path: Path):
    config = user_config({"producers": 2, "gateway": {"listen_port": 18490, "share": 0.25}})
    manifest = plan(config, tmp_path / "plan")

    for name in ("producer-1.json", "producer-2.json", "consumer.json"):
        exchange = json.loads((tmp_path / "plan" / name).read_text())["exchange"]
        for section in ("ccxt_config", "ccxt_async_config"):
            api = exchange[section]["urls"]["api"]
            assert api["public"] == "http://127.0.0.1:18490/api/v3"
            assert api["private"] == SIM + "/api/v3"  # signed requests go straight there
            assert api["sapi"].startswith(SIM)
            # Streams go straight to the simulator too: the gateway serves REST only.
            assert api["ws"] == ccxt_ws_urls(SIM)
        assert exchange["enable_ws"] is True
    gateway = manifest.gateway
    assert gateway is not None
    assert gateway.upstream == SIM
    assert gateway.share == 0.25
    assert gateway.url == "http://127.0.0.1:18490"
    specs = process_specs(tmp_path / "plan", manifest)
    assert specs[0].name == "gateway" and specs[0].role == "gateway"
    assert specs[0].argv[-len(gateway.command_args()) :] == gateway.command_args()


def test_the_plan_warns_when_the_exports_gateway_cannot_reach_a_loopback_upstream():
    config = user_config({"producers": 2, "gateway": True})  # a simulator on 127.0.0.1
    (warning,) = [line for line in plan_warnings(config, validate_fleet_config(config))]
    assert warning.startswith(f"fleet.gateway: its upstream {SIM} is on this machine's loopback")
    assert "docker-compose and Kubernetes" in warning and "fleet.gateway.upstream" in warning
    assert "\n" not in warning
    remote = user_config({"producers": 2, "gateway": {"upstream": "https://api.binance.com"}})
    assert plan_warnings(remote, validate_fleet_config(remote)) == []
    plain = user_config({"producers": 2})
    assert not any("gateway" in line for line in plan_warnings(plain, validate_fleet_config(plain)))


def test_without_a_gateway_the_urls_stay(tmp_path: Path):
    manifest = plan(user_config({"producers": 2}), tmp_path / "plan")
    assert manifest.gateway is None
    assert all(spec.role != "gateway" for spec in process_specs(tmp_path / "plan", manifest))


def test_true_means_the_defaults(tmp_path: Path):
    manifest = plan(user_config({"producers": 1, "gateway": True}), tmp_path / "plan")
    assert manifest.gateway is not None
    assert (manifest.gateway.port, manifest.gateway.share) == (8490, 0.5)
    assert manifest.gateway.weight_limit is None  # the exchange profile's limit
    assert "--weight-limit" not in manifest.gateway.command_args()


def test_a_weight_limit_reaches_the_gateways_command(tmp_path: Path):
    config = user_config({"producers": 1, "gateway": {"weight_limit": 1200, "share": 0.9}})
    manifest = plan(config, tmp_path / "plan")
    assert manifest.gateway is not None and manifest.gateway.weight_limit == 1200
    args = manifest.gateway.command_args()
    assert args[args.index("--weight-limit") + 1] == "1200"
    assert args[args.index("--share") + 1] == "0.9"


@pytest.mark.parametrize("value", [0, -1, 1.5, "1200", True])
def test_a_bad_weight_limit_is_one_line_naming_it_and_the_fix(value):
    with pytest.raises(ConfigError) as error:
        validate_fleet_config(user_config({"producers": 1, "gateway": {"weight_limit": value}}))
    line = str(error.value)
    assert len(line.splitlines()) == 1
    assert line.startswith("fleet.gateway.weight_limit")
    assert "whole number of at least 1" in line


@pytest.mark.parametrize(
    ("fleet", "changes", "named"),
    [
        ({"producers": 2, "gateway": {"share": 0}}, {}, "fleet.gateway.share"),
        (
            {"producers": 2, "consumer_port": 18491, "gateway": {"listen_port": 18491}},
            {},
            "fleet.gateway.listen_port",
        ),
        ({"producers": [{"name": "a", "host": "10.0.0.5"}], "gateway": True}, {}, "10.0.0.5"),
        ({"producers": 2, "gateway": True}, {"exchange": {"name": "kraken"}}, "kraken"),
        ({"producers": [{"name": "gateway"}]}, {}, "gateway"),
    ],
)
def test_a_gateway_the_fleet_cannot_use_is_a_config_error(fleet, changes, named):
    config = user_config(fleet)
    if "exchange" in changes:
        config["exchange"] = {**config["exchange"], **changes["exchange"]}
    with pytest.raises(ConfigError) as error:
        validate_fleet_config(config)
    assert named in str(error.value)


@pytest.mark.timeout(120)
def test_a_futures_fleets_gateway_serves_its_bots_fapi_candles(tmp_path: Path) -> None:
    with running_simulator(pairs=4, seed=3) as sim:
        exchange = sim.futures_config(sim.futures_pairs)["exchange"]
        config = demo_config(exchange, DemoOptions(producers=2, pairs=4, futures=True))
        config["fleet"]["gateway"] = {"listen_port": free_port()}
        manifest = plan(config, tmp_path / "plan")
        gateway = manifest.gateway
        assert gateway is not None and gateway.exchange == "binance-futures"
        consumer = json.loads((tmp_path / "plan" / "consumer.json").read_text())
        api = consumer["exchange"]["ccxt_config"]["urls"]["api"]
        assert api["fapiPublic"] == f"{gateway.url}/fapi/v1"
        assert api["fapiPrivate"] == f"{sim.url}/fapi/v1"  # signed requests go straight on
        with running_gateway(gateway.upstream, exchange=gateway.exchange, port=gateway.port) as gw:
            # What the futures consumer's ccxt client asks: markets, then its candles.
            client = ccxt.binanceusdm(copy.deepcopy(consumer["exchange"]["ccxt_config"]))
            candles = client.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=499)
            stats = gw.stats()
        counts = sim.request_counts()
    assert len(candles) == 499 and counts["/fapi/v1/klines"] == 1
    assert stats["exchange"] == "binance-futures"
    assert stats["upstream"]["limit_per_minute"] == 2400
