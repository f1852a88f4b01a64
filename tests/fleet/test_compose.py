"""The docker-compose export: the YAML text says exactly what the compose document holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freqfleet.fleet.compose import compose_document, host_profile
from freqfleet.fleet.plan import render_plan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import user_config


def read_block_yaml(text: str) -> Any:
    """Read block-style YAML whose scalars are JSON (the subset the export writes)."""
    lines = [
        (len(line) - len(line.lstrip(" ")), line.strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]

    def block(index: int, indent: int) -> tuple[Any, int]:
        if lines[index][1].startswith("- "):
            items: list[Any] = []
            while (
                index < len(lines)
                and lines[index][0] == indent
                and lines[index][1].startswith("- ")
            ):
                rest = lines[index][1][2:]
                if ":" in rest and not rest.startswith('"'):
                    # "- key: value" opens a mapping item one level deeper
                    lines[index] = (indent + 2, rest)
                    value, index = block(index, indent + 2)
                else:
                    value, index = json.loads(rest), index + 1
                items.append(value)
            return items, index
        mapping: dict[str, Any] = {}
        while index < len(lines) and lines[index][0] == indent:
            key, _, rest = lines[index][1].partition(":")
            if rest.strip():
                mapping[key] = json.loads(rest.strip())
                index += 1
            else:
                mapping[key], index = block(index + 1, lines[index + 1][0])
        return mapping, index

    value, end = block(0, 0)
    assert end == len(lines)
    return value


def plan_files(config: dict[str, Any], user_dir: Path, tmp_path: Path):
    spec = validate_fleet_config(config)
    files, manifest = render_plan(config, spec, tmp_path / "plan", config_dir=user_dir)
    text = files[tmp_path / "plan" / "docker-compose.yml"][0]
    return text, compose_document(spec, manifest), manifest


def test_yaml_holds_the_document(user_dir: Path, tmp_path: Path) -> None:
    text, document, manifest = plan_files(user_config(), user_dir, tmp_path)
    assert read_block_yaml(text) == document
    services = document["services"]
    assert list(services) == ["producer-1", "producer-2", "producer-3", "consumer"]
    for bot in manifest.bots:
        service = services[bot.name]
        assert service["command"] == [
            *manifest.freqtrade_args(bot)[:-2],
            *(["-c", "docker/listen-all.json"]),
            *(["-c", "docker/consumer.json"] if bot.role == "consumer" else []),
            "--strategy",
            "MyStrategyFleet",
        ]
        assert service["ports"] == [f"127.0.0.1:{bot.api_port}:{bot.api_port}"]
        assert f"127.0.0.1:{bot.api_port}/api/v1/ping" in service["healthcheck"]["test"][-1]
        assert service["working_dir"] == "/fleet" and service["volumes"] == ["./:/fleet"]
        assert "profiles" not in service
    assert set(services["consumer"]["depends_on"]) == {"producer-1", "producer-2", "producer-3"}


def test_multi_host_services_carry_their_host_profile(user_dir: Path, tmp_path: Path) -> None:
    fleet = {
        "producers": [{"name": "here"}, {"name": "far", "host": "Box-2.lan", "port": 9001}],
        "pairlist_url": "http://10.0.0.1:8000/pairlists",
    }
    config = user_config(fleet=fleet, pairlists=[{"method": "VolumePairList", "number_assets": 4}])
    text, document, _ = plan_files(config, user_dir, tmp_path)
    assert read_block_yaml(text) == document
    services = document["services"]
    assert services["far"]["profiles"] == [host_profile("Box-2.lan")] == ["host-box-2-lan"]
    assert services["here"]["profiles"] == ["local"] == services["consumer"]["profiles"]
    assert services["pairlist-feed"]["command"] == [
        "pairlist-feed",
        "/fleet",
        "--serve",
        "0.0.0.0:8000",
    ]
    assert services["pairlist-feed"]["ports"] == ["8000:8000"]
    assert services["here"]["depends_on"] == {"pairlist-feed": {"condition": "service_started"}}
    assert "depends_on" not in services["far"]
    assert services["consumer"]["depends_on"] == {
        "pairlist-feed": {"condition": "service_started"},  # it reads the feed's ranked list
        "here": {"condition": "service_healthy"},
    }
    assert services["far"]["ports"] == ["9001:9001"]
    assert "docker compose --profile host-box-2-lan up -d --build" in text
