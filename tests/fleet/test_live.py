"""A plan of a live config: the user's exchange credentials reach the consumer's files only
(every file of the plan, its docker-compose and Kubernetes exports walked), the consumer
trades live while nothing else can, and the plan says so or warns when the key is missing."""

from __future__ import annotations

import base64
import json
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest

from freqfleet.cli import main
from freqfleet.errors import ConfigError
from freqfleet.fleet.kube_pods import CONSUMER_SECRET_NAME, SECRET_NAME
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.live import live_warnings, required_credentials, trading_line
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.plan_warnings import plan_warnings
from freqfleet.fleet.spec import validate_fleet_config
from tests.kit.kube_pods import all_documents, load_export
from tests.kit.user_config import user_config, write_config

VOLUME = [{"method": "VolumePairList", "number_assets": 6, "sort_key": "quoteVolume"}]
GATEWAY = {"listen_port": 18490, "upstream": "https://api.binance.com"}


def credentials() -> dict[str, str]:
    """A value for each place a user may keep one (random: found only where it was put)."""
    return {
        "exchange.key": "key-" + secrets.token_hex(12),
        "exchange.secret": "secret-" + secrets.token_urlsafe(24),
        "exchange.password": "passphrase-" + secrets.token_hex(8),
        "exchange.uid": "uid-" + secrets.token_hex(6),
        "exchange.ccxt_config.walletAddress": "0x" + secrets.token_hex(20),
        "exchange.ccxt_async_config.token": "token-" + secrets.token_hex(10),
        "telegram.token": "123456:telegram-" + secrets.token_hex(10),
    }


def live_config(values: dict[str, str], **changes: Any) -> dict[str, Any]:
    config = user_config(dry_run=False, **changes)
    for place, value in values.items():
        *sections, key = place.split(".")
        node = config
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = value
    return config


def forms(value: str) -> set[str]:
    """How a value can appear in a file: as is, JSON-escaped, base64 (a Secret's data)."""
    return {value, json.dumps(value)[1:-1], base64.b64encode(value.encode()).decode()}


def holders(folder: Path, values: dict[str, str]) -> dict[str, set[str]]:
    """Each file of ``folder`` (relative path) that holds any value, with the places."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        content = path.read_bytes().decode("utf-8", errors="replace")
        held = {place for place, value in values.items() if any(f in content for f in forms(value))}
        if held:
            found[path.relative_to(folder).as_posix()] = held
    return found


@pytest.mark.parametrize(
    "fleet, changes",
    [
        ({"producers": 3, "gateway": GATEWAY, "kubernetes": {}}, {"pairlists": VOLUME}),
        ({"producers": [{"name": "here"}, {"name": "far", "host": "10.0.0.5"}]}, {}),
    ],
    ids=["dynamic-gateway-kubernetes", "two-hosts-compose"],
)
def test_no_credential_leaves_the_consumers_files(
    user_dir: Path, tmp_path: Path, fleet: dict[str, Any], changes: dict[str, Any]
) -> None:
    values = credentials()
    config = live_config(values, fleet=fleet, **changes)
    out = tmp_path / "plan"
    manifest = write_plan(config, validate_fleet_config(config), out, config_dir=user_dir)
    consumer_files = {"consumer.json"}
    if "kubernetes" in fleet:
        consumer_files.add(f"{K8S_DIR}/consumer-secret.yaml")
    found = holders(out, values)
    assert set(found) == consumer_files, found
    for name in consumer_files:
        assert found[name] == set(values), name  # every credential, where it belongs
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600

    consumer = json.loads((out / "consumer.json").read_text())
    assert consumer["dry_run"] is False
    assert consumer["exchange"]["key"] == values["exchange.key"]
    assert consumer["db_url"] == "sqlite:///user_data/consumer.sqlite"  # not the dry-run one
    others = [bot.config_files[0] for bot in manifest.producers]
    if manifest.pairlist_feed is not None:
        others.append(manifest.pairlist_feed.config_file)
    for name in others:
        assert json.loads((out / name).read_text())["dry_run"] is True, name

    if "kubernetes" in fleet:
        export = load_export(out / K8S_DIR)
        references: dict[str, set[str]] = {}
        for doc in all_documents(export):
            if doc["kind"] not in ("StatefulSet", "Deployment"):
                continue
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for entry in container.get("env", []):
                    if "valueFrom" in entry:
                        secret = entry["valueFrom"]["secretKeyRef"]["name"]
                        references.setdefault(secret, set()).add(doc["metadata"]["name"])
        # Only the consumer's pod names the consumer's Secret (a node gets a Secret only
        # for the pods it runs), and the consumer names no other.
        assert references[CONSUMER_SECRET_NAME] == {"consumer"}
        assert "consumer" not in references[SECRET_NAME]
        assert "gateway" not in set().union(*references.values())


def test_the_plan_says_who_trades_live_and_prints_no_credential(
    user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = credentials()
    fleet = {"producers": [{"name": "here"}, {"name": "far", "host": "10.0.0.5"}]}
    path = write_config(user_dir, live_config(values, fleet=fleet))
    assert main(["plan", "-c", str(path), "-o", str(user_dir / "fleet")]) == 0
    captured = capsys.readouterr()
    out = " ".join(captured.out.split())
    assert (
        "consumer trades LIVE on binance with your key (exchange.key, exchange.secret, "
        "exchange.password, exchange.uid, exchange.ccxt_config.walletAddress, "
        "exchange.ccxt_async_config.token); producers: dry-run, no exchange credentials"
    ) in out
    assert "consumer.json holds your exchange credentials: copy the plan folder to 10.0.0.5 " in out
    assert "warning: dry_run is false" not in captured.err
    for value in values.values():
        for form in forms(value):
            assert form not in captured.out + captured.err


def test_a_live_consumer_without_a_key_is_warned(user_dir: Path) -> None:
    config = user_config(dry_run=False)  # the fixture's key and secret are empty
    spec = validate_fleet_config(config)
    assert trading_line(config, spec).startswith(
        "consumer trades LIVE on binance with NO exchange credentials;"
    )
    (warning,) = [w for w in plan_warnings(config, spec) if w.startswith("dry_run")]
    assert warning == (
        "dry_run is false but exchange.key and exchange.secret are empty: the consumer cannot "
        'trade on binance; set them in your config\'s exchange section, or set "dry_run": true'
    )
    config["exchange"]["key"] = "k"
    assert live_warnings(config, spec) == [
        "dry_run is false but exchange.secret is empty: the consumer cannot trade on binance; "
        'set it in your config\'s exchange section, or set "dry_run": true'
    ]
    config["exchange"]["secret"] = "s"
    assert live_warnings(config, spec) == []
    # A dry-run consumer needs no key; one made live by consumer_overrides does.
    dry = user_config(fleet={"producers": 2, "consumer_overrides": {"dry_run": False}})
    assert len(live_warnings(dry, validate_fleet_config(dry))) == 1
    assert trading_line(user_config(), validate_fleet_config(user_config())) == (
        "consumer trades in dry-run on binance (wallet 1000 USDT); producers: dry-run, "
        "no exchange credentials"
    )


def test_what_an_exchange_requires_is_ccxts() -> None:
    assert required_credentials("binance") == ("apiKey", "secret")
    assert "password" in required_credentials("okx")  # its passphrase
    assert set(required_credentials("hyperliquid")) >= {"walletAddress", "privateKey"}
    assert required_credentials("no-such-exchange") == ("apiKey", "secret")


def test_producer_overrides_cannot_give_a_producer_credentials(user_dir: Path) -> None:
    fleet = {
        "producers": [{"name": "a", "overrides": {"exchange": {"ccxt_config": {"apiKey": "x"}}}}],
        "producer_overrides": {"exchange": {"secret": "y"}},
    }
    with pytest.raises(ConfigError) as raised:
        validate_fleet_config(user_config(fleet=fleet))
    lines = str(raised.value).splitlines()[1:]
    assert [line.split(":", 1)[0].strip() for line in lines] == [
        "fleet.producers[0].overrides",
        "fleet.producer_overrides",
    ]
    assert "'exchange.ccxt_config.apiKey' is an exchange credential" in lines[0]
    assert "'exchange.secret' is an exchange credential, which producers never get" in lines[1]
    # The consumer's overrides may hold them: it is the one that trades.
    allowed = {"producers": 2, "consumer_overrides": {"exchange": {"key": "k", "secret": "s"}}}
    manifest = write_plan(
        user_config(fleet=allowed),
        validate_fleet_config(user_config(fleet=allowed)),
        user_dir / "fleet",
        config_dir=user_dir,
    )
    assert isinstance(manifest, FleetManifest)
    assert json.loads((user_dir / "fleet" / "consumer.json").read_text())["exchange"]["key"] == "k"
