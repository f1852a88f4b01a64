"""freqfleet.sim."""
