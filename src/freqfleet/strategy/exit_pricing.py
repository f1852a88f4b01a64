"""When the consumer may reuse an open trade's price instead of asking the exchange again.

Why: freqtrade prices every open trade on every loop (``handle_trade``: one exit rate;
position adjustment: entry and exit rates), from the order book or the ticker. A fleet's
consumer loops every second so that it acts on producer rows at once; pricing at that
pace would cost the exchange five times what the user's own bot (5 s loop) costs. So a
trade's price is reused for ``fleet.exit_price_secs`` (the user's loop), and taken fresh
whenever it matters:

- the price is older than ``exit_price_secs``, or none was taken yet;
- the producer delivered a new analysis of the pair since (a new row, an exit signal, a
  column a callback reads): callbacks decide on new data with a new price;
- a followed producer exit (or, for position adjustments, a followed adjustment) waits.

So the consumer decides on the prices a bot looping every ``exit_price_secs`` sees. When
such a decision places an order, freqtrade's patched loop (``compat.reuse_exit_prices``)
takes the price fresh for the order itself: no order goes out at a reused price, and no
callback runs twice for one decision (deciding again would call ``custom_exit``,
``custom_stoploss`` and the trailing stop a second time in one loop). Plain Python: the
freqtrade side lives in ``freqfleet.compat.pricing``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum


class PriceKind(StrEnum):
    """What an open trade is priced for (str values: freqtrade's patched loop in
    ``compat`` passes the words)."""

    EXIT = "exit"
    """``handle_trade``'s exit rate."""
    ADJUST = "adjust"
    """The entry and exit rates of a position adjustment check."""


AnalysisMark = Callable[[str], Hashable]
"""``analysis(pair)``: what identifies the producer's newest analysis of the pair (changes
when a new one is delivered); None when there is none."""
Pending = Callable[[str], bool]
"""``pending(pair)``: whether a followed action waits on the pair."""


def _never(pair: str) -> bool:
    return False


def _no_analysis(pair: str) -> Hashable:
    return None


@dataclass(frozen=True)
class _Priced:
    rates: tuple[float, ...]
    at: float
    is_short: bool
    analysis: Hashable


class ExitPrices:
    """Which open-trade prices may be reused this loop, and the prices taken so far."""

    def __init__(
        self,
        reuse_secs: float,
        *,
        analysis: AnalysisMark = _no_analysis,
        exit_pending: Pending = _never,
        adjustment_pending: Pending = _never,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reuse_secs = reuse_secs
        self.analysis = analysis
        self.exit_pending = exit_pending
        self.adjustment_pending = adjustment_pending
        self.clock = clock
        self._priced: dict[tuple[PriceKind, str], _Priced] = {}
        self.fetched = 0
        """Prices taken from the exchange."""
        self.reused = 0
        """Prices handed out again instead."""
        self.repriced = 0
        """Orders decided on a reused price and placed on one taken fresh for them."""

    def reusable(self, kind: PriceKind, pair: str, is_short: bool) -> tuple[float, ...] | None:
        """The rates to hand out again, or None when the exchange must be asked."""
        priced = self._priced.get((kind, pair))
        if (
            priced is None
            or priced.is_short != is_short
            or self.clock() - priced.at >= self.reuse_secs
        ):
            return None
        if self.analysis(pair) != priced.analysis:
            return None
        if self.exit_pending(pair) if kind == PriceKind.EXIT else self.adjustment_pending(pair):
            return None
        self.reused += 1
        return priced.rates

    def taken(self, kind: PriceKind, pair: str, is_short: bool, rates: tuple[float, ...]) -> None:
        """Remember rates just taken from the exchange (with the analysis they saw)."""
        self.fetched += 1
        self._priced[(kind, pair)] = _Priced(rates, self.clock(), is_short, self.analysis(pair))

    def stats(self) -> dict[str, int]:
        return {"fetched": self.fetched, "reused": self.reused, "repriced": self.repriced}


__all__ = ["AnalysisMark", "ExitPrices", "Pending", "PriceKind"]
