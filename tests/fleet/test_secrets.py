"""Each bot's secrets: kept across plans, new for new bots, all new on rotation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freqfleet.errors import ConfigError
from freqfleet.fleet.secrets import (
    SECRET_KEYS,
    SECRETS_NAME,
    bot_secrets,
    load_secrets,
    new_secret,
)


def test_new_secrets_are_long_url_safe_and_distinct() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) == 43 and s.replace("-", "").replace("_", "").isalnum() for s in secrets)


def test_secrets_are_kept_for_known_bots_and_made_for_new_ones() -> None:
    first = bot_secrets(["producer-1", "consumer"], {}, rotate=False)
    assert set(first) == {"producer-1", "consumer"}
    assert all(set(bot) == set(SECRET_KEYS) for bot in first.values())
    values = [value for bot in first.values() for value in bot.values()]
    assert len(set(values)) == len(values)

    again = bot_secrets(["producer-1", "producer-2", "consumer"], first, rotate=False)
    assert again["producer-1"] == first["producer-1"] and again["consumer"] == first["consumer"]
    assert set(again["producer-2"].values()).isdisjoint(values)


def test_rotation_replaces_every_secret() -> None:
    first = bot_secrets(["producer-1", "consumer"], {}, rotate=False)
    rotated = bot_secrets(["producer-1", "consumer"], first, rotate=True)
    for name in first:
        for key in SECRET_KEYS:
            assert rotated[name][key] != first[name][key]


def test_short_or_missing_kept_secrets_are_replaced() -> None:
    existing = {"consumer": {"ws_token": "short", "password": 12345, "jwt_secret_key": "k" * 40}}
    kept = bot_secrets(["consumer"], existing, rotate=False)["consumer"]
    assert kept["jwt_secret_key"] == "k" * 40
    assert kept["ws_token"] != "short" and len(kept["ws_token"]) >= 32
    assert isinstance(kept["password"], str) and len(kept["password"]) >= 32


def test_no_file_is_no_secrets_and_a_written_file_reads_back(tmp_path: Path) -> None:
    assert load_secrets(tmp_path) == {}
    secrets = bot_secrets(["consumer"], {}, rotate=False)
    (tmp_path / SECRETS_NAME).write_text(json.dumps(secrets))
    assert load_secrets(tmp_path) == secrets


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable; delete it or run plan with --rotate-secrets"),
        ("[1, 2]", "not a secrets file; delete it or use --rotate-secrets"),
    ],
)
def test_a_broken_file_is_one_line_naming_it_and_the_fix(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / SECRETS_NAME).write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_secrets(tmp_path)
    assert str(raised.value) == f"{tmp_path / SECRETS_NAME}: {message}"
    assert content not in str(raised.value)
