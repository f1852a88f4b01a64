"""The docker-compose export: the YAML text says exactly what the compose document holds."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from freqfleet.files import PUBLIC_MODE, SECRET_MODE
from freqfleet.fleet.compose import compose_document, host_profile
from freqfleet.fleet.kube_secrets import freqtrade_view
from freqfleet.fleet.plan import render_plan
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.user_config import user_config

SIM = "http://127.0.0.1:9"  # the kit's simulator URL (nothing runs there)
UPSTREAM = "https://api.binance.com"


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
        command = service["command"]
        configs = [arg for flag, arg in pairwise(command) if flag == "-c"]
        assert service["working_dir"] == "/fleet"
        assert service["volumes"] == [
            "./user_data:/fleet/user_data",
            *(f"./{name}:/fleet/{name}:ro" for name in configs),
        ]
        assert "profiles" not in service
    assert set(services["consumer"]["depends_on"]) == {"producer-1", "producer-2", "producer-3"}


def test_no_container_but_the_consumers_sees_its_config_or_the_fleets_secrets(
    user_dir: Path, tmp_path: Path
) -> None:
    config = user_config(pairlists=[{"method": "VolumePairList", "number_assets": 4}])
    _, document, manifest = plan_files(config, user_dir, tmp_path)
    consumer_only = {*manifest.consumer.config_files, "docker/consumer.json"}
    for name, service in document["services"].items():
        mounted = {volume.split(":")[0].removeprefix("./") for volume in service["volumes"]}
        assert "" not in mounted and "." not in mounted  # never the whole plan folder
        assert "fleet-secrets.json" not in mounted
        if name != "consumer":
            assert not mounted & consumer_only, name
    feed = document["services"]["pairlist-feed"]["volumes"]
    assert "./pairlists:/fleet/pairlists" in feed  # the feed writes the shares...
    assert "./pairlists:/fleet/pairlists:ro" in document["services"]["producer-1"]["volumes"]


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


# --- the market-data gateway ----------------------------------------------------------------


def gateway_plan(user_dir: Path, tmp_path: Path, gateway: dict[str, Any], **changes: Any):
    config = user_config({"producers": 2, "gateway": gateway}, **changes)
    spec = validate_fleet_config(config)
    files, manifest = render_plan(config, spec, tmp_path / "plan", config_dir=user_dir)
    contents = {path.relative_to(tmp_path / "plan").as_posix(): f for path, f in files.items()}
    return contents, compose_document(spec, manifest), manifest


def effective_config(plan_dir: Path, command: list[str]) -> dict[str, Any]:
    """What freqtrade merges from a service's ``-c`` files, in order (its own loader)."""
    from freqtrade.configuration.load_config import load_from_files

    files = [command[index + 1] for index, arg in enumerate(command) if arg == "-c"]
    return load_from_files(files, base_path=plan_dir)


@pytest.mark.parametrize("pairlists", ["static", "dynamic"])
def test_the_gateway_is_a_service_every_process_waits_for(
    user_dir: Path, tmp_path: Path, pairlists: str
) -> None:
    changes: dict[str, Any] = {}
    if pairlists == "dynamic":
        changes["pairlists"] = [{"method": "VolumePairList", "number_assets": 4}]
    gateway = {"listen_port": 18490, "share": 0.25, "live_ttl": 3, "upstream": UPSTREAM}
    files, document, manifest = gateway_plan(user_dir, tmp_path, gateway, **changes)
    assert manifest.gateway is not None
    text = files["docker-compose.yml"][0]
    assert read_block_yaml(text) == document
    assert "WARNING" not in text  # the upstream is reachable from a container
    services = document["services"]
    assert next(iter(services)) == "gateway"
    service = services["gateway"]
    assert service["image"] == "freqfleet:local" and service["entrypoint"] == ["freqfleet"]
    # The plan's gateway command, listening on the container's every interface.
    expected = manifest.gateway.command_args()
    expected[expected.index("--host") + 1] = "0.0.0.0"
    assert service["command"] == expected
    assert expected[expected.index("--upstream") + 1] == UPSTREAM
    assert expected[expected.index("--share") + 1] == "0.25"
    assert expected[expected.index("--port") + 1] == "18490"
    assert service["ports"] == ["127.0.0.1:18490:18490"]  # where `freqfleet status` asks
    assert "127.0.0.1:18490/gateway/stats" in service["healthcheck"]["test"][-1]
    waiting = [name for name in services if name != "gateway"]
    assert waiting == [
        *(["pairlist-feed"] if pairlists == "dynamic" else []),
        "producer-1",
        "producer-2",
        "consumer",
    ]
    for name in waiting:
        depends = services[name]["depends_on"]
        assert next(iter(depends)) == "gateway", name
        assert depends["gateway"] == {"condition": "service_healthy"}, name


def test_bots_and_feed_reach_the_gateway_by_its_service_name(
    user_dir: Path, tmp_path: Path
) -> None:
    volume = [{"method": "VolumePairList", "number_assets": 4}]
    gateway = {"listen_port": 18490, "upstream": UPSTREAM}
    files, document, manifest = gateway_plan(user_dir, tmp_path, gateway, pairlists=volume)
    plan_dir = tmp_path / "plan"
    for path, (content, _) in files.items():
        if path.endswith((".json", ".yml")):
            (plan_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (plan_dir / path).write_text(content)
    override, mode = files["docker/gateway.json"]
    assert mode == PUBLIC_MODE and files["docker/consumer.json"][1] == SECRET_MODE
    secrets = json.loads(files["fleet-secrets.json"][0])
    assert not any(value in override for bot in secrets.values() for value in bot.values())
    services = document["services"]
    for bot in manifest.bots:
        command = services[bot.name]["command"]
        files_given = [command[i + 1] for i, arg in enumerate(command) if arg == "-c"]
        assert files_given == [
            bot.config_files[0],
            "docker/listen-all.json",
            "docker/gateway.json",
            *(["docker/consumer.json"] if bot.role == "consumer" else []),
        ]
        merged = effective_config(plan_dir, command)
        planned = json.loads(files[bot.config_files[0]][0])
        for section in ("ccxt_config", "ccxt_async_config"):
            api = merged["exchange"][section]["urls"]["api"]
            assert api["public"] == "http://gateway:18490/api/v3", bot.name
            # Private (signed) requests and streams go where the plan sends them.
            planned_api = planned["exchange"][section]["urls"]["api"]
            assert planned_api["public"] == "http://127.0.0.1:18490/api/v3"
            assert {k: v for k, v in api.items() if k != "public"} == {
                k: v for k, v in planned_api.items() if k != "public"
            }
            assert api["private"].startswith(SIM)
        assert merged["api_server"]["password"] == planned["api_server"]["password"]
    # The feed reads its one config; freqtrade merges the variables over it.
    feed = services["pairlist-feed"]
    feed_config = json.loads(files["pairlist-feed.json"][0])
    seen = freqtrade_view(feed_config, feed["environment"])
    for section in ("ccxt_config", "ccxt_async_config"):
        api = seen["exchange"][section]["urls"]["api"]
        assert api["public"] == "http://gateway:18490/api/v3"
        assert api["private"] == feed_config["exchange"][section]["urls"]["api"]["private"]
    seen["exchange"] = feed_config["exchange"]
    assert seen == feed_config  # nothing else changes


def test_a_loopback_upstream_is_named_in_the_compose_file(user_dir: Path, tmp_path: Path) -> None:
    files, _, manifest = gateway_plan(user_dir, tmp_path, {"listen_port": 18490})
    assert manifest.gateway is not None and manifest.gateway.upstream == SIM
    text = files["docker-compose.yml"][0]
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[2].startswith(f"# WARNING: fleet.gateway: its upstream {SIM} is on this")
    assert "fleet.gateway.upstream" in " ".join(header)
    assert read_block_yaml(text)["services"]["gateway"]["command"][2] == SIM


def test_without_a_gateway_no_gateway_service(user_dir: Path, tmp_path: Path) -> None:
    config = user_config({"producers": 2})
    spec = validate_fleet_config(config)
    files, _ = render_plan(config, spec, tmp_path / "plan", config_dir=user_dir)
    assert tmp_path / "plan" / "docker" / "gateway.json" not in files
    text = files[tmp_path / "plan" / "docker-compose.yml"][0]
    assert "gateway" not in text
