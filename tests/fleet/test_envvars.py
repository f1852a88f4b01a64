"""freqtrade's environment variables: the names it reads back into the same config."""

from __future__ import annotations

from freqtrade.configuration.environment_vars import _flat_vars_to_nested_dict

from freqfleet.fleet.envvars import ENV_PREFIX, env_name, env_variables


def test_names_keep_ccxt_key_case_as_freqtrade_reads_them() -> None:
    assert env_name(("exchange", "ccxt_config", "apiKey")) == (
        "FREQTRADE__EXCHANGE__CCXT_CONFIG__apiKey"
    )
    assert env_name(("api_server", "ws_token")) == "FREQTRADE__API_SERVER__WS_TOKEN"


def test_a_nested_config_round_trips_through_freqtrades_parser() -> None:
    config = {
        "exchange": {
            "ccxt_config": {"urls": {"api": {"public": "http://gateway:8490/api/v3"}}},
            "ccxt_async_config": {"apiKey": "Key"},
        },
        "api_server": {"listen_port": 8081},  # freqtrade reads numbers back as numbers
    }
    variables = env_variables(config)
    assert all(name.startswith(ENV_PREFIX) for name in variables)
    assert _flat_vars_to_nested_dict(dict(variables), ENV_PREFIX) == config
