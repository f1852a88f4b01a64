"""Secrets of the Kubernetes export: only in the one Secret, and back where freqtrade reads them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.kube_secrets import freqtrade_view, split_secrets
from freqfleet.fleet.kubernetes import K8S_DIR
from freqfleet.fleet.secrets import SECRETS_NAME
from tests.kit.kube_export import (
    EXCHANGE_KEY,
    EXCHANGE_SECRET,
    GATEWAY_FLEET,
    TELEGRAM_TOKEN,
    VOLUME,
    cluster_config,
    export,
    plan,
)
from tests.kit.kube_pods import (
    all_documents,
)


def test_secret_move_keeps_ccxt_key_case_and_refuses_what_freqtrade_would_misread() -> None:
    config = {
        "exchange": {"name": "binance", "ccxt_config": {"apiKey": "k" * 20}, "uid": 12345},
        "api_server": {"password": "12345678"},  # freqtrade keeps passwords as text
    }
    public, env = split_secrets(config, "consumer")
    assert freqtrade_view(public, env) == config
    assert "k" * 20 not in json.dumps(public)
    with pytest.raises(
        ConfigError, match=r"^exchange\.apiKey \(in consumer's config\): .*lowercase"
    ):
        split_secrets({"exchange": {"apiKey": "k" * 20}}, "consumer")
    with pytest.raises(ConfigError, match=r"^exchange\.uid .* as a int, not as the str"):
        split_secrets({"exchange": {"uid": "12345"}}, "consumer")
    # A database URL with credentials is a secret; SQLite files are not.
    public, env = split_secrets({"db_url": "postgresql://u:pw@db/fleet"}, "consumer")
    assert env == {"FREQTRADE__DB_URL": "postgresql://u:pw@db/fleet"}
    assert split_secrets({"db_url": "sqlite:///x.sqlite"}, "consumer")[1] == {}


# --- secrets only in the Secret -------------------------------------------------------------


@pytest.mark.parametrize("fleet", [None, GATEWAY_FLEET], ids=["plain", "gateway"])
def test_no_secret_value_outside_the_secret_manifest(
    user_dir: Path, tmp_path: Path, fleet: dict[str, Any] | None
) -> None:
    out = tmp_path / "plan"
    plan(cluster_config(fleet=fleet, pairlists=VOLUME), user_dir, out)
    planned = json.loads((out / SECRETS_NAME).read_text())
    values = [value for bot in planned.values() for value in bot.values()]
    values += [EXCHANGE_KEY, EXCHANGE_SECRET, TELEGRAM_TOKEN]
    forms = {
        form
        for value in values
        for form in (value, base64.b64encode(value.encode()).decode(), json.dumps(value)[1:-1])
    }
    folder = out / K8S_DIR
    secret_files = ("secret.yaml", "consumer-secret.yaml")
    secret_text = "".join((folder / name).read_text() for name in secret_files)
    for value in values:
        assert value in secret_text
    # The user's credentials are the consumer's alone.
    for value in (EXCHANGE_KEY, EXCHANGE_SECRET, TELEGRAM_TOKEN):
        assert value not in (folder / "secret.yaml").read_text()
    checked = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in secret_files:
            content = path.read_bytes().decode("utf-8")
            for form in forms:
                assert form not in content, f"a secret in {path.name}"
            checked += 1
    assert checked == len(list(folder.iterdir())) - 2
    for name in secret_files:
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    # Labels and annotations hold names and a digest, never a value.
    for doc in all_documents(export(out)):
        metadata = [doc.get("metadata", {})]
        template = doc.get("spec", {}).get("template")
        if template:
            metadata.append(template["metadata"])
        for meta in metadata:
            for value in [*meta.get("labels", {}).values(), *meta.get("annotations", {}).values()]:
                assert all(secret not in value for secret in values)
