"""The fleet section: defaults, derived values, and the exact message each mistake gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.spec import load_fleet_config, validate_fleet_config
from tests.kit.user_config import user_config, write_config

PORTS_FIX = "use a free TCP port between 1024 and 65535, or leave it out"
PRODUCERS_FIX = 'use a number of producers (1-64) or a list like [{"name": "a"}]'
NAME_FIX = "use 1-32 lowercase letters, digits, '-' or '_', starting with a letter or digit"

BAD_SECTIONS: list[tuple[str, Any, str]] = [
    ("missing producers", {}, f"fleet.producers: is required; {PRODUCERS_FIX}"),
    (
        "producers as text",
        {"producers": "3"},
        f"fleet.producers: must be a number or a list, got str '3'; {PRODUCERS_FIX}",
    ),
    (
        "producers as bool",
        {"producers": True},
        f"fleet.producers: must be a number or a list, got bool True; {PRODUCERS_FIX}",
    ),
    (
        "no producers",
        {"producers": 0},
        f"fleet.producers: a fleet needs 1 to 64 producers, got 0; {PRODUCERS_FIX}",
    ),
    (
        "too many producers",
        {"producers": 65},
        f"fleet.producers: a fleet needs 1 to 64 producers, got 65; {PRODUCERS_FIX}",
    ),
    (
        "empty producer list",
        {"producers": []},
        f"fleet.producers: a fleet needs 1 to 64 producers, got 0; {PRODUCERS_FIX}",
    ),
    (
        "uppercase name",
        {"producers": [{"name": "Alpha"}]},
        f"fleet.producers[0].name: 'Alpha' is not a usable bot name; {NAME_FIX}",
    ),
    (
        "name ending in a line break",
        {"producers": [{"name": "alpha\n"}]},
        f"fleet.producers[0].name: 'alpha\\n' is not a usable bot name; {NAME_FIX}",
    ),
    (
        "name missing",
        {"producers": [{"host": "127.0.0.1"}]},
        f"fleet.producers[0].name: is required; {NAME_FIX}",
    ),
    (
        "duplicate names",
        {"producers": [{"name": "a"}, {"name": "a"}]},
        f"fleet.producers: producer names must be unique, 'a' repeats; {PRODUCERS_FIX}",
    ),
    (
        "privileged port",
        {"producers": [{"name": "a", "port": 80}]},
        f"fleet.producers[0].port: must be >= 1024, got 80; {PORTS_FIX}",
    ),
    (
        "producer not an object",
        {"producers": [1]},
        f"fleet.producers[0]: must be an object, got int 1; {PRODUCERS_FIX}",
    ),
    (
        "unknown producer key",
        {"producers": [{"name": "a", "colour": "red"}]},
        "fleet.producers[0].colour: is not a producer setting; remove it (known: name, host, port, overrides)",
    ),
    (
        "listen not an IP",
        {"producers": 2, "listen": "localhost"},
        'fleet.listen: \'localhost\' is not an IP address; use the IP address the bots\' APIs listen on, e.g. "127.0.0.1" or "0.0.0.0"',
    ),
    (
        "base_port too high",
        {"producers": 2, "base_port": 70000},
        "fleet.base_port: must be <= 65535, got 70000; use a port between 1024 and 65535; producers count up from it",
    ),
    (
        "base_port as text",
        {"producers": 2, "base_port": "8081"},
        "fleet.base_port: must be a whole number, got str '8081'; use a port between 1024 and 65535; producers count up from it",
    ),
    (
        "signal age zero",
        {"producers": 2, "max_signal_age": 0},
        "fleet.max_signal_age: must be >= 1, got 0; use a whole number of candles from 1 to 100 (default 1)",
    ),
    (
        "unknown follow",
        {"producers": 2, "follow": ["exits", "entries"]},
        "fleet.follow[1]: 'entries' is not allowed; use a list of any of exits, force_entries, force_exits, position_adjustments (or [])",
    ),
    (
        "repeated follow",
        {"producers": 2, "follow": ["exits", "exits"]},
        "fleet.follow: an entry repeats; use a list of any of exits, force_entries, force_exits, position_adjustments (or [])",
    ),
    (
        "follow as text",
        {"producers": 2, "follow": "exits"},
        "fleet.follow: must be a list, got str 'exits'; use a list of any of exits, force_entries, force_exits, position_adjustments (or [])",
    ),
    (
        "informative as text",
        {"producers": 2, "informative_candles": "yes"},
        "fleet.informative_candles: must be true or false, got str 'yes'; use true to let the consumer download informative pairs",
    ),
    (
        "override owned key",
        {"producers": 2, "producer_overrides": {"dry_run": False}},
        "fleet.producer_overrides: 'dry_run' is set by the fleet and cannot be overridden; use an object of freqtrade settings merged into every producer",
    ),
    (
        "producer override owned key",
        {"producers": [{"name": "a", "overrides": {"db_url": "x"}}]},
        "fleet.producers[0].overrides: 'db_url' is set by the fleet and cannot be overridden; use an object of freqtrade settings for this producer only",
    ),
    (
        "overrides not an object",
        {"producers": 2, "consumer_overrides": []},
        "fleet.consumer_overrides: must be an object, got list []; use an object of freqtrade settings merged into the consumer",
    ),
    (
        "refresh too short",
        {"producers": 2, "pairlist_refresh": 10},
        "fleet.pairlist_refresh: must be >= 60, got 10; use seconds between 60 and 86400: how often a dynamic pairlist is re-evaluated",
    ),
    (
        "candle limit too high",
        {"producers": 2, "initial_candle_limit": 2000},
        "fleet.initial_candle_limit: must be <= 1500, got 2000; use a number of candles from 1 to 1500, or leave it out to size it to the strategy",
    ),
    (
        "unknown key",
        {"producers": 2, "workers": 4},
        "fleet.workers: is not a fleet setting; remove it (known: producers, redundancy, listen, base_port, consumer_port, secure, producer_overrides, consumer_overrides, max_signal_age, informative_candles, consumer_candles, follow, exit_price_secs, alerts, pairlist_refresh, pairlist_url, initial_candle_limit, api_username, kubernetes, gateway)",
    ),
    (
        "pairlist_url not http",
        {"producers": 2, "pairlist_url": "ftp://x/p"},
        "fleet.pairlist_url: 'ftp://x/p' does not match ^https?://; use the http(s) URL where "
        'the plan\'s pairlists/ folder is served, e.g. "http://10.0.0.1:8000/pairlists"',
    ),
    (
        "consumer port taken",
        {"producers": 2, "consumer_port": 8082},
        "fleet.consumer_port: 8082 is also a producer's port; use a port no producer uses",
    ),
    (
        "same host and port",
        {
            "producers": [
                {"name": "a", "host": "10.0.0.5", "port": 9000},
                {"name": "b", "host": "10.0.0.5", "port": 9000},
            ]
        },
        "fleet.producers[1].port: b and a both use 10.0.0.5:9000; give each producer on a host its own port",
    ),
    (
        "reserved name",
        {"producers": [{"name": "consumer"}]},
        "fleet.producers[0].name: 'consumer' is the consumer's name; choose another producer name",
    ),
    (
        "reserved feed name",
        {"producers": [{"name": "pairlist-feed"}]},
        "fleet.producers[0].name: 'pairlist-feed' is the pairlist feed's name; choose another producer name",
    ),
    (
        "redundancy above the producers",
        {"producers": 2, "redundancy": 3},
        "fleet.redundancy: 3 producers per pair, but the fleet has 2; use at most 2 or add "
        "producers",
    ),
    (
        "redundancy zero",
        {"producers": 2, "redundancy": 0},
        "fleet.redundancy: must be >= 1, got 0; use how many producers analyse each "
        "pair: 1 up to the number of producers",
    ),
    (
        "ports run out",
        {"producers": 3, "base_port": 65534},
        "fleet.base_port: the consumer's port would exceed 65535; use a lower base_port",
    ),
    (
        "section not an object",
        [1, 2],
        'fleet: must be an object, got list; e.g. "fleet": {"producers": 2}',
    ),
]


@pytest.mark.parametrize(
    ("section", "message"),
    [(section, message) for _, section, message in BAD_SECTIONS],
    ids=[case for case, _, _ in BAD_SECTIONS],
)
def test_bad_fleet_section_gets_one_exact_line(section: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(user_config(fleet=section))
    assert str(raised.value) == message


def test_table_covers_many_mistakes() -> None:
    assert len(BAD_SECTIONS) >= 15
    assert len({case for case, _, _ in BAD_SECTIONS}) == len(BAD_SECTIONS)
    assert len({message.split(":")[0] for _, _, message in BAD_SECTIONS}) >= 15


def test_every_problem_is_reported_at_once() -> None:
    config = user_config(
        fleet={"producers": [{"name": "A"}], "max_signal_age": 0, "oops": 1},
        strategy=None,
    )
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(config)
    lines = str(raised.value).splitlines()
    assert lines[0] == "4 problems:"
    fields = [line.strip().split(":")[0] for line in lines[1:]]
    assert fields == ["fleet.producers[0].name", "fleet.max_signal_age", "fleet.oops", "strategy"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"fleet": None},
            'fleet: is required; add a "fleet" section, e.g. "fleet": {"producers": 2}',
        ),
        ({"strategy": ""}, 'strategy: is required; set "strategy" to your strategy class name'),
        (
            {"external_message_consumer": {"enabled": True, "producers": []}},
            "external_message_consumer: the fleet writes it for the consumer; remove it from your config",
        ),
        (
            {"pairlists": [{"method": "ProducerPairList"}]},
            "pairlists[0].method: ProducerPairList - the fleet writes the consumer's ProducerPairList itself; remove it",
        ),
        (
            {"pairlists": "StaticPairList"},
            'pairlists: must be a list of {"method": ...} objects; use e.g. [{"method": "StaticPairList"}]',
        ),
    ],
)
def test_rest_of_config_problems(changes: dict[str, Any], message: str) -> None:
    config = user_config()
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(config)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"use_exit_signal": False},
            "use_exit_signal: is false, so freqtrade never asks custom_exit and the consumer "
            "cannot follow exits (fleet.follow); set it to true or leave exits out of "
            "fleet.follow",
        ),
        (
            {"use_exit_signal": False, "fleet": {"producers": 2, "follow": ["force_exits"]}},
            "use_exit_signal: is false, so freqtrade never asks custom_exit and the consumer "
            "cannot follow force_exits (fleet.follow); set it to true or leave force_exits "
            "out of fleet.follow",
        ),
    ],
)
def test_what_follow_needs_of_the_config_is_checked_at_plan_time(
    changes: dict[str, Any], message: str
) -> None:
    config = user_config(**changes)
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(config)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "changes",
    [
        {"use_exit_signal": False, "fleet": {"producers": 2, "follow": []}},
        {"use_exit_signal": True},
        # The plan turns position adjustment on for a consumer that follows adjustments.
        {
            "position_adjustment_enable": False,
            "fleet": {"producers": 2, "follow": ["exits", "position_adjustments"]},
        },
    ],
)
def test_follow_and_the_config_agreeing_plan(changes: dict[str, Any]) -> None:
    assert validate_fleet_config(user_config(**changes)).producer_specs


def test_static_pairlist_needs_pairs() -> None:
    config = user_config()
    config["exchange"]["pair_whitelist"] = []
    with pytest.raises(ConfigError, match=r"^exchange\.pair_whitelist: is empty; "):
        validate_fleet_config(config)


def test_dynamic_pairlist_needs_no_whitelist() -> None:
    config = user_config(pairlists=[{"method": "VolumePairList", "number_assets": 5}])
    config["exchange"]["pair_whitelist"] = []
    assert validate_fleet_config(config).producer_names == [
        "producer-1",
        "producer-2",
        "producer-3",
    ]


def test_load_fleet_config_accepts_comments(tmp_path: Path) -> None:
    path = write_config(tmp_path, user_config(fleet={"producers": 2, "max_signal_age": 2}))
    config, spec = load_fleet_config(path)
    assert config["strategy"] == "MyStrategy"
    assert spec.max_signal_age == 2


def test_load_fleet_config_names_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, user_config(fleet={"producers": 0}))
    with pytest.raises(ConfigError) as raised:
        load_fleet_config(path)
    assert str(raised.value).startswith(f"{path}: fleet.producers: a fleet needs 1 to 64")


def test_unreadable_config_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    with pytest.raises(ConfigError) as raised:
        load_fleet_config(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert str(raised.value).endswith("fix the file or pass another one with -c")
    with pytest.raises(ConfigError, match="not found"):
        load_fleet_config(tmp_path / "missing.json")


def test_add_config_files_are_merged_like_freqtrade(tmp_path: Path) -> None:
    (tmp_path / "wallet.json").write_text('{"max_open_trades": 7, "stake_amount": 20}')
    config = user_config(add_config_files=["wallet.json"])
    config.pop("max_open_trades")
    path = write_config(tmp_path, config)
    loaded, _ = load_fleet_config(path)
    assert loaded["max_open_trades"] == 7
    assert loaded["stake_amount"] == 50  # the main file wins over the files it adds
