"""A strategy's informative sources: the candles it asks for beyond its own pairs and
timeframe, as the plan's exchange-weight estimate (:mod:`freqfleet.fleet.exchange_weight`)
counts them.

Why read the class: ``@informative`` decorators and ``informative_pairs()`` decide how many
more candle series every bot refreshes, and a plan is written before any bot runs, so the
estimate reads them from the strategy class the plan resolved.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freqfleet.compat import informative_data

logger = logging.getLogger("freqfleet.fleet.exchange_weight")


@dataclass(frozen=True)
class Informative:
    """One informative source of a strategy: ``asset`` "" means each whitelisted pair."""

    asset: str
    timeframe: str
    per_pair: bool


def strategy_informatives(cls: type, config: dict[str, Any], pairs: list[str]) -> list[Informative]:
    """The informative sources of strategy class ``cls`` (decorators, ``informative_pairs``).

    ``informative_pairs()`` runs on an instance that sees ``pairs`` as its whitelist; a
    strategy that needs more (the exchange, data) is logged and counted without it.
    """
    found: list[Informative] = []
    for klass in cls.__mro__:
        for value in vars(klass).values():
            for data in informative_data(value):
                asset = getattr(data, "asset", None) or ""
                timeframe = getattr(data, "timeframe", None)
                if not isinstance(timeframe, str):
                    continue
                per_pair = not asset or "{base}" in asset.lower()
                if not per_pair:
                    stake = str(config.get("stake_currency", ""))
                    asset = asset.format(stake_currency=stake, stake=stake).upper()
                found.append(Informative(asset, timeframe, per_pair))
    from freqtrade.strategy import IStrategy

    if getattr(cls, "informative_pairs", None) is not IStrategy.informative_pairs:
        for pair, timeframe in _informative_pairs(cls, config, pairs):
            found.append(Informative(pair, timeframe, False))
    return found


class _PlannedWhitelist:
    """The whitelist freqtrade's DataProvider hands the strategy (``current_whitelist``)."""

    def __init__(self, pairs: list[str]) -> None:
        self.whitelist = list(pairs)


def _informative_pairs(
    cls: type, config: dict[str, Any], pairs: list[str]
) -> list[tuple[str, str]]:
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.enums import CandleType, RunMode

    settings = {
        **config,
        "candle_type_def": CandleType.get_default(str(config.get("trading_mode") or "spot")),
        "runmode": RunMode.PLOT,
        "exchange": {**(config.get("exchange") or {}), "pair_whitelist": pairs},
    }
    try:
        strategy = cls(settings)
        strategy.dp = DataProvider(settings, None, _PlannedWhitelist(pairs))
        answer = strategy.informative_pairs()
        return [(str(item[0]), str(item[1])) for item in answer]
    except Exception as error:  # the user's code, run outside a bot: anything may fail
        logger.info("%s.informative_pairs() not counted in the estimate: %s", cls.__name__, error)
        return []


def strategy_class(name: str, source: Path | None, folder: Path | None) -> type | None:
    """The strategy class a plan resolved (a freqfleet sample or the user's file)."""
    from freqfleet.fleet.strategy_discovery import SAMPLES_MODULE, load_strategy_class

    if source is None:
        found = getattr(importlib.import_module(SAMPLES_MODULE), name, None)
        return found if isinstance(found, type) else None
    if folder is None:
        return None

    loaded = load_strategy_class(folder, name)
    return None if loaded is None else loaded[0]


__all__ = ["Informative", "strategy_class", "strategy_informatives"]
