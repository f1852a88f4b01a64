"""freqfleet.sim: a Binance-style spot exchange simulator for offline freqtrade bots.

What other parts of freqfleet (and tests, benchmarks) use:

- ``running_simulator(**options)``: a simulator subprocess for the demo, the backtest's
  markets, tests and benchmarks (``.url``, ``.pairs``, ``.exchange_config(pairs)``,
  ``.request_counts()``), from :mod:`.launcher`.
- ``exchange_config(url, pairs)``: the freqtrade ``exchange`` section that points a bot at
  a simulator; ``ccxt_settings``, ``name_bot`` and ``BOT_HEADER`` (:mod:`.config`).
- ``freqfleet sim`` / ``freqfleet sim config``: the command line (:mod:`.commands`).
"""

from freqfleet.sim.config import BOT_HEADER, ccxt_settings, exchange_config, name_bot
from freqfleet.sim.launcher import RunningSimulator, running_simulator, simulator_command

__all__ = [
    "BOT_HEADER",
    "RunningSimulator",
    "ccxt_settings",
    "exchange_config",
    "name_bot",
    "running_simulator",
    "simulator_command",
]
