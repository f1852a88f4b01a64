"""Real freqtrade bots in tests: their environment, and what freqtrade itself makes of a
config (the reference a plan's files are checked against)."""

from __future__ import annotations

import os


def bot_env() -> dict[str, str]:
    """The environment for a ``freqtrade`` subprocess: freqtrade configures its log file
    only outside pytest (it checks PYTEST_VERSION)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_VERSION"}
    return {**env, "PYTHONUNBUFFERED": "1"}


def whitelist_of(config_files: list[str]) -> list[str]:
    """The whitelist freqtrade's own PairListManager produces for these config files."""
    from freqtrade.configuration import Configuration
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.plugins.pairlistmanager import PairListManager
    from freqtrade.resolvers import ExchangeResolver

    config = Configuration.from_files(config_files)
    exchange = ExchangeResolver.load_exchange(config, validate=False)
    try:
        manager = PairListManager(exchange, config, DataProvider(config, exchange))
        manager.refresh_pairlist()
        return list(manager.whitelist)
    finally:
        exchange.close()


__all__ = ["bot_env", "whitelist_of"]
