"""freqfleet.fleet."""
