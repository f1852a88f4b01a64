"""Requests and limits of each pod of the Kubernetes export, sized from the plan.

Why sized: a scheduler places pods by their requests; a producer's CPU and memory grow with
its pairs and the strategy's candles (its startup count and informative timeframes), the
consumer's with every pair of the fleet. ``fleet.kubernetes.resources`` overrides any of
them per role.
"""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from typing import Any

from freqfleet.errors import ConfigError
from freqfleet.fleet.kubespec import QUANTITY, KubernetesSpec
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.strategy_discovery import StrategyInfo

# --- sizes -------------------------------------------------------------------------------

BASE_MEMORY_MIB = 400
"""freqtrade with ccxt, pandas and the API server loaded."""
FRAME_MIB = 4
"""One analysed frame of about 1000 candles and 200 columns, with the copies freqtrade keeps."""
PAIRS_PER_CORE = 60
"""A heavy strategy analyses about 50-75 pairs per core within a candle."""
CONSUMER_PAIRS_PER_CORE = 400
"""The consumer runs no analysis: merging frames and its loop are cheap."""
DYNAMIC_PAIRS = 100
"""Pairs assumed for a dynamic pairlist that does not say how many it keeps."""

_UNITS = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def quantity(text: str) -> Decimal:
    """A Kubernetes quantity ("500m", "2", "1.5Gi") as a number."""
    match = QUANTITY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    return Decimal(match.group(1)) * _UNITS[match.group(3) or ""]


def _cpu(cores: float) -> str:
    millis = max(50, math.ceil(cores * 20) * 50)  # whole 50m steps
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def _memory(mib: float) -> str:
    return f"{max(64, math.ceil(mib / 64) * 64)}Mi"


def _sized(cores: float, memory_mib: float) -> dict[str, dict[str, str]]:
    return {
        "requests": {"cpu": _cpu(cores), "memory": _memory(memory_mib)},
        "limits": {"cpu": _cpu(max(1.0, 2 * cores)), "memory": _memory(2 * memory_mib)},
    }


def _candle_factor(info: StrategyInfo) -> float:
    """Frames grow with the candles a strategy looks back beyond freqtrade's usual 1000."""
    return max(1.0, info.startup_candle_count / 1000)


def producer_resources(pairs: int, info: StrategyInfo) -> dict[str, dict[str, str]]:
    """Default requests/limits of a producer analysing ``pairs`` pairs with ``info``."""
    informative = len(info.informative_timeframes)
    cores = max(0.25, pairs * (1 + 0.25 * informative) / PAIRS_PER_CORE)
    frames = pairs * (1 + informative) * _candle_factor(info)
    return _sized(cores, BASE_MEMORY_MIB + frames * FRAME_MIB)


def consumer_resources(
    pairs: int, info: StrategyInfo, spec: FleetSpec
) -> dict[str, dict[str, str]]:
    """Default requests/limits of the consumer: every pair's producer frame and merged frame."""
    informative = len(info.informative_timeframes) if spec.informative_candles else 0
    cores = max(0.25, pairs / CONSUMER_PAIRS_PER_CORE)
    frames = pairs * (2 + informative) * _candle_factor(info)
    return _sized(cores, BASE_MEMORY_MIB + frames * FRAME_MIB)


def feed_resources() -> dict[str, dict[str, str]]:
    return {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }


def gateway_resources() -> dict[str, dict[str, str]]:
    """One asyncio process; its memory is the closed candles it keeps for the fleet."""
    return {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }


def resources(
    defaults: dict[str, dict[str, str]], kube: KubernetesSpec, role: str
) -> dict[str, dict[str, str]]:
    """The defaults with the user's ``fleet.kubernetes.resources.<role>`` over them.

    A request given without its limit raises the default limit to it (and a limit given
    without its request lowers the default request to it); given both, a request above its
    limit is an error Kubernetes would only report when the pod is created.
    """
    wanted = getattr(kube.resources, role)
    result = copy.deepcopy(defaults)
    for resource in ("cpu", "memory"):
        request = getattr(wanted.requests, resource)
        limit = getattr(wanted.limits, resource)
        if request is not None and limit is not None:
            if quantity(request) > quantity(limit):
                raise ConfigError(
                    f"fleet.kubernetes.resources.{role}.requests.{resource}: {request} is more "
                    f"than limits.{resource} {limit}; request at most the limit"
                )
            result["requests"][resource], result["limits"][resource] = request, limit
        elif request is not None:
            result["requests"][resource] = request
            if quantity(request) > quantity(result["limits"][resource]):
                result["limits"][resource] = request
        elif limit is not None:
            result["limits"][resource] = limit
            if quantity(result["requests"][resource]) > quantity(limit):
                result["requests"][resource] = limit
    return result


def dynamic_pairs(config: dict[str, Any]) -> int:
    for handler in config.get("pairlists") or []:
        number = handler.get("number_assets") if isinstance(handler, dict) else None
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            return number
    return DYNAMIC_PAIRS


__all__ = [
    "BASE_MEMORY_MIB",
    "CONSUMER_PAIRS_PER_CORE",
    "DYNAMIC_PAIRS",
    "FRAME_MIB",
    "PAIRS_PER_CORE",
    "consumer_resources",
    "dynamic_pairs",
    "feed_resources",
    "gateway_resources",
    "producer_resources",
    "quantity",
    "resources",
]
