"""freqfleet.sim: a Binance-style spot exchange simulator for offline freqtrade bots: REST
market data (:mod:`.app`) and kline websocket streams (:mod:`.streams`); USD-M futures
market data beside it under ``/fapi`` (:mod:`.futures_data`: one USDT-margined perpetual
per USDT pair, :mod:`.futures_markets`, with the spot market's prices; funding every 8
hours, :mod:`.funding`; the kline streams also under ``/market``); with ``--account``
a spot account that live bots (``dry_run: false``) trade on with signed requests
(:mod:`.private_api`), orders matched on the simulated prices (:mod:`.matching`,
:mod:`.account`).

What a live freqtrade 2026.9 bot (ccxt 4.5.90) asks for beyond market data, as found by
running one (force entries and exits, limit and market orders, an unfilled entry timing
out), all simulated: ``GET /sapi/v1/capital/config/getall`` (ccxt's currencies, at market
loading once a key is set), ``GET /api/v3/account`` (the wallet, every loop),
``POST /api/v3/order``, ``GET /api/v3/order`` (each open order, every loop),
``DELETE /api/v3/order`` (unfilled timeouts, cancels), ``GET /api/v3/myTrades`` (fees of
orders filled after placement). Also simulated for ccxt and freqtrade's rarer paths:
``GET /api/v3/openOrders``, ``GET /api/v3/allOrders`` (freqtrade's search for orders it
does not know, when a balance went missing), ``GET /sapi/v1/margin/allPairs`` and
``/sapi/v1/margin/isolated/allPairs`` (ccxt's market loading with its default
``fetchMargins``; none: no margin here). No user-data stream (listenKey) is used.

What other parts of freqfleet (and tests, benchmarks) use:

- ``running_simulator(**options)``: a simulator subprocess for the demo, the backtest's
  markets, tests and benchmarks (``.url``, ``.pairs``, ``.exchange_config(pairs)``,
  ``.request_counts()``), from :mod:`.launcher`; with ``account=PATH`` (and
  ``order_limit=N``) its account: ``.exchange_config(pairs, live=True)``, ``.key``,
  ``.secret``, ``.account()``, ``.adjust_balance(asset, delta)``, ``.inject_fault(**rule)``,
  ``.clear_faults()``.
- ``exchange_config(url, pairs)``: the freqtrade ``exchange`` section that points a bot at
  a simulator, REST and kline streams (``websocket=False``: REST only; ``key``/``secret``:
  a live bot's; ``trading_mode="futures"``: a futures bot's); ``futures_config(url,
  pairs)``: a futures bot's ``trading_mode``, ``margin_mode`` and ``exchange`` keys
  (``running_simulator``'s ``.futures_config()``, ``.futures_pairs``); ``ccxt_settings``,
  ``name_bot`` and ``BOT_HEADER`` (:mod:`.config`).
- What a dry-run futures bot (freqtrade 2026.9) asks for, as found by running one:
  ``/fapi/v1/exchangeInfo``, ``/fapi/v1/time``, ``/fapi/v1/klines``, ``/fapi/v1/depth``,
  and for the funding fees of an exit (and every 30 minutes per open trade)
  ``/fapi/v1/markPriceKlines`` and ``/fapi/v1/fundingRate``. Not simulated: inverse
  (``dapi``) and delivery markets, open interest, trades, premium index and continuous
  candles; ``/fapi/v1/leverageBracket`` and the signed futures routes are the account's.
- ``BINANCE_WEIGHT_LIMIT``, ``depth_weight``, ``ticker_24hr_weight``: Binance's request
  weights as the simulator counts them (:mod:`.weights`; USD-M futures:
  ``BINANCE_FUTURES_WEIGHT_LIMIT``, ``futures_weight``, counted on a meter of their own).
- ``freqfleet sim`` / ``freqfleet sim config``: the command line (:mod:`.commands`).
"""

from freqfleet.sim.config import (
    BOT_HEADER,
    ccxt_settings,
    exchange_config,
    futures_config,
    futures_pair,
    name_bot,
)
from freqfleet.sim.funding import funding_rate, funding_times
from freqfleet.sim.launcher import RunningSimulator, running_simulator, simulator_command
from freqfleet.sim.weights import BINANCE_WEIGHT_LIMIT, depth_weight, ticker_24hr_weight

__all__ = [
    "BINANCE_WEIGHT_LIMIT",
    "BOT_HEADER",
    "RunningSimulator",
    "ccxt_settings",
    "depth_weight",
    "exchange_config",
    "funding_rate",
    "funding_times",
    "futures_config",
    "futures_pair",
    "name_bot",
    "running_simulator",
    "simulator_command",
    "ticker_24hr_weight",
]
