"""freqfleet.backtest."""
