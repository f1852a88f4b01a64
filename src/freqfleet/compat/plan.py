"""What ``freqfleet plan`` (and the backtest's strategy lookup) reads of freqtrade.

- how freqtrade reads ``FREQTRADE__`` environment variables back into a config (its
  ``environment_vars._flat_vars_to_nested_dict``), to prove a bot's secrets survive the
  trip through a Kubernetes Secret;
- the strategy class freqtrade's resolver finds in a folder
  (``StrategyResolver._search_object``);
- the timeframes of a strategy's ``@informative`` methods (``_ft_informative``, set by
  freqtrade's decorator) and whether freqtrade streams candles on an exchange
  (``_ft_has["ws_enabled"]``), to size each bot's exchange traffic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqfleet.compat.checks import require
from freqfleet.compat.model import Feature
from freqfleet.errors import RuntimeFleetError


def flat_vars_to_nested_dict(env: dict[str, str], prefix: str) -> dict[str, Any]:
    """The config freqtrade builds from the environment variables ``env`` (``prefix``:
    ``FREQTRADE__``)."""
    require(Feature.PLAN, error=RuntimeFleetError)
    from freqtrade.configuration.environment_vars import _flat_vars_to_nested_dict

    return dict(_flat_vars_to_nested_dict(dict(env), prefix))


def search_strategy_class(folder: Path, name: str) -> tuple[Any, Any]:
    """(class, file) of strategy ``name`` in ``folder`` as freqtrade's resolver finds it;
    (None, None) when it finds none."""
    require(Feature.PLAN, what="finding the strategy class", error=RuntimeFleetError)
    from freqtrade.resolvers.strategy_resolver import StrategyResolver

    found: tuple[Any, Any] = StrategyResolver._search_object(folder, object_name=name)
    return found


def informative_data(value: Any) -> list[Any]:
    """What freqtrade's ``@informative`` recorded on ``value`` (each with ``timeframe``
    and ``asset``); empty for anything else."""
    return list(getattr(value, "_ft_informative", None) or [])


def freqtrade_ws_enabled(name: str, trading_mode: str = "spot") -> bool:
    """Whether freqtrade takes candles from websocket streams on exchange ``name`` (its
    class's ``_ft_has["ws_enabled"]``; on futures its ``_ft_has_futures`` setting, else the
    spot one), given ``enable_ws``."""
    import freqtrade.exchange as exchanges

    for value in vars(exchanges).values():
        if (
            isinstance(value, type)
            and issubclass(value, exchanges.Exchange)
            and value.__name__.lower() == name.lower()
        ):
            has = dict(getattr(value, "_ft_has", {}))
            if trading_mode == "futures":
                has.update(getattr(value, "_ft_has_futures", {}))
            return bool(has.get("ws_enabled", False))
    return False


__all__ = [
    "flat_vars_to_nested_dict",
    "freqtrade_ws_enabled",
    "informative_data",
    "search_strategy_class",
]
