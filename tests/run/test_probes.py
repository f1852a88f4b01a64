"""The supervisor's readiness probes against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

from freqfleet.run.probes import answers, whitelist_size
from tests.kit.json_server import json_server
from tests.kit.ports import free_port

AUTH = ("bot", "password")


def test_a_ping_answering_200_is_ready_and_anything_else_is_not() -> None:
    with json_server({"/api/v1/ping": {"status": "pong"}}) as (url, _):
        assert answers(f"{url}/api/v1/ping", timeout=1)
        assert not answers(f"{url}/api/v1/other", timeout=1)  # 404
    assert not answers(f"http://127.0.0.1:{free_port()}/api/v1/ping", timeout=1)


def test_the_whitelist_size_is_its_length_or_none_when_there_is_no_list() -> None:
    answers_by_path = {
        "/three": {"whitelist": ["ETH/BTC", "LTC/BTC", "ADA/BTC"], "length": 3},
        "/empty": {"whitelist": [], "length": 0},
        "/no-list": {"whitelist": "ETH/BTC"},
        "/not-json": b"<html>starting</html>",
        "/not-an-object": [1, 2],
    }
    with json_server(answers_by_path) as (url, _):
        assert whitelist_size(f"{url}/three", AUTH, timeout=1) == 3
        assert whitelist_size(f"{url}/empty", AUTH, timeout=1) == 0
        assert whitelist_size(f"{url}/no-list", AUTH, timeout=1) is None
        assert whitelist_size(f"{url}/not-json", AUTH, timeout=1) is None
        assert whitelist_size(f"{url}/not-an-object", AUTH, timeout=1) is None
        assert whitelist_size(f"{url}/missing", AUTH, timeout=1) is None  # 404
    assert whitelist_size(f"http://127.0.0.1:{free_port()}/w", AUTH, timeout=1) is None
