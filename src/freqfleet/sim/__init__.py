"""freqfleet.sim: a Binance-style spot exchange simulator for offline freqtrade bots.

- :mod:`freqfleet.sim.testing` ``running_simulator(**options)``: a simulator subprocess
  for tests and the demo (``.url``, ``.pairs``, ``.exchange_config(pairs)``,
  ``.request_counts()``).
- :mod:`freqfleet.sim.config` ``exchange_config(url, pairs)``: the freqtrade ``exchange``
  section that points a bot at a simulator.
- ``freqfleet sim`` / ``freqfleet sim config``: the command line (:mod:`.commands`).
"""
