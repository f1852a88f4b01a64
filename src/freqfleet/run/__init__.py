"""freqfleet.run."""
