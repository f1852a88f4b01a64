"""A synthetic market generated from (seed, symbol, candle open time) alone.

Why this shape: every process, restart and request must see the same market without
sharing state, so each 1-minute candle is a pure function of its open time. The log price
is a sum of *value-noise octaves* (hashed lattice values, smoothly interpolated) whose
periods grow by 4 from one minute to half a year and whose amplitudes grow like
``sqrt(period)`` (the scaling of a random walk). On top of that:

- volatility clustering: the short octaves, wicks and volume are scaled by a slowly
  varying volatility level (hours);
- trends and ranges: the middle octaves (hours to days) are scaled by a regime level, so
  some stretches trend and others move sideways;
- volume follows volatility, the size of the move and the time of day.

Everything is vectorised with numpy (a counter-based hash, no random state), so 1,000
candles cost well under a millisecond and any window can be computed independently.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from freqfleet.sim.markets import SimMarket, decimals_for_tick
from freqfleet.sim.models.base import BaseCandles
from freqfleet.sim.names import KNOWN_LEVELS, base_assets
from freqfleet.sim.timeframes import MINUTE_MS

# 2020-01-01 00:00 UTC: the first candle every synthetic market serves.
LISTED_MS = 1_577_836_800_000

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)

# Octave periods in minutes: 1, 4, 16, ... 262144 (about half a year).
_PERIODS = tuple(4**k for k in range(10))
_SHORT = frozenset(p for p in _PERIODS if p <= 256)  # scaled by volatility
_TREND = frozenset(p for p in _PERIODS if 1024 <= p <= 16384)  # scaled by regime


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _MIX1
    x = (x ^ (x >> _S27)) * _MIX2
    return x ^ (x >> _S31)


def _stream_key(seed: int, symbol: str, stream: str) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}|{symbol}|{stream}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _uniform(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1), one per integer index, fixed by ``key``."""
    with np.errstate(over="ignore"):
        h = _mix(index.astype(np.uint64) * _GOLDEN + key)
    return ((h >> _S11).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def _laplace(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """Laplace(0, 1) numbers (fat tails, like returns), one per integer index."""
    x = _uniform(key, index) - 0.5
    return -np.sign(x) * np.log1p(-2.0 * np.abs(x))


def _value_noise(key: np.uint64, start: int, count: int, period: int) -> np.ndarray:
    """Lattice values every ``period`` minutes, smoothstep-interpolated in between.

    Values for minutes ``start .. start+count-1``. Long windows fill whole lattice cells at
    once (one weight pattern per period), short ones interpolate minute by minute; both
    evaluate the same expression per minute, so results are identical bit for bit.
    """
    first = start // period
    last = (start + count - 1) // period
    points = _laplace(key, np.arange(first, last + 2, dtype=np.int64))
    if period == 1:
        return points[:count]
    if (last - first + 1) * period <= 3 * count:
        frac = np.arange(period, dtype=np.int64) / period
        smooth = frac * frac * (3.0 - 2.0 * frac)
        grid = points[:-1, None] * (1.0 - smooth) + points[1:, None] * smooth
        offset = start - first * period
        return grid.ravel()[offset : offset + count]
    minutes = np.arange(start, start + count, dtype=np.int64)
    lattice = minutes // period
    pos = lattice - first
    frac = (minutes - lattice * period) / period
    smooth = frac * frac * (3.0 - 2.0 * frac)
    return points[pos] * (1.0 - smooth) + points[pos + 1] * smooth


class SyntheticModel:
    """``pairs`` USDT markets with real-looking names, deterministic in ``seed``."""

    name = "synthetic"
    base_ms = MINUTE_MS
    listed_ms = LISTED_MS

    def __init__(self, pairs: int = 150, seed: int = 0, quote: str = "USDT") -> None:
        self.seed = int(seed)
        self.quote = quote
        self.markets: list[SimMarket] = []
        self._params: list[dict] = []
        for base in base_assets(pairs):
            symbol = base + quote
            params = self._symbol_params(base, symbol)
            tick = 10.0 ** (math.floor(math.log10(params["level"])) - 5)
            step = 10.0 ** math.floor(math.log10(1.0 / params["level"]))
            self.markets.append(
                SimMarket(
                    base=base,
                    quote=quote,
                    price_decimals=decimals_for_tick(max(tick, 1e-8)),
                    amount_decimals=decimals_for_tick(min(max(step, 1e-8), 1.0)),
                )
            )
            self._params.append(params)

    def _symbol_params(self, base: str, symbol: str) -> dict:
        """Per-market constants: price level, volatility, volume, stream keys."""
        u = _uniform(_stream_key(self.seed, symbol, "params"), np.arange(4, dtype=np.int64))
        level = KNOWN_LEVELS.get(base) or 10.0 ** (-3.0 + 5.0 * u[0])
        keys = {
            name: _stream_key(self.seed, symbol, name)
            for name in ("vol", "vol2", "regime", "high", "low", "volume", "taker")
        }
        keys.update({p: _stream_key(self.seed, symbol, f"octave{p}") for p in _PERIODS})
        return {
            "level": level,
            "sigma": 0.0007 + 0.0009 * u[1],  # 1-minute volatility
            "quote_per_minute": 10.0 ** (6.0 + 2.5 * u[2])
            * (20.0 if base in KNOWN_LEVELS else 1.0)
            / 1440.0,
            "trade_size": 40.0 + 400.0 * u[3],
            "keys": keys,
        }

    def describe(self) -> str:
        return f"synthetic market: {len(self.markets)} {self.quote} pairs, seed {self.seed}"

    def base_candles(self, market: int, start: int, count: int) -> BaseCandles:
        spec = self.markets[market]
        params = self._params[market]
        keys = params["keys"]
        sigma = params["sigma"]
        # Prices at the count + 1 minute boundaries: open[i] = price[i], close[i] = price[i+1].
        size = count + 1
        edges = np.arange(start, start + size, dtype=np.int64)
        price, volatility = _price_path(params, start, size)
        open_, close = price[:-1], price[1:]
        minutes = edges[:-1]
        vol_now = volatility[:-1] * sigma
        high = np.maximum(open_, close) * np.exp(
            0.6 * vol_now * np.abs(_laplace(keys["high"], minutes))
        )
        low = np.minimum(open_, close) * np.exp(
            -0.6 * vol_now * np.abs(_laplace(keys["low"], minutes))
        )

        tick = spec.tick
        o = np.maximum(np.rint(open_ / tick), 1).astype(np.int64)
        c = np.maximum(np.rint(close / tick), 1).astype(np.int64)
        h = np.maximum(np.rint(high / tick).astype(np.int64), np.maximum(o, c))
        lo = np.maximum(np.minimum(np.rint(low / tick).astype(np.int64), np.minimum(o, c)), 1)

        typical = (o + h + lo + c) * (tick / 4.0)
        volume, quote_volume, trades, taker = _activity(
            params, spec, minutes, open_, close, volatility[:-1], vol_now, typical
        )
        return BaseCandles(o, h, lo, c, volume, quote_volume, trades, taker)


def _price_path(params: dict, start: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Prices and volatility levels at ``size`` minute boundaries from minute ``start``."""
    keys = params["keys"]
    sigma = params["sigma"]
    # Volatility level: log-normal-like, bounded to 0.3x..4.5x so tails stay plausible.
    volatility = np.exp(
        np.clip(
            0.45 * _value_noise(keys["vol"], start, size, 256)
            + 0.3 * _value_noise(keys["vol2"], start, size, 1024),
            -1.2,
            1.5,
        )
    )
    regime = 0.25 + 1.5 * np.clip(
        0.5 + 0.35 * _value_noise(keys["regime"], start, size, 4096), 0, 1
    )
    log_price = np.full(size, math.log(params["level"]))
    for period in _PERIODS:
        octave = (0.35 * sigma * math.sqrt(period)) * _value_noise(
            keys[period], start, size, period
        )
        if period in _SHORT:
            octave *= volatility
        elif period in _TREND:
            octave *= regime
        log_price += octave
    return np.exp(log_price), volatility


def _activity(
    params: dict,
    spec: SimMarket,
    minutes: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    volatility: np.ndarray,
    vol_now: np.ndarray,
    typical: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Volume (steps), quote volume, trades and taker volume of each candle: they follow
    volatility, the size of the move and the time of day."""
    keys = params["keys"]
    move = np.abs(close / open_ - 1.0) / vol_now
    time_of_day = 1.0 + 0.35 * np.sin(2.0 * math.pi * ((minutes % 1440) / 1440.0 - 0.3))
    noise = np.exp(np.clip(0.35 * _laplace(keys["volume"], minutes), -2.0, 2.0))
    quote_value = (
        params["quote_per_minute"] * volatility**1.3 * (0.4 + 0.6 * move) * time_of_day * noise
    )
    volume = np.maximum(np.rint(quote_value / typical / spec.step), 1).astype(np.int64)
    quote_volume = volume * spec.step * typical
    trades = np.maximum(np.rint(quote_volume / params["trade_size"]), 1).astype(np.int64)
    taker_share = np.clip(
        0.5
        + 0.15 * np.tanh((close / open_ - 1.0) / vol_now)
        + 0.1 * (_uniform(keys["taker"], minutes) - 0.5),
        0.05,
        0.95,
    )
    taker = np.rint(volume * taker_share).astype(np.int64)
    return volume, quote_volume, trades, taker


__all__ = ["LISTED_MS", "SyntheticModel"]
