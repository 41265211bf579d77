"""POST /token (auth + rate limit + mint) against a bare Litestar endpoint, in one run.

Starts real Redis and livekit-server, the control plane and the bare app (one uvicorn
process each), then measures with wrk (max throughput) and an open-loop load at a fixed
rate (latency percentiles measured from each request's scheduled send time).

On a machine with two or more CPUs each server runs alone on CPU 0 and everything else
(wrk, Redis, livekit-server, this script) on CPU 1: the servers then compete with nothing,
and the figure is what one core does. Unpinned, the scheduler's placement of the server and
wrk moved the bare endpoint's figure between 6,500 and 13,800 req/s from run to run on the
same idle machine. Throughput is measured in alternating rounds (token, bare, token, ...).
The VM's speed still drifts during a run (the bare figure moved 7,200-12,300 req/s within
one run), so besides the ratio of the two medians the bench prints the median of the
per-round ratios, each token round over the bare round that follows it: a drift slower
than one round cancels out of it. Hence many short rounds by default (15 of 2 s): with 5
rounds of 5 s, the ratio moved between 0.35 and 0.43 from run to run of the same code on
one day; with 15 of 2 s, between 0.41 and 0.45.

    python -m bench.token_throughput [--seconds 2] [--rounds 15] [--rate 200] [--latency-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from api.bootstrap import create_project_key
from api.migrate import upgrade
from api.projects.schemas import Scope
from tests.services import (
    free_port,
    http_ok,
    livekit_server,
    port_open,
    redis_server,
    running,
)

TOKEN_BODY = {"identity": "bench-caller", "room": "bench-room"}


SERVER_CPU, CLIENT_CPU = 0, 1
CAN_PIN = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pinned(argv: list[str], cpu: int) -> list[str]:
    """`argv` run on one CPU (and every thread it starts), when the machine has a spare one."""
    return ["taskset", "-c", str(cpu), *argv] if CAN_PIN else argv


def wrk_throughput(url: str, headers: dict[str, str], body: dict[str, str], seconds: int) -> float:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is required: apt-get install wrk (or `make deps`)")
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = '{json.dumps(body)}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n' + header_lines
    )
    output = subprocess.run(
        pinned([wrk, "-t1", "-c32", f"-d{seconds}s", "-s", str(script), url], CLIENT_CPU),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        sys.exit(f"{url} answered {non_2xx.group(1)} errors under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        sys.exit(f"could not read wrk output:\n{output}")
    return float(match.group(1))


async def fixed_rate_latency(
    url: str, headers: dict[str, str], body: dict[str, str], rate: int, seconds: int
) -> list[float]:
    """Open-loop load: latency counts from the scheduled send time (no coordinated omission).

    The first second only opens the client's connections and is not counted: a new TCP
    connection per request is the client's cost, not the endpoint's.
    """
    warmup = rate
    latencies: list[float] = []
    # This client's own full garbage collections (it imports much of the project) would
    # stall its event loop and show up as the endpoint's latency.
    gc.collect()
    gc.freeze()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(scheduled: float, counted: bool) -> None:
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
            if counted:
                latencies.append((time.perf_counter() - scheduled) * 1000)

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(warmup + rate * seconds):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(scheduled, i >= warmup)))
        await asyncio.gather(*tasks)
    return latencies


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2, help="per throughput round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--latency-seconds", type=int, default=10, help="of the fixed-rate load")
    args = parser.parse_args()
    if CAN_PIN:
        # Inherited by every child started from here on: Redis, livekit-server, wrk.
        os.sched_setaffinity(0, {CLIENT_CPU})

    workdir = Path(tempfile.mkdtemp(prefix="voxroom-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    _, api_key = asyncio.run(create_project_key(database_url, "bench", Scope.WRITE, plan="bench"))
    headers = {"X-API-Key": api_key}

    with redis_server(workdir) as redis_url, livekit_server(workdir) as livekit:
        api_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LIVEKIT_URL": livekit.url,
            "LIVEKIT_API_KEY": livekit.api_key,
            "LIVEKIT_API_SECRET": livekit.api_secret,
            "VOXROOM_RATE_LIMITS": json.dumps({"free": 60, "bench": 10_000_000}),
        }
        uvicorn = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning"]
        api_argv = pinned(
            [sys.executable, "-m", "voxroom", "api", "--port", str(api_port)], SERVER_CPU
        )
        bare_argv = pinned([*uvicorn, "--port", str(bare_port), "bench.bare_app:app"], SERVER_CPU)
        with (
            running(
                api_argv,
                "api",
                http_ok(f"http://127.0.0.1:{api_port}/healthz"),
                workdir / "api.log",
                env=env,
            ),
            running(bare_argv, "bare app", port_open(bare_port), workdir / "bare.log", env=env),
        ):
            token_url = f"http://127.0.0.1:{api_port}/api/v1/token"
            bare_url = f"http://127.0.0.1:{bare_port}/noop"
            # Warm both (first token call creates the room in LiveKit).
            wrk_throughput(token_url, headers, TOKEN_BODY, 2)
            wrk_throughput(bare_url, {}, {}, 2)
            token_rounds, bare_rounds = [], []
            for _ in range(args.rounds):
                token_rounds.append(wrk_throughput(token_url, headers, TOKEN_BODY, args.seconds))
                bare_rounds.append(wrk_throughput(bare_url, {}, {}, args.seconds))
            token_rps, bare_rps = statistics.median(token_rounds), statistics.median(bare_rounds)
            token_lat = asyncio.run(
                fixed_rate_latency(token_url, headers, TOKEN_BODY, args.rate, args.latency_seconds)
            )
            bare_lat = asyncio.run(
                fixed_rate_latency(bare_url, {}, {}, args.rate, args.latency_seconds)
            )

    ratio = token_rps / bare_rps
    paired = statistics.median(t / b for t, b in zip(token_rounds, bare_rounds, strict=True))
    placement = (
        f"each server alone on CPU {SERVER_CPU}, wrk/Redis/LiveKit on CPU {CLIENT_CPU}"
        if CAN_PIN
        else "unpinned"
    )
    print(
        f"\nPOST /token vs bare Litestar endpoint ({os.cpu_count()} cores, one uvicorn "
        f"process each, {placement}; wrk -t1 -c32, {args.rounds} alternating rounds of "
        f"{args.seconds} s, medians)"
    )
    print(
        f"  rounds req/s: token {', '.join(f'{r:.0f}' for r in token_rounds)}; "
        f"bare {', '.join(f'{r:.0f}' for r in bare_rounds)}"
    )
    print(
        f"  {'endpoint':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}   (latency at "
        f"{args.rate} req/s for {args.latency_seconds} s)"
    )
    for name, rps, lat in (("bare", bare_rps, bare_lat), ("token", token_rps, token_lat)):
        print(f"  {name:<12}{rps:>10.0f}{percentile(lat, 50):>10.2f}{percentile(lat, 99):>10.2f}")
    print(
        f"  throughput ratio token/bare: {ratio:.3f} of medians, {paired:.3f} median of "
        "per-round ratios (target >= 0.40)"
    )
    print(f"  token p99 at {args.rate} req/s: {percentile(token_lat, 99):.2f} ms (target < 25 ms)")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
