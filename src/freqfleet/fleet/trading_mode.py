"""One trading mode for the whole fleet: spot, or futures (USDT-margined swaps) with a margin mode.

Why one: a producer on spot sends ``spot`` frames of ``BTC/USDT`` that a futures consumer
trading ``BTC/USDT:USDT`` drops (``freqfleet.strategy.intake``), and freqtrade itself
refuses a shorting strategy on spot. So the plan checks the user's ``trading_mode``,
``margin_mode``, pairs and stake currency together, refuses overrides that would put one
bot in another mode, and pins both settings on every bot it writes.
"""

from __future__ import annotations

from typing import Any

TRADING_MODES = ("spot", "futures")
MARGIN_MODES = ("isolated", "cross")
MODE_KEYS = ("trading_mode", "margin_mode")


def trading_mode_of(config: dict[str, Any]) -> str:
    """The config's trading mode (freqtrade's default: spot)."""
    return str(config.get("trading_mode") or "spot")


def is_futures(config: dict[str, Any]) -> bool:
    return trading_mode_of(config) == "futures"


def swap_pair(pair: str, settle: str) -> str:
    """``BTC/USDT`` as the linear swap settled in ``settle`` (``BTC/USDT:USDT``); a pair
    naming its settle currency already is kept."""
    return pair if ":" in pair else f"{pair}:{settle}"


def mode_settings(config: dict[str, Any]) -> dict[str, str]:
    """What every bot of the fleet gets: the trading mode, and on futures the margin mode."""
    if not is_futures(config):
        return {"trading_mode": "spot"}
    return {"trading_mode": "futures", "margin_mode": str(config.get("margin_mode"))}


def pin_mode(bot_config: dict[str, Any], user_config: dict[str, Any]) -> dict[str, Any]:
    """``bot_config`` in the user's trading and margin mode (nothing else changes)."""
    bot_config.pop("margin_mode", None)
    bot_config.update(mode_settings(user_config))
    return bot_config


def short_problem(config: dict[str, Any], strategy: str, can_short: bool) -> str | None:
    """Why a shorting strategy cannot run in the config's mode: freqtrade says so only
    when each bot starts (``Short strategies cannot run in spot markets``), after the plan
    and ``up`` seemed to work."""
    if not can_short or is_futures(config):
        return None
    return (
        f"trading_mode: {strategy} shorts (can_short = True), which freqtrade refuses on "
        f'"{trading_mode_of(config)}"; set "trading_mode": "futures" (with "margin_mode" and '
        f"swap pairs) or can_short = False in {strategy}"
    )


def trading_mode_problems(config: dict[str, Any]) -> list[str]:
    """Every way the config's trading mode, margin mode, pairs and stake disagree."""
    mode = config.get("trading_mode", "spot")
    if mode not in TRADING_MODES:
        return [
            f"trading_mode: {mode!r} is not a mode a fleet trades in; use "
            '"spot" or "futures" (USDT-margined swaps)'
        ]
    margin = config.get("margin_mode") or ""
    whitelist = (config.get("exchange") or {}).get("pair_whitelist") or []
    pairs = [pair for pair in whitelist if isinstance(pair, str)]
    if mode == "spot":
        problems = []
        if margin:
            problems.append(
                f"margin_mode: {margin!r} applies to futures only; remove it, or set "
                '"trading_mode": "futures"'
            )
        swaps = [pair for pair in pairs if ":" in pair]
        if swaps:
            problems.append(
                f"exchange.pair_whitelist: {_some(swaps)} are swaps, which spot cannot trade; "
                f'list spot pairs (e.g. {swaps[0].split(":")[0]!r}) or set "trading_mode": '
                '"futures"'
            )
        return problems
    return _futures_problems(config, margin, pairs)


def _futures_problems(config: dict[str, Any], margin: Any, pairs: list[str]) -> list[str]:
    problems = []
    if not margin:
        problems.append(
            'margin_mode: futures needs a margin mode; set "margin_mode": "isolated" (or "cross")'
        )
    elif margin not in MARGIN_MODES:
        problems.append(f'margin_mode: {margin!r} is not a margin mode; use "isolated" or "cross"')
    stake = str(config.get("stake_currency") or "")
    spot = [pair for pair in pairs if ":" not in pair]
    if spot:
        problems.append(
            f"exchange.pair_whitelist: {_some(spot)} are spot pairs; on futures list swaps "
            f"settled in the stake currency, e.g. {swap_pair(spot[0], stake or 'USDT')!r}"
        )
    elsewhere = [pair for pair in pairs if ":" in pair and pair.split(":", 1)[1] != stake]
    if elsewhere:
        settle = elsewhere[0].split(":", 1)[1]
        problems.append(
            f"exchange.pair_whitelist: {_some(elsewhere)} settle in {settle}, not in the stake "
            f"currency {stake or '(none)'}; list ':{stake}' swaps or set "
            f'"stake_currency": "{settle}"'
        )
    return problems


def override_problems(fleet: dict[str, Any]) -> list[str]:
    """Overrides may not put one bot in another trading or margin mode."""
    places: list[tuple[str, Any]] = [
        ("fleet.producer_overrides", fleet.get("producer_overrides")),
        ("fleet.consumer_overrides", fleet.get("consumer_overrides")),
    ]
    producers = fleet.get("producers")
    if isinstance(producers, list):
        places += [
            (f"fleet.producers[{index}].overrides", item.get("overrides"))
            for index, item in enumerate(producers)
            if isinstance(item, dict)
        ]
    return [
        f"{where}.{key}: every bot of a fleet trades in one mode; set {key} at the top of "
        "your config instead"
        for where, overrides in places
        if isinstance(overrides, dict)
        for key in MODE_KEYS
        if key in overrides
    ]


def _some(pairs: list[str], most: int = 3) -> str:
    shown = ", ".join(repr(pair) for pair in pairs[:most])
    return shown + (f" and {len(pairs) - most} more" if len(pairs) > most else "")


__all__ = [
    "MARGIN_MODES",
    "MODE_KEYS",
    "TRADING_MODES",
    "is_futures",
    "mode_settings",
    "override_problems",
    "pin_mode",
    "short_problem",
    "swap_pair",
    "trading_mode_of",
    "trading_mode_problems",
]
