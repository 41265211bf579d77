"""Webhooks end to end: events/s through outbox -> relay -> signed delivery, event-to-delivery
latency, nothing lost, while the control plane (its relay and delivery worker) is killed -9 and
restarted during the run.

Starts real Redis and the control plane (its own process, through the launcher), a receiver
in this process that verifies every delivery with the Standard Webhooks reference library and
deduplicates on `webhook-id`, and a producer acting as agent workers: it reports transcript
turns to the control plane's worker-report endpoint at a fixed rate (batches of `--batch`
turns per report, as a worker does), each turn committing one `transcript.new` event in the
outbox. Reports refused while the control plane is down are retried, as a worker retries them
(turn ids make them idempotent).

Latency is from the event's outbox timestamp to its first arrival at the receiver (one
machine, one clock). Throughput is delivered events over the time from the first event to the
last delivery. Targets (issue 11): p50 < 100 ms, >= 500 events/s, 0 lost.

    python -m bench.webhooks [--events 6000] [--rate 600] [--batch 10] [--kill-at 0.5]
                             [--api-processes 1] [--postgres | --database-url URL]

With `--api-processes N` the control plane runs N processes on one port (`voxroom api
--processes`); the kill then takes all of them at once, as a machine's crash would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from api.bootstrap import create_project_key
from api.db import create_engine
from api.migrate import upgrade
from api.projects.schemas import Scope
from api.sessions.tokens import issue_report_token
from tests.services import free_port, postgres_server, redis_server, served
from voxroom import launcher

SECRET = secrets.token_urlsafe(32)
SESSIONS = 10


@dataclass
class Receiver:
    """Verifies each delivery's signature, keeps the first arrival of each event id."""

    secret: str = ""
    first_arrival: dict[str, float] = field(default_factory=dict)
    created: dict[str, float] = field(default_factory=dict)
    deliveries: int = 0
    """Deliveries of `transcript.new` events, duplicates included."""
    bad_signatures: int = 0
    expected: int = 0
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        arrived = time.time()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        try:
            event = Webhook(self.secret).verify(body, headers)
        except Exception:
            self.bad_signatures += 1
            await _answer(send, 400)
            return
        if event["event_type"] != "transcript.new":
            await _answer(send, 200)
            return
        self.deliveries += 1
        if event["id"] not in self.first_arrival:
            self.first_arrival[event["id"]] = arrived
            self.created[event["id"]] = datetime.fromisoformat(event["timestamp"]).timestamp()
            if self.expected and len(self.first_arrival) >= self.expected:
                self.all_arrived.set()
        await _answer(send, 200)


async def _answer(send: Any, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def produce(
    api: str, sessions: list[tuple[str, str]], events: int, rate: float, batch: int
) -> float:
    """Report `events` turns at `rate`/s in batches; returns when all were accepted."""
    start = time.monotonic()
    reports = [list(range(i, min(i + batch, events))) for i in range(0, events, batch)]

    async def send(client: aiohttp.ClientSession, index: int, turns: list[int]) -> None:
        await asyncio.sleep(max(0.0, start + turns[0] / rate - time.monotonic()))
        session_id, token = sessions[index % len(sessions)]
        now = datetime.now().astimezone()
        body = {
            "events": [
                {
                    "type": "turn",
                    "event_id": f"turn-{n}",
                    "role": "user",
                    "text": f"line {n}",
                    "started_at": (now + timedelta(microseconds=n)).isoformat(),
                }
                for n in turns
            ]
        }
        while True:  # a worker retries its report until the control plane takes it
            try:
                async with client.post(
                    f"{api}/internal/v1/sessions/{session_id}/events",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    await response.read()
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)

    # aiohttp, as the control plane's delivery client: httpx's pool alone would take a core.
    connector = aiohttp.TCPConnector(limit=50)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        await asyncio.gather(*(send(client, i, turns) for i, turns in enumerate(reports)))
    return time.monotonic() - start


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'voxroom.db'}"
    await asyncio.to_thread(upgrade, database_url)  # Alembic runs its own event loop
    project_id, api_key = await create_project_key(
        database_url, "bench", Scope.ADMIN, plan="enterprise"
    )
    receiver = Receiver()
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with redis_server(workdir) as redis_url:
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LIVEKIT_URL": "http://127.0.0.1:9",
            "LIVEKIT_API_SECRET": SECRET,
            "VOXROOM_WEBHOOK_URL_ALLOWLIST": json.dumps(["localhost"]),
            # A killed process's claimed deliveries are free again after this long (60 s by
            # default). Not shorter: a lease must outlast a claimed delivery's send and the
            # recording of its outcome, or a second process sends it again (2 s made a backlog
            # of duplicates grow on itself with two processes here).
            "VOXROOM_WEBHOOK_LEASE_S": "10",
        }
        component = launcher.control_plane(port, env, processes=args.api_processes)
        async with served(receiver) as receiver_url:  # type: ignore[arg-type]
            running = await asyncio.to_thread(launcher.start, component, workdir / "api-1.log")
            print(f"control plane pid {running.process.pid}", flush=True)
            headers = {"X-API-Key": api_key}
            async with httpx.AsyncClient(base_url=api, headers=headers) as http:
                created = await http.post(
                    "/api/v1/webhooks",
                    json={"url": receiver_url.replace("127.0.0.1", "localhost") + "/in"},
                )
                created.raise_for_status()
                receiver.secret = created.json()["webhook"]["secret"]
                sessions = []
                for i in range(SESSIONS):
                    opened = await http.post("/api/v1/sessions", json={"room_name": f"bench-{i}"})
                    opened.raise_for_status()
                    session_id = opened.json()["session"]["id"]
                    token = issue_report_token(SECRET, session_id, project_id, timedelta(hours=1))
                    sessions.append((session_id, token))

            async def kill_and_restart() -> float:
                if args.kill_at >= 1:
                    return 0.0
                await asyncio.sleep(args.events / args.rate * args.kill_at)
                if args.kill_one:
                    return await kill_one_process(running.process.pid)
                cpu_s.append(process_cpu_s(running.process.pid))
                kill_tree(running.process.pid)
                await asyncio.to_thread(running.process.wait)
                killed = time.monotonic()
                restarted = await asyncio.to_thread(
                    launcher.start, component, workdir / "api-2.log"
                )
                holder[:] = [restarted]
                cpu_s.append(-process_cpu_s(restarted.process.pid))  # its start-up not counted
                return time.monotonic() - killed

            holder: list[launcher.Running] = [running]
            cpu_s = [-process_cpu_s(running.process.pid)]
            """CPU the control plane spends during the run (start-ups left out): the
            readings of each process at the end of its part, minus those at its start."""
            bench_cpu = time.process_time()
            started = time.time()
            produced_s, downtime_s = await asyncio.gather(
                produce(api, sessions, args.events, args.rate, args.batch), kill_and_restart()
            )
            receiver.expected = args.events
            if len(receiver.first_arrival) < args.events:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(receiver.all_arrived.wait(), args.drain_timeout)
            bench_cpu = time.process_time() - bench_cpu
            for process in holder:
                cpu_s.append(process_cpu_s(process.process.pid))
                await asyncio.to_thread(launcher.stop, process)
    recorded = await outbox_count(database_url)
    latencies = sorted(
        (receiver.first_arrival[i] - receiver.created[i]) * 1000 for i in receiver.first_arrival
    )
    delivered = len(receiver.first_arrival)
    span = max(receiver.first_arrival.values(), default=started) - min(
        receiver.created.values(), default=started
    )
    return {
        "events": args.events,
        "offered_rate": args.rate,
        "delivered_unique": delivered,
        "lost": args.events - delivered,
        "outbox_events": recorded,
        "lost_after_outbox": recorded - delivered,
        "deliveries_total": receiver.deliveries,
        "duplicates": receiver.deliveries - delivered,
        "bad_signatures": receiver.bad_signatures,
        "events_per_s": round(delivered / span, 1) if span > 0 else None,
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p99": round(latencies[int(0.99 * (len(latencies) - 1))], 1)
        if latencies
        else None,
        "producer_s": round(produced_s, 2),
        "api_cpu_ms_per_event": round(sum(cpu_s) * 1000 / args.events, 3),
        "bench_cpu_ms_per_event": round(bench_cpu * 1000 / args.events, 3),
        "api_down_s": round(downtime_s, 2),
        "api_processes": args.api_processes,
        "killed": "none" if args.kill_at >= 1 else ("one process" if args.kill_one else "all"),
    }


def process_cpu_s(pid: int) -> float:
    """CPU time (user + system, all threads) a live process and its children have used so far."""
    tree = psutil.Process(pid)
    return sum(
        times.user + times.system
        for times in (process.cpu_times() for process in [tree, *tree.children(recursive=True)])
    )


async def kill_one_process(parent_pid: int) -> float:
    """SIGKILL one of the control plane's processes (a replica dying, its relay and delivery
    worker with it); returns the seconds until uvicorn's supervisor has started its
    replacement (which then loads the app). The others serve on meanwhile."""
    parent = psutil.Process(parent_pid)
    servers = [p for p in parent.children() if "spawn_main" in " ".join(p.cmdline())]
    # The busiest: the producer's few keep-alive connections may all sit on one process.
    victim = max(servers, key=lambda p: sum(p.cpu_times()[:2]))
    victim.kill()
    killed = time.monotonic()
    while True:
        await asyncio.sleep(0.05)
        replacements = [
            p
            for p in parent.children()
            if p.pid not in {s.pid for s in servers} and "spawn_main" in " ".join(p.cmdline())
        ]
        if replacements:
            return time.monotonic() - killed


def kill_tree(pid: int) -> None:
    """SIGKILL a process and its children together."""
    tree = psutil.Process(pid)
    for process in [*tree.children(recursive=True), tree]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


async def outbox_count(database_url: str) -> int:
    """`transcript.new` events committed to the outbox: tells a loss before the outbox (the
    report's transaction) from one after it (relay or delivery)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT count(*) FROM events WHERE event_type = 'transcript.new'")
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=600.0, help="turns reported per second")
    parser.add_argument("--batch", type=int, default=10, help="turns per worker report")
    parser.add_argument(
        "--kill-at", type=float, default=0.5, help="fraction of the run; 1 or more: no kill"
    )
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL server instead of SQLite"
    )
    parser.add_argument(
        "--api-processes", type=int, default=1, help="control-plane processes on the port"
    )
    parser.add_argument(
        "--kill-one",
        action="store_true",
        help="with --api-processes > 1: kill one process (uvicorn restarts it), not all",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vx-bench-webhooks-"))
    with contextlib.ExitStack() as stack:
        if args.postgres:
            args.database_url = stack.enter_context(postgres_server())
        result = asyncio.run(run(args, workdir))
        result["database"] = (args.database_url or "sqlite").split(":", 1)[0].split("+")[0]
    print(json.dumps(result, indent=2))
    if result["lost"]:
        print(f"events were lost: logs and database kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
