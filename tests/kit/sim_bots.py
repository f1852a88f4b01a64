"""A dry-run bot's config on the simulator, for driving freqtrade's own Exchange in-process
(the requests it makes are counted per bot by the simulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqtrade.enums import CandleType, RunMode

from freqfleet.sim import RunningSimulator
from freqfleet.sim.config import name_bot


def dry_run_config(
    sim: RunningSimulator,
    tmp_path: Path,
    bot: str,
    *,
    pairs: int = 2,
    timeframe: str = "5m",
    **extra: Any,
) -> dict[str, Any]:
    """What ``ExchangeResolver.load_exchange`` needs for a spot dry-run bot named ``bot``
    on the simulator's first ``pairs`` pairs; ``extra`` adds or replaces top-level keys."""
    return {
        "dry_run": True,
        "stake_currency": "USDT",
        "timeframe": timeframe,
        "trading_mode": "spot",
        "margin_mode": "",
        "candle_type_def": CandleType.SPOT,
        "runmode": RunMode.DRY_RUN,
        "user_data_dir": tmp_path,
        "datadir": tmp_path / "data",
        "exchange": name_bot(sim.exchange_config(sim.pairs[:pairs]), bot),
        **extra,
    }


__all__ = ["dry_run_config"]
