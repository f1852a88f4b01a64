"""Unmodified freqtrade against the simulator: download-data, backtesting, dry-run trading."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from freqtrade_client import FtRestClient

from freqfleet.sim.launcher import RunningSimulator, running_simulator
from tests.kit.ports import free_port
from tests.kit.waiting import wait_until

FREQTRADE = [sys.executable, "-m", "freqtrade"]
TEMPLATES = Path(importlib.util.find_spec("freqtrade").origin).parent / "templates"


def strategy_setup(user_data: Path) -> tuple[str, list[str]]:
    """freqfleet's sample strategy when it is there, else freqtrade's own sample."""
    samples = importlib.util.find_spec("freqfleet.strategy.samples")
    if samples is not None and samples.origin:
        return "FleetSampleStrategy", ["--strategy-path", str(Path(samples.origin).parent)]
    strategies = user_data / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEMPLATES / "sample_strategy.py", strategies / "sample_strategy.py")
    return "SampleStrategy", []


def bot_config(sim: RunningSimulator, tmp_path: Path, pairs: list[str], **extra: Any) -> Path:
    user_data = tmp_path / "user_data"
    user_data.mkdir(exist_ok=True)
    config = {
        "dry_run": True,
        "dry_run_wallet": 100_000,
        "stake_currency": "USDT",
        "stake_amount": 20,
        "max_open_trades": len(pairs),
        "timeframe": "1m",
        "trading_mode": "spot",
        "exchange": sim.exchange_config(pairs),
        "pairlists": [{"method": "StaticPairList"}],
        "entry_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "other", "use_order_book": True, "order_book_top": 1},
        "user_data_dir": str(user_data),
        "db_url": f"sqlite:///{tmp_path / 'trades.sqlite'}",
        "initial_state": "running",
        "internals": {"process_throttle_secs": 2},
        "bot_name": "sim-test",
        **extra,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def run_freqtrade(*arguments: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*FREQTRADE, *arguments], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_download_data_then_backtesting_on_it(tmp_path: Path) -> None:
    pairs = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    with running_simulator(pairs=10, seed=2) as sim:
        config = bot_config(sim, tmp_path, pairs)
        run_freqtrade(
            "download-data", "-c", str(config), "--days", "2", "-t", "1m", "5m", cwd=tmp_path
        )
        counts = sim.request_counts()
        assert counts["/api/v3/klines"] >= 2 * len(pairs) * 2  # paged: 2 days of 1m > 1000
        assert sim.stats()["not_simulated"] == {} and sim.stats()["errors"] == {}
        files = sorted(p.name for p in (tmp_path / "user_data" / "data" / "binance").iterdir())
        expected = sorted(
            f"{p.replace('/', '_')}-{tf}.feather" for p in pairs for tf in ("1m", "5m")
        )
        assert files == expected
        # Backtesting loads markets from the exchange, candles from the downloaded files.
        strategy, strategy_args = strategy_setup(tmp_path / "user_data")
        result = run_freqtrade(
            "backtesting",
            "-c",
            str(config),
            "--strategy",
            strategy,
            *strategy_args,
            "--timeframe",
            "5m",
            "--timerange",
            time.strftime("%Y%m%d-", time.gmtime(time.time() - 86_400)),
            "--export",
            "none",
            cwd=tmp_path,
        )
        assert sim.request_counts()["/api/v3/klines"] == counts["/api/v3/klines"]
        # Market listings and a volume-ranked pairlist read exchangeInfo and the tickers.
        listing = run_freqtrade("list-markets", "-c", str(config), "--print-csv", cwd=tmp_path)
        listed = [line.split(",")[1] for line in listing.stdout.strip().splitlines()[1:]]
        assert sorted(listed) == sorted(sim.pairs)
        volume_config = bot_config(
            sim,
            tmp_path,
            pairs,
            pairlists=[{"method": "VolumePairList", "number_assets": 4, "sort_key": "quoteVolume"}],
        )
        ranked = run_freqtrade(
            "test-pairlist", "-c", str(volume_config), "--print-json", cwd=tmp_path
        )
        assert len(json.loads(ranked.stdout.strip().splitlines()[-1])) == 4
        assert sim.request_counts()["/api/v3/ticker/24hr"] >= 2
        assert sim.stats()["not_simulated"] == {} and sim.stats()["errors"] == {}
    output = result.stdout + result.stderr
    assert "BACKTESTING REPORT" in output
    for pair in pairs:
        assert pair in output


def filled_entries(database: Path) -> int:
    """Trades whose entry order the dry-run exchange has filled (at simulator prices)."""
    if not database.exists():
        return 0
    query = (
        "SELECT count(*) FROM trades JOIN orders ON orders.ft_trade_id = trades.id "
        "WHERE orders.ft_order_side = 'buy' AND orders.status = 'closed' AND trades.open_rate > 0"
    )
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute(query).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_dry_run_bot_opens_trades_on_the_simulator(tmp_path: Path) -> None:
    """A real ``freqtrade trade`` bot: markets, candles, pricing and dry-run fills."""
    with running_simulator(pairs=80, seed=3) as sim:
        config = bot_config(sim, tmp_path, sim.pairs)
        strategy, strategy_args = strategy_setup(tmp_path / "user_data")
        log = tmp_path / "freqtrade.log"
        command = [*FREQTRADE, "trade", "-c", str(config), "--strategy", strategy, *strategy_args]
        with open(log, "w") as output:
            bot = subprocess.Popen(command, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        database = tmp_path / "trades.sqlite"
        try:
            deadline = time.monotonic() + 330
            while (
                time.monotonic() < deadline and bot.poll() is None and filled_entries(database) == 0
            ):
                time.sleep(2)
            trades = filled_entries(database)
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        text = log.read_text()
        assert trades >= 1, text[-3000:]
        stats = sim.stats()
        assert stats["not_simulated"] == {}, stats
        assert stats["errors"] == {}, stats
        assert stats["requests"]["/api/v3/klines"] >= len(sim.pairs)
        assert stats["requests"]["/api/v3/exchangeInfo"] >= 1
        assert "Traceback" not in text


API_LOGIN = ("ws-test", "ws-test-password-0123456789")


def newest_candle(client: FtRestClient, pair: str) -> list[float] | None:
    """The bot's newest analysed candle: [open ms, open, high, low, close, volume]."""
    answer = client.pair_candles(pair, "1m", limit=2)
    if not isinstance(answer, dict) or not answer.get("data"):
        return None
    row = dict(zip(answer["columns"], answer["data"][-1], strict=True))
    return [row["__date_ts"], *(row[k] for k in ("open", "high", "low", "close", "volume"))]


def rest_candle(sim: RunningSimulator, pair: str, open_ms: int) -> list[float]:
    params = {"symbol": pair.replace("/", ""), "interval": "1m", "startTime": open_ms, "limit": 1}
    row = httpx.get(f"{sim.url}/api/v3/klines", params=params, timeout=10).json()[0]
    return [row[0], *(float(value) for value in row[1:6])]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_bot_takes_each_closed_candle_from_the_kline_stream(tmp_path: Path) -> None:
    """``enable_ws`` on the simulator, as on Binance: REST candles at start-up, then each
    closed candle from the stream, the same candle REST serves, with no kline request."""
    pairs = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    port = free_port()
    with running_simulator(pairs=6, seed=8) as sim:
        config = bot_config(
            sim,
            tmp_path,
            pairs,
            exchange=sim.exchange_config(pairs, bot="ws-bot"),
            api_server={
                "enabled": True,
                "listen_ip_address": "127.0.0.1",
                "listen_port": port,
                "username": API_LOGIN[0],
                "password": API_LOGIN[1],
                "jwt_secret_key": "ws-test-jwt-secret-0123456789-0123456789",
                "CORS_origins": [],
            },
        )
        strategy, strategy_args = strategy_setup(tmp_path / "user_data")
        log = tmp_path / "freqtrade.log"
        command = [*FREQTRADE, "trade", "-c", str(config), "--strategy", strategy, *strategy_args]
        with open(log, "w") as output:
            bot = subprocess.Popen(command, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        client = FtRestClient(f"http://127.0.0.1:{port}", *API_LOGIN, timeout=10)

        def kline_requests() -> int:
            return sim.bot_stats().get("ws-bot", {}).get("requests", {}).get("/api/v3/klines", 0)

        try:
            # Start-up: every pair's candles over REST, then the stream subscriptions.
            assert wait_until(lambda: all(newest_candle(client, p) for p in pairs), 150, 1), (
                log.read_text()[-3000:]
            )
            assert kline_requests() >= len(pairs)
            close = (int(time.time() + 10) // 60 + 1) * 60  # a close the streams are ready for
            time.sleep(max(0.0, close - 4 - time.time()))
            before = kline_requests()
            seen = len(log.read_text())
            closed_ms = (close - 60) * 1000
            assert wait_until(
                lambda: all((newest_candle(client, p) or [0])[0] == closed_ms for p in pairs),
                40,
                0.5,
            ), log.read_text()[-3000:]
            after = kline_requests()
            candles = {pair: newest_candle(client, pair) for pair in pairs}
            streams = sim.stats()["streams"]
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        for pair in pairs:
            assert candles[pair] == rest_candle(sim, pair, closed_ms), pair
        text = log.read_text()
    assert after == before, "the close was fetched over REST, not taken from the stream"
    assert "Couldn't reuse watch" not in text[seen:], text[seen:][-3000:]
    assert streams["bots"]["ws-bot"]["subscriptions"] >= len(pairs)
    assert streams["errors"] == {} and streams["refused"] == {}
    assert "Traceback" not in text
