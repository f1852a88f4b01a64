"""The simulator's own GET endpoints: ``/sim/stats`` and ``/sim/info``.

``/sim/stats``: request counts and weight, in total and per bot (see
:mod:`freqfleet.sim.request_stats`), the minute's used weight and the limit, stream
connections and messages under ``streams``; ``futures_weight_1m``: the USD-M futures
minute's, counted apart. ``/sim/info``: the model and its pairs. They
weigh nothing and are left out of the counts they report.
"""

from __future__ import annotations

from typing import Any

from freqfleet.sim.exchange import SimExchange
from freqfleet.sim.request_stats import Stats
from freqfleet.sim.routing import Params
from freqfleet.sim.stream_stats import StreamStats
from freqfleet.sim.weights import WeightMeter


class SimEndpoints:
    """What the simulator says about itself, for tests, benchmarks and logs."""

    def __init__(
        self,
        exchange: SimExchange,
        stats: Stats,
        meter: WeightMeter,
        stream_stats: StreamStats,
        weight_limit: int | None,
        futures_meter: WeightMeter | None = None,
    ) -> None:
        self.futures_meter = futures_meter
        self.exchange = exchange
        self.stats = stats
        self.meter = meter
        self.stream_stats = stream_stats
        self.weight_limit = weight_limit

    def sim_stats(self, params: Params, now_ms: int) -> tuple[Any, int]:
        return {
            **self.stats.snapshot(),
            "weight_1m": self.meter.used(now_ms),
            "weight_limit": self.weight_limit,
            **(
                {"futures_weight_1m": self.futures_meter.used(now_ms)}
                if self.futures_meter is not None
                else {}
            ),
            "streams": self.stream_stats.snapshot(),
        }, 0

    def sim_info(self, params: Params, now_ms: int) -> tuple[Any, int]:
        model = self.exchange.model
        return {
            "model": model.name,
            "description": model.describe(),
            "pairs": [m.pair for m in self.exchange.markets],
            "base_timeframe_ms": model.base_ms,
            "listed_ms": model.listed_ms,
            "weight_limit": self.weight_limit,
        }, 0


__all__ = ["SimEndpoints"]
