"""Requests and limits of the Kubernetes export: sized from the strategy, overridable."""

from __future__ import annotations

from pathlib import Path

from freqfleet.fleet.kube_sizing import quantity
from tests.kit.kube_export import (
    cluster_config,
    export,
    plan,
    pod_spec,
)
from tests.kit.kube_pods import container_named

INFORMATIVE_STRATEGY = """
from freqtrade.strategy import informative
from my_strategy import MyStrategy


class MyInformed(MyStrategy):
    startup_candle_count = 2000

    @informative("1h")
    def populate_indicators_1h(self, dataframe, metadata):
        return dataframe

    @informative("4h")
    def populate_indicators_4h(self, dataframe, metadata):
        return dataframe
"""


def container_resources(out: Path, name: str) -> dict[str, dict[str, str]]:
    container = container_named(pod_spec(export(out), name))
    return container["resources"]


def test_resources_are_sized_from_the_strategy_and_overridable(
    user_dir: Path, tmp_path: Path
) -> None:
    (user_dir / "user_data" / "strategies" / "informed.py").write_text(INFORMATIVE_STRATEGY)
    small = tmp_path / "small"
    plan(cluster_config(fleet={"producers": 3}), user_dir, small)
    heavy = tmp_path / "heavy"
    config = cluster_config(fleet={"producers": 1}, strategy="MyInformed")
    config["exchange"]["pair_whitelist"] = [f"C{i}/USDT" for i in range(120)]
    plan(config, user_dir, heavy)

    light_producer = container_resources(small, "producer-1")
    heavy_producer = container_resources(heavy, "producer-1")
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            assert quantity(heavy_producer[part][resource]) > quantity(
                light_producer[part][resource]
            ), (part, resource)
            assert quantity(light_producer["requests"][resource]) <= quantity(
                light_producer["limits"][resource]
            )
    # 120 pairs with two informative timeframes: about 3 cores (60 pairs per core, +25 % per
    # informative timeframe) and 4 MiB per frame of 2000 candles.
    assert heavy_producer["requests"]["cpu"] == "3"
    assert quantity(heavy_producer["requests"]["memory"]) >= (400 + 120 * 3 * 4 * 2) * 2**20
    assert quantity(container_resources(heavy, "consumer")["requests"]["memory"]) > quantity(
        container_resources(small, "consumer")["requests"]["memory"]
    )

    override = tmp_path / "override"
    kubernetes = {
        "resources": {
            "producer": {"requests": {"memory": "6Gi"}},  # above the default limit: raises it
            "consumer": {"requests": {"cpu": "1500m"}, "limits": {"cpu": 2, "memory": "1Gi"}},
        }
    }
    plan(cluster_config(kubernetes), user_dir, override)
    producer = container_resources(override, "producer-1")
    assert producer["requests"]["memory"] == producer["limits"]["memory"] == "6Gi"
    assert container_resources(override, "consumer") == {
        "requests": {
            "cpu": "1500m",
            "memory": container_resources(small, "consumer")["requests"]["memory"],
        },
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
