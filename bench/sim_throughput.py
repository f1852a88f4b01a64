"""Exchange simulator throughput: kline requests per second on one server process.

    .venv/bin/python bench/sim_throughput.py [--pairs 1000] [--seconds 5] [--connections 4]

Cases, each for ``--seconds`` with ``--connections`` keep-alive connections (httpx):
- ``ping``: ``GET /api/v3/ping``, the baseline: what the HTTP stack alone costs here;
- ``klines live``: the newest 3 candles of a pair (a bot's per-candle refresh), cycling
  over all pairs;
- ``klines 1000``: the newest 1,000 candles (what freqtrade really asks every candle and
  at start-up), cache warm;
- ``klines 1000 cold``: the same for an interval never asked before (5m: 5,000 base
  candles each; 1h: 60,000), so every request generates and serialises its candles (the
  uncached path).

Besides requests/s as seen by the client, the server's own CPU time per request is read
from /proc (Linux), which is what a fleet's candle refresh actually costs the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable

import httpx

from freqfleet.sim.launcher import running_simulator


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    url: str,
    next_path: Callable[[int], str],
    seconds: float,
    connections: int,
    limit: int | None = None,
) -> tuple[int, float, int]:
    """Requests answered, elapsed seconds and bytes received."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done = 0
    received = 0
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop = time.perf_counter() + seconds
        counter = iter(range(10**12))

        async def worker() -> None:
            nonlocal done, received
            while time.perf_counter() < stop and (limit is None or done < limit):
                response = await client.get(next_path(next(counter)))
                response.raise_for_status()
                done += 1
                received += len(response.content)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done, time.perf_counter() - start, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    with running_simulator(pairs=args.pairs, seed=0) as sim:
        symbols = [pair.replace("/", "") for pair in sim.pairs]
        n = len(symbols)
        cases: list[tuple[str, Callable[[int], str], int | None]] = [
            ("ping (baseline)", lambda i: "/api/v3/ping", None),
            (
                "klines live, limit=3",
                lambda i: f"/api/v3/klines?symbol={symbols[i % n]}&interval=1m&limit=3",
                None,
            ),
            (
                "klines limit=1000 (warm)",
                lambda i: f"/api/v3/klines?symbol={symbols[i % n]}&interval=1m&limit=1000",
                None,
            ),
            # Cold: 5m and 1h are asked for the first time, one request per pair at most.
            (
                "klines limit=1000 (cold 5m)",
                lambda i: f"/api/v3/klines?symbol={symbols[i % n]}&interval=5m&limit=1000",
                n,
            ),
            (
                "klines limit=1000 (cold 1h)",
                lambda i: f"/api/v3/klines?symbol={symbols[i % n]}&interval=1h&limit=1000",
                n,
            ),
        ]
        # Warm the 1m cache for every pair (what the first refresh of a fleet does).
        asyncio.run(measure(sim.url, cases[2][1], 600, args.connections, limit=n))
        print(
            f"simulator: {n} pairs, 1 server process; client: httpx, {args.connections} "
            f"keep-alive connections, {args.seconds:.0f} s per case; {os.cpu_count()} CPUs"
        )
        print(f"{'case':<30} {'requests/s':>11} {'server CPU us/req':>18} {'KiB/resp':>9}")
        for name, path, limit in cases:
            before = cpu_seconds(sim.process.pid)
            done, elapsed, received = asyncio.run(
                measure(sim.url, path, args.seconds, args.connections, limit)
            )
            used = cpu_seconds(sim.process.pid) - before
            print(
                f"{name:<30} {done / elapsed:>11,.0f} {1e6 * used / max(done, 1):>18,.0f} "
                f"{received / max(done, 1) / 1024:>9.1f}"
            )
        print(f"not simulated / errors: {sim.stats()['not_simulated']} / {sim.stats()['errors']}")


if __name__ == "__main__":
    main()
