"""The consumer's wallet for ``freqfleet status``: what the exchange holds and what the bot
makes of it, per asset, and whether that wallet is real.

Why the consumer's ``/api/v1/balance``: in live mode freqtrade fills it from the
exchange's own balances (free, used, total per currency), next to the bot's figures (its
starting capital, the stake value of each asset, the part it manages); in dry-run the
same answer is freqtrade's simulation. Only the consumer has a wallet: producers trade
virtual stakes. Amounts are shown as freqtrade reported them (its API answers in JSON
numbers); nothing here computes with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

LIVE = "LIVE"
DRY_RUN = "dry-run"


@dataclass
class AssetBalance:
    """One currency of the consumer's wallet: the exchange's figures and the bot's view."""

    currency: str
    free: float | None
    locked: float | None
    total: float | None
    est_stake: float | None
    """The asset's value in the stake currency, as the bot estimates it."""
    bot_owned: float | None = None
    """What the bot counts as its own (its open trade's amount; stake it may still use)."""
    bot_managed: bool = False


@dataclass
class WalletView:
    """The consumer's wallet as its REST API reports it."""

    mode: str
    """``LIVE`` (the exchange's balances) or ``dry-run`` (freqtrade's simulation)."""
    exchange: str | None
    stake_currency: str | None
    assets: list[AssetBalance] = field(default_factory=list)
    starting_capital: float | None = None
    total: float | None = None
    """Every asset's value in the stake currency."""
    total_bot: float | None = None
    """The value of what the bot manages, in the stake currency."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _asset(entry: dict[str, Any]) -> AssetBalance | None:
    currency = entry.get("currency")
    if not isinstance(currency, str) or entry.get("is_position"):
        return None
    return AssetBalance(
        currency=currency,
        free=_number(entry.get("free")),
        locked=_number(entry.get("used")),
        total=_number(entry.get("balance")),
        est_stake=_number(entry.get("est_stake")),
        bot_owned=_number(entry.get("bot_owned")),
        bot_managed=entry.get("is_bot_managed") is True,
    )


def wallet_view(config: dict[str, Any], balance: dict[str, Any]) -> WalletView:
    """The wallet from a bot's ``/show_config`` and ``/balance`` answers (keys optional:
    another freqtrade release may leave some out)."""
    dry_run = config.get("dry_run")
    if not isinstance(dry_run, bool):  # freqtrade notes simulated balances in dry-run
        dry_run = balance.get("note") == "Simulated balances"
    entries = balance.get("currencies")
    assets = [
        asset
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and (asset := _asset(entry)) is not None
    ]
    stake = balance.get("stake") or config.get("stake_currency")
    exchange = config.get("exchange")
    return WalletView(
        mode=DRY_RUN if dry_run else LIVE,
        exchange=exchange if isinstance(exchange, str) else None,
        stake_currency=stake if isinstance(stake, str) else None,
        assets=assets,
        starting_capital=_number(balance.get("starting_capital")),
        total=_number(balance.get("total")),
        total_bot=_number(balance.get("total_bot")),
    )


def amount_text(value: float | None) -> str:
    """An amount as reported, in plain decimals (no exponent, no float noise)."""
    if value is None:
        return "-"
    try:
        exact = Decimal(repr(value)).normalize()
    except InvalidOperation:  # nan, inf
        return str(value)
    return f"{exact:,f}"


def wallet_title(wallet: WalletView) -> str:
    where = f" on {wallet.exchange}" if wallet.exchange else ""
    if wallet.mode == LIVE:
        return f"consumer wallet: [bold red]{LIVE}[/]{escape(where)} (the exchange's balances)"
    return f"consumer wallet: {DRY_RUN}{escape(where)} (freqtrade's simulated balances)"


def render_wallet(wallet: WalletView) -> Table:
    """Per asset: the exchange's free, locked and total, and the bot's view of it."""
    stake = wallet.stake_currency or "stake"
    table = Table(title=wallet_title(wallet), title_justify="left")
    table.add_column("asset")
    for column in ("free", "locked", "total", f"est. {stake}", "bot's own"):
        table.add_column(column, justify="right")
    for asset in wallet.assets:
        table.add_row(
            escape(asset.currency),
            amount_text(asset.free),
            amount_text(asset.locked),
            amount_text(asset.total),
            amount_text(asset.est_stake),
            amount_text(asset.bot_owned) if asset.bot_managed else "-",
        )
    if not wallet.assets:
        table.add_row("none", "-", "-", "-", "-", "-")
    table.caption = (
        f"the bot's view: starting capital {amount_text(wallet.starting_capital)} {stake}, "
        f"its trades and stake now worth {amount_text(wallet.total_bot)} {stake} "
        f"(all assets: {amount_text(wallet.total)} {stake})"
    )
    table.caption_justify = "left"
    return table


def with_wallets(table: Table, wallets: list[WalletView | None]) -> RenderableType:
    """The status table followed by each wallet that was reported (the consumer's)."""
    shown = [render_wallet(wallet) for wallet in wallets if wallet is not None]
    return Group(table, *shown) if shown else table


__all__ = [
    "DRY_RUN",
    "LIVE",
    "AssetBalance",
    "WalletView",
    "amount_text",
    "render_wallet",
    "wallet_title",
    "wallet_view",
    "with_wallets",
]
