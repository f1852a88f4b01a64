"""freqfleet.strategy."""
