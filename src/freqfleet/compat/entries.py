"""A consumer's entry scan, proportional to the pairs whose analysis changed.

freqtrade looks for an entry on every whitelist pair in every loop while a slot is free
(``FreqtradeBot.enter_positions`` calls ``create_trade(pair)``: the pair's analysed frame,
its newest row as a Series, the strategy's ``get_entry_signal``): about 0.1 ms a pair, so
at 500 pairs and a 1 s loop about 5 s of CPU a candle for frames that did not change. A
signal comes only from the frame (time only expires one), so once freqtrade's own check
said "no entry" for a frame, it says so again until the frame changes. The patch asks the
bot's strategy (``fleet_no_entry(pair)``, a consumer's) before freqtrade's own
``create_trade``; every other bot in the process runs freqtrade's code. Undone by putting
freqtrade's function back (``patches.undo_patches``).
"""

from __future__ import annotations

from typing import Any

from freqfleet.compat import patches


def skip_unchanged_entry_checks() -> None:
    """Patch ``FreqtradeBot.create_trade`` once per process (see the module docstring)."""
    from freqtrade.freqtradebot import FreqtradeBot

    if patches.is_patched(FreqtradeBot, "create_trade"):
        return
    create = FreqtradeBot.create_trade

    def create_trade(self: Any, pair: str) -> bool:
        no_entry = getattr(self.strategy, "fleet_no_entry", None)
        if no_entry is not None and no_entry(pair):
            return False
        return bool(create(self, pair))

    patches.patch(FreqtradeBot, "create_trade", create_trade)


__all__ = ["skip_unchanged_entry_checks"]
