"""Backtest a fleet: one shared wallet against K split wallets, on the same data.

Why in-process through freqtrade's own ``Backtesting``: the trade simulation must be
freqtrade's, not ours, and candles and indicators are loaded and computed once and reused
by every run (the fleet run, the K split runs and the optional delayed run). Each run gets
its own ``Backtesting`` object (its own wallet and slot count) sharing one exchange object,
so markets are loaded once too.

- fleet run: every pair, the consumer's wallet (``max_open_trades``, ``stake_amount``,
  ``dry_run_wallet`` as configured): what the consumer does in signal mode.
- split runs: the same partition ``freqfleet plan`` makes; each producer's share with 1/K
  of the wallet and of ``max_open_trades`` (and of a fixed ``stake_amount``'s wallet).
- delayed run: the fleet run with every entry one candle later (producer analysis and
  websocket delay).

On futures (``trading_mode: futures``) every run books funding fees from the rates the
first load read (``futures/<pair>-1h-funding_rate`` and ``-mark``), and trades short too.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.configuration import Configuration, TimeRange
from freqtrade.configuration.directory_operations import create_userdata_dir
from freqtrade.data.converter import trim_dataframes
from freqtrade.data.history import get_timerange
from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.optimize.backtesting import Backtesting

from freqfleet.backtest.metrics import RunFigures, equity_curve, run_figures, utilisation_series
from freqfleet.compat import (
    Feature,
    counting_stake_refusals,
    entries_one_candle_late,
    funding_data,
    prepare_run,
    require,
    use_first_strategy,
)
from freqfleet.datasets import dataset_dir
from freqfleet.errors import ConfigError, RuntimeFleetError
from freqfleet.fleet import load_fleet_config, partition, resolve_strategy, sample_stub

logger = logging.getLogger(__name__)

BUNDLED_DATA = dataset_dir()


@dataclass
class RunResult:
    """One backtest run: freqtrade's trade list plus the counters freqfleet reports."""

    name: str
    pairs: list[str]
    wallet: float
    max_open_trades: int
    trades: pd.DataFrame
    rejected_no_slot: int
    rejected_no_stake: int

    @property
    def lost_entries(self) -> int:
        return self.rejected_no_slot + self.rejected_no_stake


@dataclass
class FleetComparison:
    """Everything the report shows."""

    strategy: str
    timeframe: str
    start: pd.Timestamp
    end: pd.Timestamp
    fleet: RunResult
    splits: list[RunResult]
    delayed: RunResult | None = None
    figures: list[RunFigures] = field(default_factory=list)

    @property
    def split_trades(self) -> pd.DataFrame:
        frames = [run.trades for run in self.splits if len(run.trades)]
        if not frames:
            return self.fleet.trades.iloc[0:0]
        return pd.concat(frames, ignore_index=True).sort_values("open_date", ignore_index=True)

    @property
    def split_wallet(self) -> float:
        return sum(run.wallet for run in self.splits)

    def equity_curves(self) -> dict[str, pd.Series]:
        curves = {
            "fleet (one wallet)": equity_curve(self.fleet.trades, self.fleet.wallet, self.start),
            f"split ({len(self.splits)} wallets)": equity_curve(
                self.split_trades, self.split_wallet, self.start
            ),
        }
        if self.delayed is not None:
            curves["fleet, entries 1 candle late"] = equity_curve(
                self.delayed.trades, self.delayed.wallet, self.start
            )
        return curves

    def utilisation_curves(self) -> dict[str, pd.Series]:
        curves = {
            "fleet (one wallet)": utilisation_series(
                self.fleet.trades, self.fleet.wallet, self.start, self.end
            ),
            f"split ({len(self.splits)} wallets)": utilisation_series(
                self.split_trades, self.split_wallet, self.start, self.end
            ),
        }
        return curves


@dataclass(frozen=True)
class BacktestRequest:
    """What `freqfleet backtest` was asked to do."""

    config_path: Path
    datadir: Path | None = None
    timerange: str | None = None
    delayed: bool = False
    userdir: Path | None = None


def _wallet(config: dict[str, Any]) -> float:
    return float(config.get("dry_run_wallet", 1000))


def split_settings(config: dict[str, Any], producers: int) -> dict[str, Any]:
    """One producer's share of the wallet and of the slots (at least one slot)."""
    max_trades = int(config["max_open_trades"])
    share = {
        "dry_run_wallet": _wallet(config) / producers,
        "max_open_trades": max_trades
        if max_trades < 0
        else max(1, math.floor(max_trades / producers)),
    }
    return share


class FleetBacktester:
    """Loads the config, the data and the indicators once, then runs each wallet set-up."""

    def __init__(
        self,
        request: BacktestRequest,
        *,
        exchange_override: dict[str, Any] | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        self.request = request
        self._progress = on_progress or (lambda message: logger.info(message))
        require(Feature.BACKTEST, error=RuntimeFleetError)
        user_config, spec = load_fleet_config(request.config_path)
        self.producer_names = list(spec.producer_names)
        self._stub_dir = tempfile.TemporaryDirectory(prefix="freqfleet-backtest-")
        self.config = self._freqtrade_config(user_config, exchange_override)
        self._exchange = None
        self._analysed: dict[str, pd.DataFrame] = {}
        self._funding: Any = None

    def close(self) -> None:
        # Backtesting switches freqtrade's database use off process-wide; switch it back
        # so that bots or tests later in this process see a normal freqtrade.
        Backtesting.cleanup()
        self._stub_dir.cleanup()

    def __enter__(self) -> FleetBacktester:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- set-up ------------------------------------------------------------------------
    def _freqtrade_config(
        self, user_config: dict[str, Any], exchange_override: dict[str, Any] | None
    ) -> dict[str, Any]:
        request = self.request
        args: dict[str, Any] = {"config": [str(request.config_path)], "export": "none"}
        datadir = request.datadir or BUNDLED_DATA
        if not Path(datadir).is_dir():
            raise ConfigError(f"--datadir {datadir}: no such folder; give a freqtrade data folder")
        args["datadir"] = str(datadir)
        if request.userdir:
            args["user_data_dir"] = str(request.userdir)
        elif not user_config.get("user_data_dir") and not Path("user_data").is_dir():
            # No user_data/ here (e.g. the bundled example): freqtrade needs one to exist.
            userdir = create_userdata_dir(str(Path(self._stub_dir.name) / "user_data"), True)
            args["user_data_dir"] = str(userdir)
        if request.timerange:
            try:
                TimeRange.parse_timerange(request.timerange)
            except OperationalException:
                raise ConfigError(
                    f"--timerange {request.timerange}: not a freqtrade timerange; "
                    "write it as YYYYMMDD-YYYYMMDD, e.g. 20180115-20180125"
                ) from None
            args["timerange"] = request.timerange
        info = resolve_strategy(user_config, request.config_path.parent, request.userdir)
        if info.source is None:  # a freqfleet sample: freqtrade loads it through a stub
            stub = Path(self._stub_dir.name) / f"{info.name}.py"
            stub.write_text(sample_stub(info.name), encoding="utf-8")
            args["strategy_path"] = self._stub_dir.name
        try:
            config = Configuration(args, RunMode.BACKTEST).get_config()
        except OperationalException as error:
            raise ConfigError(f"{request.config_path}: {error}") from None
        if exchange_override:
            config["exchange"].update(copy.deepcopy(exchange_override))
        config.pop("fleet", None)
        return config

    def _backtesting(self, changes: dict[str, Any], pairs: list[str]) -> Backtesting:
        config = copy.deepcopy(self.config)
        config.update(changes)
        config["exchange"]["pair_whitelist"] = list(pairs)
        config["pairlists"] = [{"method": "StaticPairList"}]
        try:
            backtesting = Backtesting(config, self._exchange)
        except OperationalException as error:
            raise ConfigError(f"{self.request.config_path}: {error}") from None
        self._exchange = backtesting.exchange
        use_first_strategy(backtesting)
        return backtesting

    def _load(self) -> tuple[Backtesting, list[str]]:
        """Load candles once for every pair of the fleet and compute indicators once."""
        backtesting = Backtesting(copy.deepcopy(self.config))
        self._exchange = backtesting.exchange
        use_first_strategy(backtesting)
        pairs = list(backtesting.pairlists.whitelist)
        self._progress(f"loading candles for {len(pairs)} pairs")
        try:
            data, self.timerange = backtesting.load_bt_data()
        except OperationalException as error:
            raise ConfigError(
                f"--datadir {self.config['datadir']}: {error}; download the data "
                "(`freqtrade download-data`) or choose another --timerange"
            ) from None
        self._required_startup = backtesting.required_startup
        # Tick sizes observed in the candles (freqtrade derives them while loading data);
        # every run must round prices the same way.
        self._price_precision = backtesting.price_pair_prec
        # On futures: funding and mark rates of every pair, loaded with the candles.
        self._funding = funding_data(backtesting)
        self._progress("computing indicators once for every run")
        self._analysed = backtesting.strategy.advise_all_indicators(data)
        trimmed = trim_dataframes(self._analysed, self.timerange, self._required_startup)
        if not trimmed:
            raise ConfigError("--timerange: no data left after the strategy's startup candles")
        self.start, self.end = (pd.Timestamp(moment) for moment in get_timerange(trimmed))
        return backtesting, [pair for pair in pairs if pair in self._analysed]

    def _run(
        self, name: str, backtesting: Backtesting, pairs: list[str], *, delayed: bool = False
    ) -> RunResult:
        processed = {pair: self._analysed[pair].copy() for pair in pairs}
        prepare_run(
            backtesting,
            self.timerange,
            self._required_startup,
            self._price_precision,
            self._funding,
        )
        late = entries_one_candle_late(backtesting) if delayed else contextlib.nullcontext()
        with counting_stake_refusals(backtesting) as refused, late:
            results = backtesting.backtest(
                processed=processed,
                start_date=self.start.to_pydatetime(),
                end_date=self.end.to_pydatetime(),
            )
        return RunResult(
            name=name,
            pairs=list(pairs),
            wallet=_wallet(backtesting.config),
            max_open_trades=int(backtesting.config["max_open_trades"]),
            trades=results["results"],
            rejected_no_slot=int(results["rejected_signals"]),
            rejected_no_stake=refused[0],
        )

    # --- the comparison ----------------------------------------------------------------
    def run(self) -> FleetComparison:
        fleet_backtesting, pairs = self._load()
        strategy = fleet_backtesting.strategy.get_strategy_name()
        self._progress(f"fleet run: {len(pairs)} pairs, one wallet")
        fleet = self._run("fleet", fleet_backtesting, pairs)
        splits = []
        settings = split_settings(self.config, len(self.producer_names))
        for producer, share in partition(pairs, self.producer_names).items():
            if not share:  # a bot with no pair: its share of the wallet sits idle
                splits.append(
                    RunResult(
                        name=producer,
                        pairs=[],
                        wallet=float(settings["dry_run_wallet"]),
                        max_open_trades=int(settings["max_open_trades"]),
                        trades=fleet.trades.iloc[0:0],
                        rejected_no_slot=0,
                        rejected_no_stake=0,
                    )
                )
                continue
            self._progress(f"split run {producer}: {len(share)} pairs")
            splits.append(self._run(producer, self._backtesting(settings, share), share))
        delayed = None
        if self.request.delayed:
            self._progress("delayed fleet run: entries one candle late")
            delayed = self._run(
                "fleet, 1 candle late", self._backtesting({}, pairs), pairs, delayed=True
            )
        comparison = FleetComparison(
            strategy=strategy,
            timeframe=str(self.config["timeframe"]),
            start=self.start,
            end=self.end,
            fleet=fleet,
            splits=splits,
            delayed=delayed,
        )
        comparison.figures = comparison_figures(comparison)
        return comparison


def comparison_figures(comparison: FleetComparison) -> list[RunFigures]:
    start, end = comparison.start, comparison.end
    fleet = comparison.fleet
    figures = [
        run_figures(
            "fleet (one wallet)", fleet.trades, fleet.wallet, start, end, fleet.lost_entries
        ),
        run_figures(
            f"split ({len(comparison.splits)} wallets)",
            comparison.split_trades,
            comparison.split_wallet,
            start,
            end,
            sum(run.lost_entries for run in comparison.splits),
        ),
    ]
    if comparison.delayed is not None:
        late = comparison.delayed
        figures.append(
            run_figures(
                "fleet, entries 1 candle late",
                late.trades,
                late.wallet,
                start,
                end,
                late.lost_entries,
            )
        )
    return figures


__all__ = [
    "BUNDLED_DATA",
    "BacktestRequest",
    "FleetBacktester",
    "FleetComparison",
    "RunResult",
    "comparison_figures",
    "split_settings",
]
