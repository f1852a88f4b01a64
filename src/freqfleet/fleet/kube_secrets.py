"""Secrets out of the Kubernetes export's configs: each secret value moves to the one
Secret and its config keeps a note naming the ``FREQTRADE__...`` variable that brings it
back; freqtrade's own parser checks the round trip before anything is written.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from freqfleet.compat import flat_vars_to_nested_dict
from freqfleet.credentials import (
    API_SERVER_SECRET_PATHS,
    EXCHANGE_SECRET_PATHS,
    SERVICE_SECRET_PATHS,
)
from freqfleet.errors import ConfigError
from freqfleet.fleet.envvars import ENV_PREFIX, env_name

PLACEHOLDER = "<secret from {}>"
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    *API_SERVER_SECRET_PATHS,
    *EXCHANGE_SECRET_PATHS,
    ("telegram", "token"),
    ("telegram", "chat_id"),
    ("discord", "webhook_url"),
    ("webhook", "url"),
    *SERVICE_SECRET_PATHS,
)
"""Where a freqtrade config keeps secrets (freqtrade's own list of sensitive keys, plus the
fleet's tokens and the ccxt sections). ``db_url`` counts when it is not SQLite."""

# --- secrets -----------------------------------------------------------------------------


def _lookup(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _assign(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _secret_value(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and value != "")


def _secret_paths(config: dict[str, Any]) -> list[tuple[str, ...]]:
    paths = [path for path in SECRET_PATHS if _secret_value(_lookup(config, path))]
    db_url = config.get("db_url")
    if isinstance(db_url, str) and db_url and not db_url.startswith("sqlite"):
        paths.append(("db_url",))
    api = (config.get("fleet") or {}).get("producer_api") or {}
    for name, entry in api.items():
        if isinstance(entry, dict) and _secret_value(entry.get("password")):
            paths.append(("fleet", "producer_api", name, "password"))
    return paths


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """freqtrade's environment parser logs every variable's name at INFO."""
    target = logging.getLogger(name)
    level = target.level
    target.setLevel(logging.WARNING)
    try:
        yield
    finally:
        target.setLevel(level)


def freqtrade_view(public: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """What freqtrade makes of a config file and these environment variables (its own code)."""
    from freqtrade.misc import deep_merge_dicts

    with _quiet("freqtrade.configuration.environment_vars"):
        variables = flat_vars_to_nested_dict(dict(env), ENV_PREFIX)
    return deep_merge_dicts(variables, copy.deepcopy(public))


def split_secrets(config: dict[str, Any], bot: str) -> tuple[dict[str, Any], dict[str, str]]:
    """``config`` without its secrets, and the ``FREQTRADE__`` variables that bring them back.

    Raises a ConfigError naming the setting when freqtrade would not read a secret back
    unchanged from its variable (it lowercases keys and reads numbers as numbers).
    """
    public = copy.deepcopy(config)
    env: dict[str, str] = {}
    paths = _secret_paths(config)
    for path in paths:
        name = env_name(path)
        env[name] = str(_lookup(config, path))
        _assign(public, path, PLACEHOLDER.format(name))
    emc = config.get("external_message_consumer") or {}
    producers = emc.get("producers") if isinstance(emc, dict) else None
    if isinstance(producers, list) and producers:
        name = env_name(("external_message_consumer", "producers"))
        env[name] = json.dumps(producers, separators=(",", ":"))
        for entry in public["external_message_consumer"]["producers"]:
            if isinstance(entry, dict) and "ws_token" in entry:
                entry["ws_token"] = PLACEHOLDER.format(name)
    restored = freqtrade_view(public, env)
    for path in paths:
        if _lookup(restored, path) != _lookup(config, path) or type(
            _lookup(restored, path)
        ) is not type(_lookup(config, path)):
            where = ".".join(path)
            if path[-1] != path[-1].lower() and env_name(path).endswith(path[-1].upper()):
                fix = (
                    "freqtrade sets only lowercase keys from environment variables: use its "
                    "own name (exchange.key, secret, account_id, wallet_address, private_key) "
                    "or put it in exchange.ccxt_config"
                )
            else:
                written = type(_lookup(config, path)).__name__
                read = type(_lookup(restored, path)).__name__
                fix = (
                    f"freqtrade would read it back from {env_name(path)} as a {read}, not as "
                    f"the {written} written here; correct the value (or write it as a {read})"
                )
            raise ConfigError(f"{where} (in {bot}'s config): {fix}")
    if restored != config:  # pragma: no cover - every secret path was checked above
        raise ConfigError(
            f"{bot}: its config does not survive the move of its secrets to the Secret; "
            "report this with the config's keys (not its values)"
        )
    return public, env


def secret_key(bot: str, variable: str) -> str:
    """A bot's variable's key in the one Secret."""
    return f"{bot}.{variable}"


__all__ = ["PLACEHOLDER", "SECRET_PATHS", "freqtrade_view", "secret_key", "split_secrets"]
