"""How the consumer reaches each producer: the same ports, tokens and logins whatever host
each producer is reached at."""

from __future__ import annotations

from freqfleet.fleet.links import producer_links
from freqfleet.fleet.model import FleetSpec
from freqfleet.fleet.secrets import bot_secrets
from freqfleet.section import ProducerApi


def test_links_carry_each_producers_host_port_token_and_login() -> None:
    spec = FleetSpec.model_validate(
        {"producers": [{"name": "eu", "host": "10.0.0.5", "port": 9001}, {"name": "local"}]}
    )
    secrets = bot_secrets(["eu", "local"], {}, rotate=False)
    producers, api = producer_links(spec, secrets)
    assert producers == [
        {
            "name": "eu",
            "host": "10.0.0.5",
            "port": 9001,
            "secure": False,
            "ws_token": secrets["eu"]["ws_token"],
        },
        {
            "name": "local",
            "host": "127.0.0.1",
            "port": spec.producer_port(1),
            "secure": False,
            "ws_token": secrets["local"]["ws_token"],
        },
    ]
    assert api["eu"] == {
        "url": "http://10.0.0.5:9001",
        "username": spec.api_username,
        "password": secrets["eu"]["password"],
    }
    # What the consumer reads back: the section's own model.
    assert (
        ProducerApi.model_validate(api["local"]).url == f"http://127.0.0.1:{spec.producer_port(1)}"
    )


def test_another_host_per_producer_keeps_everything_else() -> None:
    spec = FleetSpec.model_validate({"producers": 2})
    secrets = bot_secrets(spec.producer_names, {}, rotate=False)
    plain, plain_api = producer_links(spec, secrets)
    services, services_api = producer_links(spec, secrets, lambda index: f"producer-{index + 1}")
    assert [p["host"] for p in services] == ["producer-1", "producer-2"]
    for own, other in zip(plain, services, strict=True):
        assert {**own, "host": other["host"]} == other
    assert services_api["producer-2"]["url"] == f"http://producer-2:{spec.producer_port(1)}"
    assert services_api["producer-2"]["password"] == plain_api["producer-2"]["password"]


def test_secure_links_use_https_and_wss() -> None:
    spec = FleetSpec.model_validate({"producers": 1})
    secrets = bot_secrets(spec.producer_names, {}, rotate=False)
    producers, api = producer_links(spec, secrets, secure=True)
    assert producers[0]["secure"] is True
    assert api["producer-1"]["url"].startswith("https://")
