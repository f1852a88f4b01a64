"""The fleet section's model: its defaults and what it derives (names, hosts, ports)."""

from __future__ import annotations

from freqfleet.fleet.model import FleetSpec


def test_defaults_and_derived_values() -> None:
    spec = FleetSpec.model_validate({"producers": 3})
    assert spec.producer_names == ["producer-1", "producer-2", "producer-3"]
    assert [spec.producer_port(i) for i in range(3)] == [8081, 8082, 8083]
    assert spec.consumer_api_port == 8084
    assert spec.max_signal_age == 1
    assert spec.follow == ["exits"]
    assert spec.informative_candles is False
    assert spec.remote_hosts == []


def test_producer_list_hosts_and_ports() -> None:
    spec = FleetSpec.model_validate(
        {
            "producers": [
                {"name": "eu", "host": "10.0.0.5", "port": 9001},
                {"name": "local"},
            ],
            "listen": "0.0.0.0",
            "base_port": 8100,
        }
    )
    assert spec.producer_names == ["eu", "local"]
    assert spec.producer_host(0) == "10.0.0.5"
    assert spec.producer_host(1) == "127.0.0.1"
    assert spec.producer_port(1) == 8101
    assert spec.consumer_api_port == 9002
    assert spec.remote_hosts == ["10.0.0.5"]
