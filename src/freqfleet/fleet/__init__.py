"""freqfleet.fleet: from a freqtrade config with a ``fleet`` section to a plan (each bot's
config, the manifest, compose and Kubernetes files) and the pairlist feed that shares one
pair list among the producers.

What other parts of freqfleet use: the config's check (``load_fleet_config``,
``validate_fleet_config``), the plan (``write_plan``, ``FleetManifest`` and its
``BotEntry``), the pair split (``partition``), the user's strategy (``resolve_strategy``,
``sample_stub``), where a client reaches a listening bot (``connect_address``) and which
bot trades live (``trading_line``), the fleet's one trading mode (``trading_mode_of``), and
what applying a changed config does (``FleetDiff`` and its ``Step``).
"""

from freqfleet.fleet.addresses import connect_address
from freqfleet.fleet.apply import FleetDiff, Step
from freqfleet.fleet.live import trading_line
from freqfleet.fleet.manifest import BotEntry, FleetManifest, PairlistFeedEntry
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.partition import partition
from freqfleet.fleet.plan import write_plan
from freqfleet.fleet.spec import load_fleet_config, validate_fleet_config
from freqfleet.fleet.strategy_discovery import resolve_strategy
from freqfleet.fleet.stubs import sample_stub
from freqfleet.fleet.trading_mode import trading_mode_of

__all__ = [
    "BotEntry",
    "FleetDiff",
    "FleetManifest",
    "FleetSpec",
    "PairlistFeedEntry",
    "Step",
    "connect_address",
    "load_fleet_config",
    "partition",
    "resolve_strategy",
    "sample_stub",
    "trading_line",
    "trading_mode_of",
    "validate_fleet_config",
    "write_plan",
]
