"""The simulated account's file: its API key, secret and starting balances.

    {"key": "<64 letters and digits>", "secret": "<64 letters and digits>",
     "balances": {"USDT": 10000}}

Why a file: a live bot needs a key and secret it can put in its config, and the tests that
drive the bot need the same pair; the simulator reads them from here and never prints or
logs them. A missing file is created (mode 0600 before a byte is written, atomically) with
a random key and secret, like the ones Binance hands out, and 10,000 USDT. Comments and
trailing commas are allowed, as in freqtrade's configs. The account's state (orders,
fills, balances after trading) lives in the simulator's memory: a restart begins again
from the file's balances.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import rapidjson

from freqfleet.errors import ConfigError
from freqfleet.files import SECRET_MODE, dump_json, write_atomic
from freqfleet.sim.units import UNIT, parse_units

KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{64}\Z")
"""Binance's API keys and secrets: 64 letters and digits."""
ASSET_PATTERN = re.compile(r"^[A-Z0-9]{1,20}\Z")
DEFAULT_BALANCES = {"USDT": 10_000 * UNIT}
DEFAULT_FUTURES = {"USDT": 10_000 * UNIT}
"""The USD-M futures wallet of a new account, and of a file written before it had one."""
_FIELDS = ("key", "secret", "balances", "futures")
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class AccountFile:
    """What the file holds: credentials (never in ``repr``) and balances in units."""

    path: Path
    key: str = field(repr=False)
    secret: str = field(repr=False)
    balances: dict[str, int]
    created: bool = False
    futures: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FUTURES))
    """The USD-M futures wallet (Binance keeps it apart from spot): asset -> units."""


def random_credential() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(64))


def create_account_file(
    path: Path, balances: dict[str, int] | None = None, futures: dict[str, int] | None = None
) -> AccountFile:
    """A new file at ``path`` with a random key and secret (mode 0600)."""
    chosen = dict(DEFAULT_BALANCES if balances is None else balances)
    wallet = dict(DEFAULT_FUTURES if futures is None else futures)
    account = AccountFile(
        path, random_credential(), random_credential(), chosen, created=True, futures=wallet
    )
    content = {
        "key": account.key,
        "secret": account.secret,
        "balances": {asset: _number(units) for asset, units in chosen.items()},
        "futures": {asset: _number(units) for asset, units in wallet.items()},
    }
    write_atomic(path, dump_json(content), SECRET_MODE)
    return account


def load_account_file(path: Path) -> AccountFile:
    """The account at ``path``, created when the file does not exist; ConfigError (one
    line naming the field and the fix) when it cannot be used."""
    path = Path(path)
    if not path.exists():
        return create_account_file(path)
    where = f"--account {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError(
            f"{where}: cannot be read ({reason}); pass a readable file, or a new path to "
            "create a fresh account"
        ) from None
    try:
        # Numbers come as floats (python-rapidjson's NM_DECIMAL fails on trailing commas);
        # each is read back from its shortest repr, which is what was written.
        content = rapidjson.loads(
            text, parse_mode=rapidjson.PM_COMMENTS | rapidjson.PM_TRAILING_COMMAS
        )
    except (ValueError, rapidjson.JSONDecodeError) as error:
        raise ConfigError(
            f"{where}: is not valid JSON ({error}); fix it, or pass a new path to create a "
            "fresh account"
        ) from None
    return _account(path, content, where)


def _account(path: Path, content: Any, where: str) -> AccountFile:
    if not isinstance(content, dict):
        raise ConfigError(f'{where}: must hold a JSON object {{"key", "secret", "balances"}}')
    unknown = sorted(set(content) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r}; the file holds only key, secret, balances "
            "and futures"
        )
    for name in ("key", "secret"):
        value = content.get(name)
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            raise ConfigError(
                f"{where}: {name!r} must be 64 letters and digits (as Binance's); fix it, or "
                "delete the file to have a new account created"
            )
    parsed = _amounts(content.get("balances", {}), "balances", where)
    futures = _amounts(content.get("futures", DEFAULT_FUTURES_TEXT), "futures", where)
    if set(futures) - {"USDT"}:
        raise ConfigError(
            f"{where}: futures: only USDT is held in the USD-M futures wallet "
            '(e.g. "futures": {"USDT": 10000})'
        )
    return AccountFile(path, content["key"], content["secret"], parsed, futures=futures)


DEFAULT_FUTURES_TEXT = {"USDT": 10_000}


def _amounts(section: Any, name: str, where: str) -> dict[str, int]:
    """A ``{"ASSET": amount}`` section in units; ConfigError naming the field."""
    if not isinstance(section, dict):
        raise ConfigError(f'{where}: {name!r} must be an object such as {{"USDT": 10000}}')
    parsed: dict[str, int] = {}
    for asset, amount in section.items():
        if not ASSET_PATTERN.match(asset):
            raise ConfigError(
                f"{where}: {name}: asset {asset!r} must be 1 to 20 capital letters or digits "
                "(e.g. USDT)"
            )
        units = parse_units(Decimal(repr(amount)) if isinstance(amount, float) else amount)
        if units is None or units < 0:
            raise ConfigError(
                f"{where}: {name}.{asset} must be a number of at least 0 with at most 8 "
                'decimals (e.g. 10000 or "0.5")'
            )
        parsed[asset] = units
    return parsed


def _number(units: int) -> int | str:
    """A balance for the file: whole numbers as numbers, others as exact text."""
    whole, frac = divmod(units, UNIT)
    return whole if not frac else f"{whole}.{frac:08d}".rstrip("0")


__all__ = [
    "DEFAULT_BALANCES",
    "DEFAULT_FUTURES",
    "KEY_PATTERN",
    "AccountFile",
    "create_account_file",
    "load_account_file",
    "random_credential",
]
