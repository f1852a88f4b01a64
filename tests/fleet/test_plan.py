"""``write_plan``: complete freqtrade configs, stubs, secrets, modes, all-or-nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import freqtrade
import pytest
from freqtrade.configuration import Configuration
from freqtrade.configuration.config_validation import validate_config_consistency
from freqtrade.enums import RunMode

from freqfleet.errors import ConfigError
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.partition import partition
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.plan_warnings import plan_warnings
from freqfleet.fleet.secrets import SECRETS_NAME
from freqfleet.fleet.spec import validate_fleet_config
from freqfleet.section import read_consumer_section
from freqfleet.strategy.settings import check_fleet_config
from tests.kit.user_config import PAIRS, user_config

SECRET_FILES = {
    "fleet-manifest.json",
    SECRETS_NAME,
    "producer-1.json",
    "producer-2.json",
    "producer-3.json",
    "consumer.json",
    "docker/consumer.json",
    "user_data/logs/producer-1.log",
    "user_data/logs/producer-2.log",
    "user_data/logs/producer-3.log",
    "user_data/logs/consumer.log",
}


def plan(config: dict[str, Any], user_dir: Path, out: Path, **options: Any) -> FleetManifest:
    return write_plan(config, validate_fleet_config(config), out, config_dir=user_dir, **options)


def load_bot_config(plan_dir: Path, *files: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What freqtrade itself makes of a bot's config files (bots run in the plan dir)."""
    monkeypatch.chdir(plan_dir)
    config = Configuration.from_files(list(files))
    config["runmode"] = RunMode.DRY_RUN  # what `freqtrade trade` checks: trade-mode schema
    # ... after the strategy resolver added what MyStrategy defines:
    config.setdefault("stoploss", -0.1)
    config.setdefault("minimal_roi", {"0": 0.1})
    validate_config_consistency(config)
    return config


def read(plan_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((plan_dir / name).read_text())


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_producer_configs_are_complete_freqtrade_configs(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    manifest = plan(user_config(), user_dir, out)
    shares = partition(PAIRS, ["producer-1", "producer-2", "producer-3"])
    tokens = set()
    for index, name in enumerate(["producer-1", "producer-2", "producer-3"]):
        config = load_bot_config(out, f"{name}.json", monkeypatch=monkeypatch)
        assert config["dry_run"] is True
        assert config["max_open_trades"] == float("inf")  # freqtrade's reading of -1
        assert config["force_entry_enable"] is True
        assert config["strategy"] == "MyStrategyFleet"
        assert config["timeframe"] == "5m"
        assert config["exchange"]["pair_whitelist"] == shares[name]
        assert config["pairlists"] == [{"method": "StaticPairList"}]
        assert config["api_server"]["enabled"] is True
        assert config["api_server"]["listen_port"] == 8081 + index
        assert config["api_server"]["listen_ip_address"] == "127.0.0.1"
        assert len(config["api_server"]["ws_token"]) >= 43  # 32 random bytes, base64
        assert len(config["api_server"]["jwt_secret_key"]) >= 43
        assert config["db_url"] == f"sqlite:///user_data/{name}.dryrun.sqlite"
        assert config["logfile"] == f"user_data/logs/{name}.log"
        assert "telegram" not in config  # no notifications, and so no token
        assert "external_message_consumer" not in config or not config[
            "external_message_consumer"
        ].get("enabled")
        assert config["fleet"] == {"role": "producer", "name": name}
        tokens.add(config["api_server"]["ws_token"])
        assert manifest.bots[index].pairs == shares[name]
    assert len(tokens) == 3


def test_the_consumer_reads_back_what_the_plan_writes(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    fleet = {"producers": 2, "max_signal_age": 100, "follow": ["force_exits", "exits"]}
    plan(user_config(fleet=fleet), user_dir, out)
    consumer = json.loads((out / "consumer.json").read_text())
    section = read_consumer_section(consumer)
    assert section.to_config() == consumer["fleet"]
    assert section.producer_api["producer-2"].url == "http://127.0.0.1:8082"
    settings = check_fleet_config(consumer)
    assert settings is not None
    assert settings.producer_names == ("producer-1", "producer-2")
    assert settings.max_signal_age == 100
    assert settings.follow == ("force_exits", "exits")
    assert settings.exit_price_secs == 5
    assert settings.shares == {
        name: tuple(pairs) for name, pairs in partition(PAIRS, settings.producer_names).items()
    }


def test_consumer_config_trades_every_producer(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    fleet = {"producers": 2, "follow": ["exits", "force_exits"], "max_signal_age": 2}
    plan(user_config(fleet=fleet, internals={"heartbeat_interval": 30}), user_dir, out)
    config = load_bot_config(out, "consumer.json", monkeypatch=monkeypatch)
    assert config["max_open_trades"] == 3
    assert config["stake_amount"] == 50
    assert config["dry_run_wallet"] == 1000
    assert config["telegram"]["enabled"] is True  # the consumer keeps the user's notifications
    assert config["process_only_new_candles"] is False
    assert config["internals"] == {"process_throttle_secs": 1, "heartbeat_interval": 30}
    # ... and prices open trades on the user's loop (freqtrade's default 5 s here).
    assert config["fleet"]["exit_price_secs"] == 5
    # The user's pairs in the user's order, as a plain bot tries them for entries (not one
    # producer's share after the other's).
    assert config["pairlists"] == [{"method": "StaticPairList"}]
    assert config["exchange"]["pair_whitelist"] == PAIRS
    assert config["fleet"]["shares"] == partition(PAIRS, ["producer-1", "producer-2"])
    emc = config["external_message_consumer"]
    assert emc["enabled"] is True
    assert emc["initial_candle_limit"] == 30 + 2 + 10  # startup candles + signal age + margin
    for index, producer in enumerate(emc["producers"]):
        own = read(out, f"producer-{index + 1}.json")["api_server"]
        assert producer == {
            "name": f"producer-{index + 1}",
            "host": "127.0.0.1",
            "port": own["listen_port"],
            "secure": False,
            "ws_token": own["ws_token"],
        }
        assert config["fleet"]["producer_api"][producer["name"]] == {
            "url": f"http://127.0.0.1:{own['listen_port']}",
            "username": "freqfleet",
            "password": own["password"],
        }
    assert config["fleet"]["max_signal_age"] == 2
    assert config["fleet"]["follow"] == ["exits", "force_exits"]
    assert config["fleet"]["informative_candles"] is False
    assert config["api_server"]["listen_port"] == 8083
    assert config["db_url"] == "sqlite:///user_data/consumer.dryrun.sqlite"
    assert "position_adjustment_enable" not in config


def test_followed_position_adjustments_enable_them_on_the_consumer_only(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    fleet = {"producers": 2, "follow": ["exits", "position_adjustments"]}
    plan(user_config(fleet=fleet), user_dir, out)
    assert read(out, "consumer.json")["position_adjustment_enable"] is True
    assert "position_adjustment_enable" not in read(out, "producer-1.json")


def test_the_consumer_prices_open_trades_on_the_users_loop(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(internals={"process_throttle_secs": 12}), user_dir, out)
    consumer = read(out, "consumer.json")
    # It loops every second (producer rows at once) and prices as the user's bot would.
    assert consumer["internals"]["process_throttle_secs"] == 1
    assert consumer["fleet"]["exit_price_secs"] == 12
    assert check_fleet_config(consumer).exit_price_secs == 12  # type: ignore[union-attr]
    # The user's fleet.exit_price_secs wins over the loop.
    chosen = user_config(
        internals={"process_throttle_secs": 12}, fleet={"producers": 2, "exit_price_secs": 30}
    )
    plan(chosen, user_dir, tmp_path / "chosen")
    assert read(tmp_path / "chosen", "consumer.json")["fleet"]["exit_price_secs"] == 30


def test_overrides_reach_their_bots(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = {
        "producers": [
            {"name": "fast", "overrides": {"internals": {"process_throttle_secs": 2}}},
            {"name": "slow", "port": 9300},
        ],
        "producer_overrides": {"unfilledtimeout": {"entry": 3, "exit": 3}},
        "consumer_overrides": {"max_open_trades": 5},
    }
    out = tmp_path / "plan"
    manifest = plan(user_config(fleet=fleet), user_dir, out)
    fast = load_bot_config(out, "producer-fast.json", monkeypatch=monkeypatch)
    slow = load_bot_config(out, "producer-slow.json", monkeypatch=monkeypatch)
    consumer = load_bot_config(out, "consumer.json", monkeypatch=monkeypatch)
    assert fast["internals"]["process_throttle_secs"] == 2
    assert fast["unfilledtimeout"]["entry"] == 3 and slow["unfilledtimeout"]["entry"] == 3
    assert slow["api_server"]["listen_port"] == 9300
    assert consumer["max_open_trades"] == 5
    assert "unfilledtimeout" not in read(out, "consumer.json")
    assert [bot.config_files for bot in manifest.bots] == [
        ["producer-fast.json"],
        ["producer-slow.json"],
        ["consumer.json"],
    ]


def test_strategy_stub_wraps_the_users_strategy(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    manifest = plan(user_config(), user_dir, out)
    strategies = out / "user_data" / "strategies"
    assert sorted(path.name for path in strategies.iterdir()) == [
        "MyStrategyFleet.py",
        "my_strategy.py",
    ]
    stub = (strategies / "MyStrategyFleet.py").read_text()
    assert "from my_strategy import MyStrategy" in stub
    assert "class MyStrategyFleet(FleetStrategy, MyStrategy):" in stub
    copied = (strategies / "my_strategy.py").read_text()
    assert copied == (user_dir / "user_data" / "strategies" / "my_strategy.py").read_text()
    assert manifest.strategy == "MyStrategyFleet"
    assert manifest.freqtrade_args(manifest.consumer) == [
        "trade",
        "--userdir",
        "user_data",
        "-c",
        "consumer.json",
        "--strategy",
        "MyStrategyFleet",
    ]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_modes(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(), user_dir, out)
    for name, _ in tree(out).items():
        expected = 0o600 if name in SECRET_FILES else 0o644
        assert mode_of(out / name) == expected, name
    assert set(tree(out)) >= SECRET_FILES
    # A log freqtrade rotates is a new file with its default mode: the folder keeps it private.
    assert mode_of(out / "user_data" / "logs") == 0o700


def test_log_files_are_private_and_kept_when_planning_again(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(fleet={"producers": 2}), user_dir, out)
    logs = out / "user_data" / "logs"
    for name in ("producer-1", "producer-2", "consumer"):
        assert (logs / f"{name}.log").read_bytes() == b""
        assert (
            read(out, "consumer.json" if name == "consumer" else f"{name}.json")["logfile"]
            == f"user_data/logs/{name}.log"
        )
    (logs / "consumer.log").write_text("2026-11-25 consumer started\n")
    (logs / "producer-1.log").chmod(0o644)  # e.g. written by an older plan
    logs.chmod(0o755)
    plan(user_config(fleet={"producers": 2}), user_dir, out)
    assert (logs / "consumer.log").read_text() == "2026-11-25 consumer started\n"
    assert mode_of(logs / "producer-1.log") == 0o600
    assert mode_of(logs) == 0o700


def test_secrets_kept_across_plans_and_rotated_on_request(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(), user_dir, out)
    first = read(out, SECRETS_NAME)
    assert set(first) == {"producer-1", "producer-2", "producer-3", "consumer"}
    values = [value for bot in first.values() for value in bot.values()]
    assert len(set(values)) == len(values) == 12

    plan(user_config(fleet={"producers": 4}), user_dir, out)
    second = read(out, SECRETS_NAME)
    assert {name: second[name] for name in first} == first
    assert set(second["producer-4"].values()).isdisjoint(values)
    assert read(out, "producer-2.json")["api_server"]["ws_token"] == first["producer-2"]["ws_token"]

    plan(user_config(fleet={"producers": 4}), user_dir, out, rotate_secrets=True)
    third = read(out, SECRETS_NAME)
    for name in second:
        for key, value in third[name].items():
            assert value != second[name][key]
    assert FleetManifest.load(out).consumer.password == third["consumer"]["password"]


def test_fewer_producers_remove_old_configs(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(fleet={"producers": 3}), user_dir, out)
    plan(user_config(fleet={"producers": 2}), user_dir, out)
    assert not (out / "producer-3.json").exists()
    assert (out / "producer-2.json").exists()
    assert [bot.name for bot in FleetManifest.load(out).bots] == [
        "producer-1",
        "producer-2",
        "consumer",
    ]


TIMEFRAME_FIX = r'; use a number and a unit \(m, h, d, w, M\), e\.g\. "1m", "5m", "1h" or "1d"$'


@pytest.mark.parametrize(
    ("changes", "edit", "message"),
    [
        ({"strategy": "NoSuchStrategy"}, None, r"^strategy: class NoSuchStrategy not found in "),
        (
            {},
            ('timeframe = "5m"', ""),
            r"^timeframe: neither the config nor MyStrategy sets one",
        ),
        (
            {"timeframe": "7q"},
            None,
            r"^timeframe: '7q' is not a timeframe freqtrade can parse" + TIMEFRAME_FIX,
        ),
        (
            {},
            ('timeframe = "5m"', 'timeframe = "7q"'),
            r"^MyStrategy\.timeframe: '7q' is not a timeframe freqtrade can parse "
            r"\(in /.+/my_strategy\.py\)" + TIMEFRAME_FIX,
        ),
        (
            {},
            ("class MyStrategy(", 'raise RuntimeError("set EXCHANGE_KEY")\n\n\nclass MyStrategy('),
            r"^strategy: /.+/user_data/strategies/my_strategy\.py cannot be imported "
            r"\(RuntimeError: set EXCHANGE_KEY\); fix it, every bot of the fleet imports it",
        ),
        (
            {},
            ("class MyStrategy(", "import no_such_module\n\n\nclass MyStrategy("),
            r"^strategy: /.+/my_strategy\.py cannot be imported \(ModuleNotFoundError: "
            r"No module named 'no_such_module'\)",
        ),
        (
            {},
            ("stoploss = -0.1", "stoploss = -0.1 +"),
            r"^strategy: /.+/my_strategy\.py cannot be imported \(SyntaxError: ",
        ),
    ],
    ids=[
        "unknown-strategy",
        "no-timeframe",
        "config-timeframe",
        "strategy-timeframe",
        "raises-at-import",
        "missing-module",
        "syntax-error",
    ],
)
def test_nothing_written_on_error(
    user_dir: Path,
    tmp_path: Path,
    changes: dict[str, Any],
    edit: tuple[str, str] | None,
    message: str,
) -> None:
    if edit is not None:
        source = user_dir / "user_data" / "strategies" / "my_strategy.py"
        assert edit[0] in source.read_text()
        source.write_text(source.read_text().replace(edit[0], edit[1]))
    out = tmp_path / "plan"
    with pytest.raises(ConfigError, match=message) as raised:
        plan(user_config(**changes), user_dir, out)
    assert "\n" not in str(raised.value)
    assert not out.exists()


def test_failed_replan_leaves_the_old_plan_untouched(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    plan(user_config(), user_dir, out)
    before = tree(out)
    with pytest.raises(ConfigError):
        plan(user_config(strategy="Missing"), user_dir, out, rotate_secrets=True)
    assert tree(out) == before


def test_refuses_a_folder_that_is_not_a_plan(user_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "stuff"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty and not a fleet plan"):
        plan(user_config(), user_dir, out)
    assert tree(out) == {"notes.txt": b"mine"}


def test_dynamic_pairlist_goes_through_the_feed(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume = [
        {"method": "VolumePairList", "number_assets": 6, "sort_key": "quoteVolume"},
        {"method": "AgeFilter", "min_days_listed": 2},
    ]
    config = user_config(fleet={"producers": 2, "pairlist_refresh": 600}, pairlists=volume)
    config["exchange"]["pair_whitelist"] = []
    out = tmp_path / "plan"
    manifest = plan(config, user_dir, out)
    assert manifest.pairlist_feed is not None
    assert manifest.pairlist_feed.refresh_period == 600
    assert manifest.pairlist_feed.files == {
        "producer-1": "pairlists/producer-1.json",
        "producer-2": "pairlists/producer-2.json",
    }
    feed = load_bot_config(out, manifest.pairlist_feed.config_file, monkeypatch=monkeypatch)
    assert feed["pairlists"] == volume
    producer = load_bot_config(out, "producer-1.json", monkeypatch=monkeypatch)
    assert producer["pairlists"] == [
        {
            "method": "RemotePairList",
            "pairlist_url": "file:///pairlists/producer-1.json",
            "mode": "whitelist",
            "processing_mode": "filter",
            "refresh_period": 60,
            "keep_pairlist_on_failure": True,
        }
    ]
    consumer = load_bot_config(out, "consumer.json", monkeypatch=monkeypatch)
    assert consumer["pairlists"] == [
        {
            "method": "RemotePairList",
            "pairlist_url": "file:///pairlists/_fleet.json",  # the feed's whole ranked list
            "mode": "whitelist",
            "processing_mode": "filter",
            "refresh_period": 60,
            "keep_pairlist_on_failure": True,
        }
    ]
    assert consumer["exchange"]["pair_whitelist"] == []
    assert "shares" not in consumer["fleet"]  # they change with every refresh
    assert "pairlist-feed" in (out / "docker-compose.yml").read_text()


def test_multi_host_fleet(user_dir: Path, tmp_path: Path) -> None:
    fleet = {
        "producers": [
            {"name": "here"},
            {"name": "there", "host": "10.0.0.7", "port": 8090},
        ]
    }
    config = user_config(fleet=fleet)
    spec = validate_fleet_config(config)
    out = tmp_path / "plan"
    manifest = plan(config, user_dir, out)
    there = read(out, "producer-there.json")
    assert there["api_server"]["listen_ip_address"] == "0.0.0.0"
    assert manifest.bots[1].host == "10.0.0.7"
    assert manifest.bots[1].api_url == "http://10.0.0.7:8090"
    compose = (out / "docker-compose.yml").read_text()
    assert '- "8090:8090"' in compose and '- "127.0.0.1:8090:8090"' not in compose
    assert '- "host-10-0-0-7"' in compose and '- "local"' in compose
    warnings = plan_warnings(config, spec)
    assert any("10.0.0.7" in warning and "fleet.secure" in warning for warning in warnings)
    assert plan_warnings(user_config(), validate_fleet_config(user_config())) == []


def test_docker_override_reaches_producers_by_service_name(
    user_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    plan(user_config(fleet={"producers": 2}), user_dir, out)
    config = load_bot_config(
        out,
        "consumer.json",
        "docker/listen-all.json",
        "docker/consumer.json",
        monkeypatch=monkeypatch,
    )
    assert [p["host"] for p in config["external_message_consumer"]["producers"]] == [
        "producer-1",
        "producer-2",
    ]
    assert config["fleet"]["producer_api"]["producer-2"]["url"] == "http://producer-2:8082"
    assert config["api_server"]["listen_ip_address"] == "0.0.0.0"
    assert config["fleet"]["max_signal_age"] == 1  # merged, not replaced
    compose = (out / "docker-compose.yml").read_text()
    assert compose.count("/api/v1/ping") == 3
    assert '"127.0.0.1:8083:8083"' in compose
    # The image of the freqtrade the plan was made with: every bot runs one version.
    dockerfile = (out / "Dockerfile").read_text()
    assert f"FROM freqtradeorg/freqtrade:{freqtrade.__version__}\n" in dockerfile


def test_remote_producers_read_their_share_over_http(user_dir: Path, tmp_path: Path) -> None:
    fleet = {
        "producers": [{"name": "near"}, {"name": "far", "host": "10.0.0.9"}],
        "pairlist_url": "http://10.0.0.1:8000/pairlists/",
    }
    config = user_config(fleet=fleet, pairlists=[{"method": "VolumePairList", "number_assets": 5}])
    out = tmp_path / "plan"
    plan(config, user_dir, out)
    near = read(out, "producer-near.json")["pairlists"][0]["pairlist_url"]
    far = read(out, "producer-far.json")["pairlists"][0]["pairlist_url"]
    assert near == "file:///pairlists/near.json"
    assert far == "http://10.0.0.1:8000/pairlists/far.json"


def test_configs_freqtrade_would_reject_are_not_written(user_dir: Path, tmp_path: Path) -> None:
    config = user_config(stake_amount="lots", entry_pricing={"price_side": "middle"})
    out = tmp_path / "plan"
    with pytest.raises(ConfigError) as raised:
        plan(config, user_dir, out)
    lines = str(raised.value).splitlines()
    assert lines[0] == "2 problems:"
    assert lines[1].strip().startswith("entry_pricing.price_side: 'middle' is not one of")
    assert lines[2].strip().startswith("stake_amount: 'lots' does not match 'unlimited'")
    assert lines[1].endswith(
        "(in the generated producer-1.json, producer-2.json, producer-3.json, consumer.json); "
        "fix it in your config"
    )
    assert lines[2].endswith("(in the generated consumer.json); fix it in your config")
    assert not out.exists()


def test_unlimited_stake_gives_producers_a_fixed_virtual_stake(
    user_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    plan(user_config(stake_amount="unlimited", max_open_trades=4), user_dir, out)
    assert read(out, "producer-1.json")["stake_amount"] == 250.0  # wallet 1000 / 4 slots
    assert read(out, "consumer.json")["stake_amount"] == "unlimited"


def test_users_api_origins_kept_and_credentials_replaced(user_dir: Path, tmp_path: Path) -> None:
    api = {
        "enabled": True,
        "listen_port": 8080,
        "username": "me",
        "password": "hunter2",
        "CORS_origins": ["http://ui.local"],
    }
    out = tmp_path / "plan"
    plan(user_config(api_server=api), user_dir, out)
    for name in ("producer-1.json", "consumer.json"):
        own = read(out, name)["api_server"]
        assert own["CORS_origins"] == ["http://ui.local"]
        assert own["username"] == "freqfleet" and own["password"] != "hunter2"
        assert own["listen_port"] != 8080
