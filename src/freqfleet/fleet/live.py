"""Which bot of a fleet trades for real, said in one line; a live consumer without a key.

Why say it: a plan of a live config (``dry_run: false``) hands the user's exchange
credentials to exactly one bot, the consumer; everything else (producers, the pairlist
feed, the gateway) runs without them. The user should read that in the plan's output,
and hear at plan time, not at the consumer's first order, that a live consumer was given
no key.
"""

from __future__ import annotations

import functools
from typing import Any

from freqfleet.credentials import (
    CCXT_CREDENTIALS,
    exchange_credentials,
    given_ccxt_credentials,
)
from freqfleet.fleet.botconfigs import deep_merge
from freqfleet.fleet.model import FleetSpec

DEFAULT_REQUIRED = ("apiKey", "secret")
"""What ccxt requires of an exchange it does not know (its base class's defaults)."""


def consumer_settings(config: dict[str, Any], spec: FleetSpec) -> dict[str, Any]:
    """The user's config as the consumer gets it: with ``fleet.consumer_overrides``."""
    return deep_merge(config, spec.consumer_overrides)


def is_live(config: dict[str, Any], spec: FleetSpec) -> bool:
    """True when the consumer trades for real (freqtrade's default is dry-run)."""
    return consumer_settings(config, spec).get("dry_run", True) is False


@functools.cache
def required_credentials(exchange: str) -> tuple[str, ...]:
    """ccxt's names of the credentials ``exchange`` needs to trade (``requiredCredentials``)."""
    import ccxt

    kind = getattr(ccxt, exchange.lower(), None) if exchange else None
    try:
        required = kind().requiredCredentials if isinstance(kind, type) else None
    except Exception:  # an exchange class that cannot be built offline: ccxt's defaults
        required = None
    if not isinstance(required, dict):
        return DEFAULT_REQUIRED
    return tuple(name for name, needed in required.items() if needed)


def setting_of(credential: str) -> str:
    """Where a freqtrade config takes ccxt's ``credential`` from (its first name)."""
    names = CCXT_CREDENTIALS.get(credential) or ()
    return f"exchange.{names[0]}" if names else f"exchange.ccxt_config.{credential}"


def trading_line(config: dict[str, Any], spec: FleetSpec) -> str:
    """Who trades what: the consumer live or dry-run, the others never with a key."""
    settings = consumer_settings(config, spec)
    exchange = settings.get("exchange") or {}
    name = exchange.get("name") or "the exchange"
    if settings.get("trading_mode") == "futures":
        name = f"{name} futures ({settings.get('margin_mode')} margin)"
    others = "producers: dry-run, no exchange credentials"
    if not is_live(config, spec):
        wallet = settings.get("dry_run_wallet", 1000)
        if isinstance(wallet, dict):
            amounts = ", ".join(f"{amount} {currency}" for currency, amount in wallet.items())
        else:
            amounts = f"{wallet} {settings.get('stake_currency') or ''}".strip()
        return f"consumer trades in dry-run on {name} (wallet {amounts}); {others}"
    held = ", ".join(exchange_credentials(settings))
    if not held:
        return f"consumer trades LIVE on {name} with NO exchange credentials; {others}"
    return f"consumer trades LIVE on {name} with your key ({held}); {others}"


def live_warnings(config: dict[str, Any], spec: FleetSpec) -> list[str]:
    """One line when the consumer trades live without a credential its exchange needs."""
    if not is_live(config, spec):
        return []
    exchange = consumer_settings(config, spec).get("exchange") or {}
    name = str(exchange.get("name") or "")
    missing = [
        credential
        for credential in required_credentials(name)
        if credential not in given_ccxt_credentials(exchange)
    ]
    if not missing:
        return []
    settings = " and ".join(setting_of(credential) for credential in missing)
    return [
        f"dry_run is false but {settings} {'is' if len(missing) == 1 else 'are'} empty: "
        f"the consumer cannot trade on {name or 'the exchange'}; set "
        f"{'it' if len(missing) == 1 else 'them'} in your config's exchange section, or set "
        '"dry_run": true'
    ]


def copy_note(config: dict[str, Any], spec: FleetSpec, consumer_file: str) -> str | None:
    """What not to copy to producer hosts, when the consumer holds credentials."""
    if not spec.remote_hosts or not exchange_credentials(consumer_settings(config, spec)):
        return None
    return (
        f"{consumer_file} holds your exchange credentials: copy the plan folder to "
        f"{', '.join(spec.remote_hosts)} without it (producers never read it)"
    )


__all__ = [
    "consumer_settings",
    "copy_note",
    "is_live",
    "live_warnings",
    "required_credentials",
    "setting_of",
    "trading_line",
]
