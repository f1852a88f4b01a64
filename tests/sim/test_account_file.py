"""The account file: created private with random credentials, read with comments, and
refused in one line that names the field, never showing the secret."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from freqfleet.errors import ConfigError
from freqfleet.sim.account_file import (
    DEFAULT_BALANCES,
    DEFAULT_FUTURES,
    KEY_PATTERN,
    load_account_file,
    random_credential,
)

UNIT = 10**8


def test_a_missing_file_is_created_private_with_random_credentials(tmp_path: Path) -> None:
    path = tmp_path / "new" / "account.json"
    account = load_account_file(path)
    assert account.created and account.balances == DEFAULT_BALANCES == {"USDT": 10_000 * UNIT}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY_PATTERN.match(account.key) and KEY_PATTERN.match(account.secret)
    assert account.key != account.secret
    assert json.loads(path.read_text()) == {
        "key": account.key,
        "secret": account.secret,
        "balances": {"USDT": 10000},
        "futures": {"USDT": 10000},
    }
    assert account.futures == DEFAULT_FUTURES == {"USDT": 10_000 * UNIT}
    assert account.secret not in repr(account) and account.key not in repr(account)
    again = load_account_file(path)
    assert (again.key, again.secret, again.created) == (account.key, account.secret, False)
    assert load_account_file(tmp_path / "other.json").key != account.key


def test_comments_decimals_and_several_assets_are_read_exactly(tmp_path: Path) -> None:
    key, secret = random_credential(), random_credential()
    path = tmp_path / "account.json"
    path.write_text(
        "// my simulated account\n"
        f'{{"key": "{key}", "secret": "{secret}",\n'
        ' "balances": {"USDT": 2500.5, "BTC": "0.00000001", "ETH": 0,},}\n'
    )
    account = load_account_file(path)
    assert account.balances == {"USDT": 2500 * UNIT + UNIT // 2, "BTC": 1, "ETH": 0}
    assert account.futures == {"USDT": 10_000 * UNIT}  # a file from before futures


def test_the_futures_wallet_is_read_from_its_own_section(tmp_path: Path) -> None:
    key, secret = random_credential(), random_credential()
    path = tmp_path / "account.json"
    content = {"key": key, "secret": secret, "balances": {}, "futures": {"USDT": "12.5"}}
    path.write_text(json.dumps(content))
    assert load_account_file(path).futures == {"USDT": 1250 * UNIT // 100}
    path.write_text(json.dumps({**content, "futures": {"BTC": 1}}))
    with pytest.raises(ConfigError, match="futures: only USDT"):
        load_account_file(path)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{nope", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"key": "short", "secret": "S", "balances": {}}', "'key' must be 64"),
        ('{"key": "K", "secret": 5, "balances": {}}', "'secret' must be 64"),
        ('{"key": "K", "secret": "S", "balances": []}', "'balances' must be an object"),
        ('{"key": "K", "secret": "S", "balances": {"usdt": 1}}', "asset 'usdt'"),
        ('{"key": "K", "secret": "S", "balances": {"USDT": -1}}', "balances.USDT"),
        ('{"key": "K", "secret": "S", "balances": {"BTC": 1e-9}}', "balances.BTC"),
        ('{"key": "K", "secret": "S", "balances": {"BTC": true}}', "balances.BTC"),
        ('{"key": "K", "secret": "S", "wallet": {}}', "unknown field 'wallet'"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_field(tmp_path: Path, content: str, named: str) -> None:
    key, secret = "k" * 64, "s" * 64
    path = tmp_path / "account.json"
    path.write_text(content.replace('"K"', f'"{key}"').replace('"S"', f'"{secret}"'))
    with pytest.raises(ConfigError) as refused:
        load_account_file(path)
    message = str(refused.value)
    assert named in message and str(path) in message and "\n" not in message
    assert secret not in message and key not in message


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_account_file(path)
