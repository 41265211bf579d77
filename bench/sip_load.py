"""Inbound phone calls under load through the real livekit-sip (issue 13 §8): calls attempted,
completed and failed, calls/s, concurrent calls, post-dial delay, answer latency, and the memory
of the agent workers and of livekit-sip while the calls run.

Run on demand as root (it runs itself again inside a loopback-only network namespace):

    .venv/bin/python -m bench.sip_load [--rate 0.16] [--calls 8] [--duration 25]
        [--capacity 5] [--workers 1] [--max-concurrent N] [--soak-minutes 10] [--no-question]

Everything is real: Redis, livekit-server, the control plane and the agent worker(s)
(`tests.stack.voxroom_stack`, started by `voxroom.launcher`) and livekit-sip
(`tests.sip.bridge.livekit_sip`). The bench creates an agent, an inbound trunk and a phone line
through the public API; SIPp (`bench/sip_load.xml`) dials the line at a fixed rate (`-r`), at
most `--max-concurrent` calls at once (`-l`, default workers x capacity), `--calls` calls in all
(`-m`; `--soak-minutes` makes it rate x minutes), each held `--duration` s, and exits by itself.
Each caller sends G.711 (silence while the agent greets, a flite question, silence) and offers
an RTP port of its own, where a socket of this bench records what the caller hears.

- attempted / completed / failed: SIPp's statistics file. A completed call whose caller never
  heard the agent counts as failed too (it reached no agent).
- post-dial delay: INVITE sent to 200 OK received, per call (SIPp's <log> trace, wall clock).
- answer latency: INVITE sent to the first audible RTP packet from the agent (its greeting), as
  the caller's socket received it; `media_start` is the first RTP packet of any kind.
  `replied_after_question`: calls that heard the agent again after their question.
- concurrent calls: SIPp's CurrentCall (calls being set up included) and established calls
  (200 OK to hang-up, from the trace).
- memory: PSS and RSS of the workers' process trees, of livekit-sip (and of the inference
  service with `--inference`), every `--sample-s` s while calls run: idle before, first and
  last sample of the steady state (from `--duration` + 20 s after the first INVITE), max, and
  the least-squares slope in MB/min; flat memory over a soak is a slope near 0. Also the CPU
  they used, in % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.namespace import run_inside
from bench.process_meters import ProcessMeters, TreeMeter
from bench.sipp_calls import call_figures, read_stats, read_trace, what_callers_heard
from bench.voice_latency import settle
from sip import SipSettings
from tests import netns
from tests.media import flite_wav
from tests.services import free_port, started
from tests.sip.bridge import livekit_sip
from tests.sip.phone import RtpRecorder, silent_ulaw_wav, ulaw_wav, wav_seconds
from tests.stack import Stack, voxroom_stack
from voxroom import launcher

SCENARIO = Path(__file__).with_name("sip_load.xml")
LINE_NUMBER = "+442079460958"
CALLER_NUMBER = "+14155550100"
GREETING = "Hello, Bluebird Bakery. How can I help?"
INSTRUCTIONS = """You are the voice assistant of Bluebird Bakery. Keep answers short.
Our opening hours are seven in the morning to six in the evening, Monday to Saturday."""
QUESTION = "What are your opening hours?"
GREETING_WAIT_S = 6.0
"""The caller listens this long after the answer before it asks (the greeting plays then)."""
ANSWER_TIMEOUT_S = 30
"""A call not answered within this long fails (livekit-sip rings forever on a call it drops)."""
SIPP_MEDIA_PORT = 12000
"""SIPp's RTP senders bind from here up: below the ephemeral ports the bench's receivers and
`free_port` take, above livekit-sip's range."""
BRIDGE_RTP_PORTS = (10000, 11999)
RAMP_S = 20.0
"""Steady state starts this long after the first call's duration."""


def planned_calls(args: argparse.Namespace) -> int:
    if args.soak_minutes:
        return max(1, round(args.rate * 60 * args.soak_minutes))
    return int(args.calls)


def planned_s(args: argparse.Namespace) -> float:
    """How long SIPp should run: the last call starts, waits for its answer, is held."""
    return planned_calls(args) / args.rate + ANSWER_TIMEOUT_S + args.duration + 30


async def phone_line(http: httpx.AsyncClient, hold_s: float) -> None:
    agent = await http.post(
        "/api/v1/agents",
        json={"name": "sip-load", "instructions": INSTRUCTIONS, "first_message": GREETING},
    )
    agent.raise_for_status()
    trunk = await http.post(
        "/api/v1/sip/trunks",
        json={
            "name": "load",
            "numbers": [LINE_NUMBER],
            "inbound": {"allowed_addresses": ["127.0.0.1/32"]},
        },
    )
    trunk.raise_for_status()
    line = await http.post(
        "/api/v1/sip/configs",
        json={
            "name": "load line",
            "phone_number": LINE_NUMBER,
            "agent_config_id": agent.json()["id"],
            "max_call_duration": min(3600, math.ceil(hold_s) + 120),
        },
    )
    line.raise_for_status()


def caller_audio(workdir: Path, hold_s: float, question: bool) -> tuple[Path, float | None]:
    """The caller's side as a mu-law WAV a second longer than the call (livekit-sip hangs up on
    a caller who sends no RTP for 15 s), and when, after the answer, the question ends."""
    target = workdir / "caller.wav"
    if not question:
        return silent_ulaw_wav(target, hold_s + 1), None
    spoken = flite_wav(QUESTION, workdir / "question16k.wav")
    length = wav_seconds(spoken)
    if hold_s < GREETING_WAIT_S + length + 8:
        raise SystemExit(f"--duration must be at least {GREETING_WAIT_S + length + 8:.0f} s")
    after_s = hold_s + 1 - GREETING_WAIT_S - length
    return ulaw_wav(spoken, target, before_s=GREETING_WAIT_S, after_s=after_s), (
        GREETING_WAIT_S + length
    )


def sipp_argv(
    args: argparse.Namespace, sip_port: int, workdir: Path, calls: int, limit: int
) -> list[str]:
    return [
        "sipp", f"127.0.0.1:{sip_port}",
        "-sf", str(workdir / "sip_load.xml"),
        "-inf", str(workdir / "rtp_ports.csv"),
        "-s", LINE_NUMBER, "-key", "caller", CALLER_NUMBER,
        "-r", str(args.rate), "-rp", "1000", "-m", str(calls), "-l", str(limit),
        "-d", str(int(args.duration * 1000)),
        "-recv_timeout", str(ANSWER_TIMEOUT_S * 1000),
        "-timeout", str(math.ceil(planned_s(args) + 60)), "-timeout_error",
        "-t", "un", "-i", "127.0.0.1", "-p", str(free_port()),
        "-mi", "127.0.0.1", "-mp", str(SIPP_MEDIA_PORT),
        # SIPp refuses to start if its socket cap is not below the open-file limit
        "-max_socket", str(resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 2),
        "-nostdin",
        "-trace_stat", "-stf", str(workdir / "sipp-stats.csv"), "-fd", "1",
        "-trace_logs", "-log_file", str(workdir / "sipp-calls.log"),
        "-trace_err", "-error_file", str(workdir / "sipp-errors.log"),
    ]  # fmt: skip


async def sip_sessions(http: httpx.AsyncClient, limit_s: float = 60.0) -> dict[str, Any]:
    """The platform's `sip` sessions by status and end reason, once none is active any more
    (or after `limit_s`)."""
    deadline = time.monotonic() + limit_s
    while True:
        sessions: list[dict[str, Any]] = []
        page = 1
        while True:
            listed = await http.get(
                "/api/v1/sessions",
                params={"session_type": "sip", "page": page, "per_page": 100},
            )
            listed.raise_for_status()
            body = listed.json()
            sessions += body["sessions"]
            if page >= body.get("total_pages", 1):
                break
            page += 1
        statuses = Counter(s["status"] for s in sessions)
        if not statuses["active"] or time.monotonic() > deadline:
            return {
                "sessions": len(sessions),
                "by_status": dict(statuses),
                "by_end_reason": dict(Counter(str(s.get("end_reason")) for s in sessions)),
            }
        await asyncio.sleep(2)


async def run_sipp(argv: list[str], workdir: Path, limit_s: float) -> int:
    with (workdir / "sipp.out").open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            return await asyncio.wait_for(process.wait(), limit_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            return -9


async def measure(
    stack: Stack, sip_port: int, pids: dict[str, list[int]], args: argparse.Namespace
) -> dict[str, Any]:
    workdir = stack.workdir
    calls_planned = planned_calls(args)
    limit = args.max_concurrent or args.workers * args.capacity
    http = httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30)
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    receivers: dict[int, RtpRecorder] = {}
    try:
        await phone_line(http, args.duration)
        audio, question_end_s = caller_audio(workdir, args.duration, not args.no_question)
        (workdir / "sip_load.xml").write_text(SCENARIO.read_text().replace("@AUDIO@", str(audio)))
        # A port comes back to SIPp after `pool` calls, when its previous call is long over.
        lifetime_s = ANSWER_TIMEOUT_S + args.duration + 30
        pool = min(calls_planned, math.ceil(args.rate * lifetime_s) + limit)
        for _ in range(pool):
            transport, recorder = await loop.create_datagram_endpoint(
                RtpRecorder, local_addr=("127.0.0.1", 0)
            )
            transports.append(transport)
            receivers[transport.get_extra_info("sockname")[1]] = recorder
        ports = "".join(f"{port}\n" for port in receivers)
        (workdir / "rtp_ports.csv").write_text(f"SEQUENTIAL\n{ports}")

        meters = ProcessMeters(pids)
        await settle(TreeMeter(pids["workers"][0]), limit_s=60)
        idle = await asyncio.to_thread(meters.memory)
        meters.start_cpu()
        sampler = asyncio.create_task(meters.sample_every(args.sample_s), name="bench.memory")
        clock = time.time() - time.monotonic()
        started_at = time.time()
        argv = sipp_argv(args, sip_port, workdir, calls_planned, limit)
        status = await run_sipp(argv, workdir, planned_s(args) + 120)
        wall_s = time.time() - started_at
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        cpu = meters.cpu_percent(wall_s)
        sessions = await sip_sessions(http)
        after = await asyncio.to_thread(meters.memory)
    finally:
        for transport in transports:
            transport.close()
        await http.aclose()

    calls = read_trace(workdir / "sipp-calls.log")
    heard = what_callers_heard(calls, receivers, clock, question_end_s or math.inf)
    stats = read_stats(workdir / "sipp-stats.csv")
    figures = call_figures(calls, stats, heard, ended_by=started_at + wall_s)
    if question_end_s is None:
        figures["calls"]["replied_after_question"] = None
    steady_from = (calls[0].invited if calls else started_at) + args.duration + RAMP_S
    return {
        "offered": {
            "calls": calls_planned,
            "rate_per_s": args.rate,
            "duration_s": args.duration,
            "max_concurrent": limit,
            "workers": args.workers,
            "worker_capacity": args.capacity,
            "caller_asks_a_question": question_end_s is not None,
            "soak_minutes": args.soak_minutes,
        },
        **figures,
        "memory_mb": meters.report(idle, after, steady_from),
        "cpu_percent_of_one_core": cpu,
        "platform_sessions": sessions,
        "sipp_exit_status": status,
        "wall_s": round(wall_s, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def descendant_pid(name: str) -> int:
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if process.name() == name:
                return process.pid
    raise RuntimeError(f"no {name} process among the bench's children")


@contextlib.contextmanager
def more_workers(stack: Stack, count: int) -> Iterator[list[int]]:
    """The stack's worker and `count - 1` more like it (same environment, own health port)."""
    env = psutil.Process(stack.worker_pid).environ()
    env.pop("VOXROOM_WORKER_HTTP_PORT", None)
    with contextlib.ExitStack() as workers:
        pids = [stack.worker_pid]
        for number in range(2, count + 1):
            name = f"worker-{number}"
            component = launcher.agent_worker(free_port(), env, name=name, inherit_env=False)
            pids.append(
                workers.enter_context(started(component, stack.workdir / f"{name}.log")).pid
            )
        yield pids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=0.16, help="new calls per second")
    parser.add_argument("--calls", type=int, default=8, help="calls in all (without a soak)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds each call is held")
    parser.add_argument("--capacity", type=int, default=5, help="VOXROOM_WORKER_CAPACITY")
    parser.add_argument("--workers", type=int, default=1, help="agent worker processes")
    parser.add_argument(
        "--max-concurrent", type=int, default=0, help="SIPp's -l (default: workers x capacity)"
    )
    parser.add_argument(
        "--soak-minutes", type=float, default=0.0, help="calls for this long at --rate"
    )
    parser.add_argument(
        "--no-question", action="store_true", help="callers stay silent (the agent only greets)"
    )
    parser.add_argument("--sample-s", type=float, default=5.0, help="memory sampling period")
    parser.add_argument(
        "--inference", action="store_true", help="models in the machine's inference service"
    )
    parser.add_argument(
        "--worker-env", action="append", default=[], metavar="NAME=VALUE",
        help="extra environment of the workers (repeatable)",
    )  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=0.0, help="whole run, seconds")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.workers < 1 or args.capacity < 1:
        parser.error("--rate, --duration, --workers and --capacity must be positive")
    if not netns.inside():
        # starting the stack (models, several servers) takes up to a few minutes
        return run_inside("bench.sip_load", args.time_limit or planned_s(args) + 900)

    # many calls keep many RTP sockets open in this process
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    worker_env = {
        "VOXROOM_WORKER_CAPACITY": str(args.capacity),
        **dict(item.split("=", 1) for item in args.worker_env),
    }
    workdir = Path(tempfile.mkdtemp(prefix="voxroom-bench-sip-"))
    # the inference keyword only where asked for, so a stack without it still runs the rest
    options = {"inference": True} if args.inference else {}
    bridge = SipSettings(
        port=free_port(),
        health_port=free_port(),
        rtp_port_start=BRIDGE_RTP_PORTS[0],
        rtp_port_end=BRIDGE_RTP_PORTS[1],
        log_level="info",
    )
    with (
        voxroom_stack(workdir, worker_env=worker_env, **options) as stack,
        more_workers(stack, args.workers) as worker_pids,
        livekit_sip(workdir, stack.livekit, bridge),
    ):
        pids = {"workers": worker_pids, "livekit_sip": [descendant_pid("livekit-sip")]}
        inference_pid = getattr(stack, "inference_pid", None)
        if inference_pid:
            pids["inference"] = [inference_pid]
        result = asyncio.run(measure(stack, bridge.port, pids, args))
    result["worker_env"] = worker_env
    result["workdir"] = str(workdir)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
