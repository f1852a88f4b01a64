"""How the consumer reaches each producer: websocket and REST, for every way a plan runs.

Why one function: the plan, its docker-compose override and its Kubernetes export each
write the consumer's producer list with another host per producer; the rest (ports,
tokens, credentials, scheme) must be the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from freqfleet.fleet.model import FleetSpec
from freqfleet.section import ProducerApi


def producer_links(
    spec: FleetSpec,
    producer_secrets: dict[str, dict[str, str]],
    host_of: Callable[[int], str] | None = None,
    *,
    secure: bool | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """How the consumer reaches each producer, for every way a plan runs.

    Returns the consumer's ``external_message_consumer.producers`` (websocket: name, host,
    port, ``secure``, ``ws_token``) and ``fleet.producer_api`` (REST: url, username,
    password). ``host_of(index)`` is the address the consumer uses for the ``index``-th
    producer: its ``host`` for the plan itself (the default), the service name inside
    docker-compose, the cluster DNS name on Kubernetes. ``secure`` defaults to
    ``fleet.secure``.
    """
    secure = spec.secure if secure is None else secure
    scheme = "https" if secure else "http"
    producers: list[dict[str, Any]] = []
    producer_api: dict[str, dict[str, str]] = {}
    for index, producer in enumerate(spec.producer_specs):
        host = host_of(index) if host_of is not None else spec.producer_host(index)
        port = spec.producer_port(index)
        producers.append(
            {
                "name": producer.name,
                "host": host,
                "port": port,
                "secure": secure,
                "ws_token": producer_secrets[producer.name]["ws_token"],
            }
        )
        producer_api[producer.name] = ProducerApi(
            url=f"{scheme}://{host}:{port}",
            username=spec.api_username,
            password=producer_secrets[producer.name]["password"],
        ).model_dump()
    return producers, producer_api


__all__ = ["producer_links"]
