"""Each bot's secrets: kept across plans, generated randomly for new bots or on rotation.

Why kept: a re-plan must not lock running bots out of each other (the consumer holds every
producer's ws_token and password); ``--rotate-secrets`` replaces them all at once.
``fleet-secrets.json`` is written 0600 with the rest of the plan and never printed.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from freqfleet.errors import ConfigError

SECRETS_NAME = "fleet-secrets.json"
SECRET_KEYS = ("ws_token", "jwt_secret_key", "password")


def new_secret() -> str:
    """32 random bytes, URL-safe (43 characters: also long enough for freqtrade's JWT key)."""
    return secrets.token_urlsafe(32)


def load_secrets(out_dir: Path) -> dict[str, dict[str, str]]:
    path = out_dir / SECRETS_NAME
    try:
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(
            f"{path}: unreadable; delete it or run plan with --rotate-secrets"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a secrets file; delete it or use --rotate-secrets")
    return data


def bot_secrets(
    names: list[str], existing: dict[str, dict[str, str]], rotate: bool
) -> dict[str, dict[str, str]]:
    """Keep each bot's secrets across plans unless rotating; new bots get new ones."""
    result: dict[str, dict[str, str]] = {}
    for name in names:
        old = {} if rotate else existing.get(name, {})
        result[name] = {
            key: old[key] if isinstance(old.get(key), str) and len(old[key]) >= 32 else new_secret()
            for key in SECRET_KEYS
        }
    return result


__all__ = ["SECRETS_NAME", "SECRET_KEYS", "bot_secrets", "load_secrets", "new_secret"]
