"""freqfleet.sim: a Binance-style spot exchange simulator for offline freqtrade bots: REST
market data (:mod:`.app`) and kline websocket streams (:mod:`.streams`).

What other parts of freqfleet (and tests, benchmarks) use:

- ``running_simulator(**options)``: a simulator subprocess for the demo, the backtest's
  markets, tests and benchmarks (``.url``, ``.pairs``, ``.exchange_config(pairs)``,
  ``.request_counts()``), from :mod:`.launcher`.
- ``exchange_config(url, pairs)``: the freqtrade ``exchange`` section that points a bot at
  a simulator, REST and kline streams (``websocket=False``: REST only); ``ccxt_settings``,
  ``name_bot`` and ``BOT_HEADER`` (:mod:`.config`).
- ``BINANCE_WEIGHT_LIMIT``, ``depth_weight``, ``ticker_24hr_weight``: Binance's request
  weights as the simulator counts them (:mod:`.weights`).
- ``freqfleet sim`` / ``freqfleet sim config``: the command line (:mod:`.commands`).
"""

from freqfleet.sim.config import BOT_HEADER, ccxt_settings, exchange_config, name_bot
from freqfleet.sim.launcher import RunningSimulator, running_simulator, simulator_command
from freqfleet.sim.weights import BINANCE_WEIGHT_LIMIT, depth_weight, ticker_24hr_weight

__all__ = [
    "BINANCE_WEIGHT_LIMIT",
    "BOT_HEADER",
    "RunningSimulator",
    "ccxt_settings",
    "depth_weight",
    "exchange_config",
    "name_bot",
    "running_simulator",
    "simulator_command",
    "ticker_24hr_weight",
]
