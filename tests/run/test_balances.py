"""The consumer's wallet in ``freqfleet status``: per asset the exchange's free, locked and
total and the bot's view, marked LIVE or dry-run; read from a fake consumer that answers
freqtrade's ``/api/v1/balance`` (shapes checked against freqtrade's own API schema)."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from freqtrade.enums import RunMode, State
from freqtrade.rpc.api_server.api_schemas import Balances, Count, ShowConfig
from freqtrade.rpc.api_server.api_v1 import API_VERSION
from freqtrade.rpc.rpc import RPC
from pydantic import BaseModel
from rich.console import Console

from freqfleet.cli import main
from freqfleet.fleet.manifest import FleetManifest
from freqfleet.run.balances import (
    DRY_RUN,
    LIVE,
    amount_text,
    render_wallet,
    wallet_view,
)
from freqfleet.run.control import stop_fleet
from freqfleet.run.status import collect_status
from freqfleet.run.status_table import render_status
from tests.run.fake_fleet import start_fake_supervisor, write_fake_plan


def currency(name: str, free: float, used: float, est: float, **bot: Any) -> dict[str, Any]:
    return {
        "currency": name,
        "free": free,
        "balance": free + used,
        "used": used,
        "bot_owned": bot.get("owned", 0.0),
        "est_stake": est,
        "est_stake_bot": bot.get("est_bot", 0.0),
        "stake": "USDT",
        "side": "long",
        "position": 0,
        "is_bot_managed": bot.get("managed", False),
        "is_position": False,
    }


def answer_of(schema: type[BaseModel], value: dict[str, Any]) -> dict[str, Any]:
    """What freqtrade's API server sends for ``value`` (its response model's JSON)."""
    return schema.model_validate(value).model_dump(mode="json")


LIVE_BALANCE = answer_of(
    Balances,
    {
        "currencies": [
            currency("USDT", 9402.5, 500.0, 9902.5, owned=9308.47, est_bot=9308.47, managed=True),
            currency("BTC", 0.0015, 0.0, 97.5, owned=0.0015, est_bot=97.5, managed=True),
            currency("BNB", 0.25, 0.0, 150.0),
        ],
        "total": 10150.0,
        "total_bot": 9405.97,
        "symbol": "",
        "value": 0.0,
        "value_bot": 0.0,
        "stake": "USDT",
        "note": "",
        "starting_capital": 10000.0,
        "starting_capital_ratio": -0.0594,
        "starting_capital_pct": -5.94,
        "starting_capital_fiat": 0.0,
        "starting_capital_fiat_ratio": 0.0,
        "starting_capital_fiat_pct": 0.0,
        "trade_count": 1,
    },
)


SHOW_CONFIG = answer_of(
    ShowConfig,
    {
        **RPC._rpc_show_config(
            {
                "dry_run": False,
                "runmode": RunMode.LIVE,
                "stake_currency": "USDT",
                "stake_amount": "unlimited",
                "max_open_trades": 3,
                "timeframe": "1m",
                "exchange": {"name": "binance"},
                "strategy": "FleetSampleStrategy",
                "entry_pricing": {},
                "exit_pricing": {},
            },
            State.RUNNING,
        ),
        "api_version": API_VERSION,
    },
)
COUNT = answer_of(Count, {"current": 1, "max": 3, "total_stake": 97.5})


def text_of(renderable: Any) -> str:
    """The rendered text, table borders and runs of blanks made one space."""
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(renderable)
    return " ".join(re.sub("[\u2500-\u257f]", " ", console.export_text()).split())


def test_a_live_wallet_shows_the_exchanges_figures_and_the_bots_view() -> None:
    wallet = wallet_view(SHOW_CONFIG, LIVE_BALANCE)
    assert wallet.mode == LIVE and wallet.exchange == "binance"
    usdt, btc, bnb = wallet.assets
    assert (usdt.free, usdt.locked, usdt.total, usdt.est_stake) == (9402.5, 500.0, 9902.5, 9902.5)
    assert btc.bot_managed and not bnb.bot_managed
    text = text_of(render_wallet(wallet))
    assert "consumer wallet: LIVE on binance (the exchange's balances)" in text
    assert "USDT 9,402.5 500 9,902.5 9,902.5 9,308.47" in text
    assert "BTC 0.0015 0 0.0015 97.5 0.0015" in text
    assert "BNB 0.25 0 0.25 150 -" in text  # not the bot's: no bot view
    assert (
        "the bot's view: starting capital 10,000 USDT, its trades and stake now worth "
        "9,405.97 USDT (all assets: 10,150 USDT)"
    ) in text


def test_a_dry_run_wallet_says_so_and_missing_keys_are_dashes() -> None:
    config = {**SHOW_CONFIG, "dry_run": True}
    balance = copy.deepcopy(LIVE_BALANCE)
    balance["note"] = "Simulated balances"
    wallet = wallet_view(config, balance)
    assert wallet.mode == DRY_RUN
    assert "consumer wallet: dry-run on binance (freqtrade's simulated balances)" in text_of(
        render_wallet(wallet)
    )
    # Without show_config's dry_run, freqtrade's note tells; unknown keys are left out.
    assert wallet_view({}, balance).mode == DRY_RUN
    assert wallet_view({}, {"note": ""}).mode == LIVE
    bare = wallet_view({}, {"currencies": [{"currency": "ETH", "free": "x"}, "junk"]})
    (eth,) = bare.assets
    assert eth.free is None and eth.total is None
    assert "ETH - - - - -" in text_of(render_wallet(bare))
    assert "none - - - - -" in text_of(render_wallet(wallet_view({}, {})))


@pytest.mark.parametrize(
    "value, text",
    [
        (10000.0, "10,000"),
        (1e-8, "0.00000001"),
        (0.1, "0.1"),
        (None, "-"),
        (123456.789, "123,456.789"),
    ],
)
def test_amounts_read_as_reported(value: float | None, text: str) -> None:
    assert amount_text(value) == text


@pytest.fixture
def fake_consumer(tmp_path: Path):
    """A fake fleet whose consumer answers /show_config, /count, /version and /balance."""
    plan_dir = tmp_path / "fleet"
    answers = tmp_path / "consumer-answers.json"
    answers.write_text(
        json.dumps(
            {
                "show_config": SHOW_CONFIG,
                "count": COUNT,
                "version": {"version": "2026.9"},
                "balance": LIVE_BALANCE,
            }
        )
    )
    manifest = write_fake_plan(
        plan_dir, producers=1, options={"consumer": ["--answers", str(answers)]}
    )
    process = start_fake_supervisor(plan_dir, tmp_path / "events.jsonl")
    try:
        yield plan_dir, manifest
    finally:
        stop_fleet(plan_dir, timeout=20)
        process.wait(10)


def test_status_shows_the_consumers_wallet(
    fake_consumer: tuple[Path, FleetManifest], capsys: pytest.CaptureFixture[str]
) -> None:
    plan_dir, manifest = fake_consumer
    status = collect_status(plan_dir, manifest, timeout=5)
    consumer = status.bots[-1]
    assert consumer.state == "running"
    assert consumer.stake_available == 9402.5
    assert consumer.wallet == wallet_view(SHOW_CONFIG, LIVE_BALANCE)
    assert status.bots[0].wallet is None  # a producer has no wallet to show
    text = text_of(render_status(status))
    assert "consumer wallet: LIVE on binance" in text
    assert "USDT 9,402.5 500 9,902.5 9,902.5 9,308.47" in text

    main(["status", str(plan_dir), "--json"])
    report = json.loads(capsys.readouterr().out)
    wallet = report["bots"][-1]["wallet"]
    assert wallet["mode"] == "LIVE"
    assert [(a["currency"], a["free"], a["locked"], a["total"]) for a in wallet["assets"]] == [
        (c["currency"], c["free"], c["used"], c["balance"]) for c in LIVE_BALANCE["currencies"]
    ]
