"""The dashboard's server, as ``freqfleet dashboard DIR`` runs it: the consumer's login on
every route but ``/healthz``, plotly.js from the installed package, a snapshot per event,
``/metrics``; the password never in its output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from freqfleet.dashboard.app import plotly_js
from tests.dashboard.fake_fleet import FakeFleet, fake_fleet
from tests.dashboard.server import running_dashboard


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[FakeFleet, str, Path]]:
    with (
        fake_fleet(tmp_path_factory.mktemp("app") / "fleet") as fleet,
        running_dashboard(fleet.plan_dir) as (url, log),
    ):
        yield fleet, url, log


def login(fleet: FakeFleet) -> tuple[str, str]:
    return fleet.consumer.username, fleet.consumer.password


def test_every_route_but_health_asks_for_the_consumers_login(served) -> None:
    fleet, url, _ = served
    assert httpx.get(f"{url}healthz").status_code == 200
    for path in ("", "plotly.min.js", "snapshot", "events", "metrics"):
        refused = httpx.get(f"{url}{path}")
        assert refused.status_code == 401, path
        assert refused.headers["www-authenticate"].startswith("Basic")
        wrong = httpx.get(f"{url}{path}", auth=(fleet.consumer.username, "guess"))
        assert wrong.status_code == 401, path
    producer = fleet.manifest.producers[0]
    assert httpx.get(url, auth=(producer.username, producer.password)).status_code == 401
    assert httpx.get(url, auth=login(fleet)).status_code == 200


def test_page_loads_plotly_from_the_dashboard_itself(served) -> None:
    fleet, url, _ = served
    page = httpx.get(url, auth=login(fleet)).text
    assert '<script src="plotly.min.js">' in page and "http" not in page.split("<body>")[0]
    plain = httpx.get(f"{url}plotly.min.js", auth=login(fleet), headers={"Accept-Encoding": ""})
    assert plain.content == plotly_js()
    zipped = httpx.get(f"{url}plotly.min.js", auth=login(fleet))
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plotly_js()) / 2
    assert zipped.content == plotly_js()  # httpx undid the gzip


def test_events_carry_snapshots(served) -> None:
    fleet, url, _ = served
    snapshots = []
    with httpx.stream("GET", f"{url}events", auth=login(fleet), timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                snapshots.append(json.loads(line.removeprefix("data: ")))
                if len(snapshots) == 2:
                    break
    assert snapshots[0]["taken"] < snapshots[1]["taken"]  # each snapshot once, newer ones
    names = [node["name"] for node in snapshots[-1]["nodes"]]
    assert names == ["producer-1", "producer-2", "consumer"]
    assert {pair["pair"] for pair in snapshots[-1]["pairs"]} == {
        pair for share in fleet.shares.values() for pair in share
    }


def test_metrics_and_no_password_in_the_output(served) -> None:
    fleet, url, log = served
    answer = httpx.get(f"{url}metrics", auth=login(fleet))
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert {"freqfleet_bot_up", "freqfleet_pair_lag_candles", "freqfleet_open_trades"} <= names
    output = log.read_text()
    assert "Dashboard of" in output
    for bot in fleet.manifest.bots:
        assert bot.password not in output
