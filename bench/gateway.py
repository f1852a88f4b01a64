"""Market-data gateway: latency it adds to a cached kline request, and cached requests/s.

    .venv/bin/python bench/gateway.py [--requests 400] [--seconds 5] [--connections 4]

Baseline in the same run: the same request sent to the simulator directly (which itself
answers from its own warm cache). Cases:
- ``latest 1000``: the newest 1,000 5m candles of a pair, what freqtrade asks once per
  candle for every pair (the gateway answers it from its cache while the candle in
  progress is younger than ``--live-ttl``);
- ``latest 3``: the newest 3 candles (small answer: per-request overhead only);
- ``closed 500``: 500 closed candles from two days ago (start-up history).

Latency: one keep-alive connection, sequential requests, direct and via the gateway
interleaved; the added latency is the difference of the medians. Throughput: requests/s
seen by an httpx client with ``--connections`` connections, and the gateway process's own
CPU time per request (from /proc), whose inverse is what one core serves. Last, the
app alone: the ASGI callable called in-process for a cached ``latest 1000`` answer (no
HTTP stack), the gateway's own cost per cached request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import httpx

from freqfleet.gateway import BINANCE_SPOT, running_gateway
from freqfleet.gateway.app import GatewayApp
from freqfleet.sim import running_simulator


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latencies(direct: str, gateway: str, paths: list[str], requests: int) -> tuple[float, float]:
    """Median seconds per request: direct to the simulator, and through the gateway."""
    timings: dict[str, list[float]] = {direct: [], gateway: []}
    with httpx.Client(base_url=direct) as to_sim, httpx.Client(base_url=gateway) as to_gateway:
        clients = {direct: to_sim, gateway: to_gateway}
        for url in (direct, gateway):  # warm both
            for path in paths:
                clients[url].get(path).raise_for_status()
        for i in range(requests):
            path = paths[i % len(paths)]
            for url in (direct, gateway) if i % 2 else (gateway, direct):
                start = time.perf_counter()
                clients[url].get(path).raise_for_status()
                timings[url].append(time.perf_counter() - start)
    return statistics.median(timings[direct]), statistics.median(timings[gateway])


async def throughput(url: str, paths: list[str], seconds: float, connections: int) -> int:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done = 0
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal done
            i = offset
            while time.perf_counter() < stop:
                (await client.get(paths[i % len(paths)])).raise_for_status()
                done += 1
                i += 1

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return done


def app_alone(upstream: str, path: str, calls: int = 20_000) -> float:
    """Microseconds per cached answer of the ASGI app called in-process."""
    app = GatewayApp(upstream, BINANCE_SPOT, share=0.5, live_ttl=60)
    route, _, query = path.partition("?")
    scope = {"type": "http", "method": "GET", "path": route, "headers": []}
    scope["query_string"] = query.encode()

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200

    async def run() -> float:
        await app(dict(scope), receive, send)  # miss: fetched once, then cached
        await app(dict(scope), receive, send)
        start = time.perf_counter()
        for _ in range(calls):
            await app(scope, receive, send)
        elapsed = time.perf_counter() - start
        await app.upstream.close()
        return elapsed

    return 1e6 * asyncio.run(run()) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    two_days_ago = (time.time_ns() // 1_000_000 - 2 * 86_400_000) // 3_600_000 * 3_600_000
    with (
        running_simulator(pairs=args.pairs, seed=0) as sim,
        running_gateway(sim.url, live_ttl=60) as gateway,
    ):
        symbols = [pair.replace("/", "") for pair in sim.pairs]
        cases = {
            "latest 1000": [f"/api/v3/klines?symbol={s}&interval=5m&limit=1000" for s in symbols],
            "latest 3": [f"/api/v3/klines?symbol={s}&interval=5m&limit=3" for s in symbols],
            "closed 500": [
                f"/api/v3/klines?symbol={s}&interval=5m&startTime={two_days_ago}&limit=500"
                for s in symbols
            ],
        }
        print(
            f"simulator and gateway: one process each; {args.pairs} pairs; {os.cpu_count()} CPUs "
            f"(shared); latency: {args.requests} sequential requests per side; throughput: "
            f"{args.connections} connections, {args.seconds:.0f} s"
        )
        print(
            f"{'case':<13} {'direct ms':>9} {'gateway ms':>10} {'added ms':>8} "
            f"{'gateway req/s':>13} {'gateway CPU us/req':>18} {'1-core req/s':>12}"
        )
        for name, paths in cases.items():
            direct, through = latencies(sim.url, gateway.url, paths, args.requests)
            before = cpu_seconds(gateway.process.pid)
            started = time.perf_counter()
            done = asyncio.run(throughput(gateway.url, paths, args.seconds, args.connections))
            elapsed = time.perf_counter() - started
            used = cpu_seconds(gateway.process.pid) - before
            per_request = used / max(done, 1)
            print(
                f"{name:<13} {1e3 * direct:>9.2f} {1e3 * through:>10.2f} "
                f"{1e3 * (through - direct):>8.2f} {done / elapsed:>13,.0f} "
                f"{1e6 * per_request:>18,.0f} {1 / max(per_request, 1e-9):>12,.0f}"
            )
        alone = app_alone(sim.url, cases["latest 1000"][0])
        print(f"app alone, cached latest 1000: {alone:.1f} us per request in-process")
        stats = gateway.stats()
        print(
            f"gateway: hit rate {stats['hit_rate']}, upstream requests "
            f"{stats['upstream']['requests']}, simulator kline requests "
            f"{sim.request_counts().get('/api/v3/klines', 0)}"
        )


if __name__ == "__main__":
    main()
