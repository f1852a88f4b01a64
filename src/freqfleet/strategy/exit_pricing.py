"""When the consumer may reuse an open trade's price instead of asking the exchange again.

Why: freqtrade prices every open trade on every loop (``handle_trade``: one exit rate;
position adjustment: entry and exit rates), from the order book or the ticker. A fleet's
consumer loops every second so that it acts on producer rows at once; pricing at that
pace would cost the exchange five times what the user's own bot (5 s loop) costs. So a
trade's price is reused for ``fleet.exit_price_secs`` (the user's loop), and taken fresh
whenever it matters:

- the price is older than ``exit_price_secs``, or none was taken yet;
- a new row with an exit signal came for the pair (the signal rises);
- a followed producer exit (or, for position adjustments, a followed adjustment) waits;
- an order would follow: freqtrade's patched loop (``internals.reuse_exit_prices``) never
  places an exit or an adjustment at a reused price; it prices again and decides again.

So the consumer decides on the prices a bot looping every ``exit_price_secs`` sees, and
acts only on a price taken in the loop that acts. Plain Python: the freqtrade side lives in
``internals``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class PriceKind(StrEnum):
    """What an open trade is priced for (str values: freqtrade's patched loop in
    ``internals`` passes the words)."""

    EXIT = "exit"
    """``handle_trade``'s exit rate."""
    ADJUST = "adjust"
    """The entry and exit rates of a position adjustment check."""


SignalRow = Callable[[str, bool], int | None]
"""``signal_row(pair, is_short)``: the date (ns) of the pair's newest row when it carries
an exit signal for that side, else None."""
Pending = Callable[[str], bool]
"""``pending(pair)``: whether a followed action waits on the pair."""


def _never(pair: str) -> bool:
    return False


def _no_signal(pair: str, is_short: bool) -> int | None:
    return None


@dataclass(frozen=True)
class _Priced:
    rates: tuple[float, ...]
    at: float
    is_short: bool
    signal_row: int | None


class ExitPrices:
    """Which open-trade prices may be reused this loop, and the prices taken so far."""

    def __init__(
        self,
        reuse_secs: float,
        *,
        signal_row: SignalRow = _no_signal,
        exit_pending: Pending = _never,
        adjustment_pending: Pending = _never,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reuse_secs = reuse_secs
        self.signal_row = signal_row
        self.exit_pending = exit_pending
        self.adjustment_pending = adjustment_pending
        self.clock = clock
        self._priced: dict[tuple[PriceKind, str], _Priced] = {}
        self.fetched = 0
        """Prices taken from the exchange."""
        self.reused = 0
        """Prices handed out again instead."""
        self.repriced = 0
        """Decisions taken again on a fresh price because they would have placed an order."""

    def reusable(self, kind: PriceKind, pair: str, is_short: bool) -> tuple[float, ...] | None:
        """The rates to hand out again, or None when the exchange must be asked."""
        priced = self._priced.get((kind, pair))
        if (
            priced is None
            or priced.is_short != is_short
            or self.clock() - priced.at >= self.reuse_secs
        ):
            return None
        if kind == PriceKind.EXIT:
            row = self.signal_row(pair, is_short)
            if (row is not None and row != priced.signal_row) or self.exit_pending(pair):
                return None
        elif self.adjustment_pending(pair):
            return None
        self.reused += 1
        return priced.rates

    def taken(self, kind: PriceKind, pair: str, is_short: bool, rates: tuple[float, ...]) -> None:
        """Remember rates just taken from the exchange (with the exit signal they saw)."""
        self.fetched += 1
        row = self.signal_row(pair, is_short) if kind == PriceKind.EXIT else None
        self._priced[(kind, pair)] = _Priced(rates, self.clock(), is_short, row)

    def stats(self) -> dict[str, int]:
        return {"fetched": self.fetched, "reused": self.reused, "repriced": self.repriced}


__all__ = ["ExitPrices", "Pending", "PriceKind", "SignalRow"]
