"""The fleet strategy: ``class MyFleet(FleetStrategy, MyStrategy): pass``."""

from freqfleet.strategy.fleet import STATE_FILE, FleetStrategy
from freqfleet.strategy.settings import ConsumerSettings, is_consumer_config

__all__ = ["STATE_FILE", "ConsumerSettings", "FleetStrategy", "is_consumer_config"]
