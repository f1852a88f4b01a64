"""freqfleet: run one freqtrade strategy as a fleet of producers and one consumer."""

__version__ = "0.1.0"
