"""A planned fleet whose bots are real local HTTP servers answering like freqtrade's REST
API, and whose consumer report (``fleet-state.json``) a test writes: the dashboard sees an
ordinary fleet, and a test changes it (a producer stops, a trade opens) in an instant."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from freqfleet.fleet.manifest import BotEntry, FleetManifest
from tests.kit.json_server import JsonServer, json_server

API = "/api/v1/"
VERSION = "2026.9"
CANDLE = 60


def bot_answers(role: str, pairs: list[str], trades: list[dict[str, Any]]) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "show_config": {"state": "running", "stake_currency": "USDT", "dry_run": True},
        "version": {"version": VERSION},
        "whitelist": {"whitelist": pairs},
        "count": {"current": len(trades), "max": 3, "total_stake": 10.0 * len(trades)},
        "pair_candles": {"columns": ["date"], "data": []},
    }
    if role == "consumer":
        answers |= {
            "balance": {"currencies": [{"currency": "USDT", "free": 270.0, "balance": 300.0}]},
            "status": trades,
            "profit": {"profit_closed_coin": 1.25, "profit_all_coin": 1.5, "closed_trade_count": 2},
        }
    return {API + path: answer for path, answer in answers.items()}


def trade(trade_id: int, pair: str) -> dict[str, Any]:
    return {
        "trade_id": trade_id,
        "pair": pair,
        "open_date": "2026-12-06 23:00:00",
        "stake_amount": 10.0,
        "profit_pct": 0.5,
        "profit_abs": 0.05,
    }


def newest_closed(now: float | None = None) -> datetime:
    now = time.time() if now is None else now
    return datetime.fromtimestamp((int(now) // CANDLE - 1) * CANDLE, UTC)


@dataclass
class FakeFleet:
    plan_dir: Path
    manifest: FleetManifest
    servers: dict[str, JsonServer]
    shares: dict[str, list[str]]
    stops: dict[str, contextlib.ExitStack] = field(default_factory=dict)

    @property
    def consumer(self) -> BotEntry:
        return self.manifest.consumer

    def stop(self, name: str) -> None:
        """The bot stops answering (its server closes)."""
        self.stops.pop(name).close()

    def open_trades(self, trades: list[dict[str, Any]]) -> None:
        answers = bot_answers("consumer", [], trades)
        self.servers["consumer"].answers.update(
            {path: (200, json.dumps(answer).encode()) for path, answer in answers.items()}
        )

    def write_report(self, **changes: Any) -> None:
        """The consumer's report: every pair fresh on the newest closed candle."""
        newest = newest_closed()
        analyzed = datetime.fromtimestamp(newest.timestamp() + CANDLE + 2.5, UTC)
        pairs = {
            pair: {
                "producer": name,
                "newest_candle": newest.isoformat(),
                "analyzed": analyzed.isoformat(),
                "lag": 0,
                "fresh_producers": 1,
                "planned_producers": 1,
            }
            for name, share in self.shares.items()
            for pair in share
        }
        report = {
            "role": "consumer",
            "updated": datetime.now(UTC).isoformat(),
            "timeframe": "1m",
            "max_signal_age": 1,
            "producers": {
                name: {
                    "pairs": len(share),
                    "newest_candle": newest.isoformat(),
                    "analysis_secs": 2.5,
                    "rejected": {"duplicate": 3} if name == "producer-2" else {},
                }
                for name, share in self.shares.items()
            },
            "pairs": pairs,
            "follow": {"followed_exits": 1},
            **changes,
        }
        path = self.plan_dir / "user_data" / "fleet-state.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(report))


@contextlib.contextmanager
def fake_fleet(plan_dir: Path, pairs_per_producer: int = 3) -> Iterator[FakeFleet]:
    """Two producers and a consumer answering on local ports, a manifest and a report."""
    plan_dir.mkdir(parents=True, exist_ok=True)
    shares = {
        f"producer-{n}": [f"P{n}X{i}/USDT" for i in range(pairs_per_producer)] for n in (1, 2)
    }
    with contextlib.ExitStack() as stack:
        servers: dict[str, JsonServer] = {}
        stops: dict[str, contextlib.ExitStack] = {}
        bots = []
        for name in [*shares, "consumer"]:
            role = "consumer" if name == "consumer" else "producer"
            own = stack.enter_context(contextlib.ExitStack())
            url, server = own.enter_context(
                json_server(bot_answers(role, shares.get(name, []), []))
            )
            servers[name], stops[name] = server, own
            bots.append(
                BotEntry(
                    name=name,
                    role=role,
                    config_files=[f"{name}.json"],
                    api_port=int(url.rsplit(":", 1)[1]),
                    username="fleet",
                    password=f"secret-password-{name}",
                    pairs=shares.get(name, []),
                )
            )
        manifest = FleetManifest(strategy="FleetSampleStrategy", timeframe="1m", bots=bots)
        manifest.save(plan_dir)
        fleet = FakeFleet(plan_dir, manifest, servers, shares, stops)
        fleet.write_report()
        yield fleet
