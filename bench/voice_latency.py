"""Voice-to-voice latency and per-session resources of the whole platform, over real WebRTC.

Run on demand as root (it re-executes itself in a loopback-only network namespace):

    .venv/bin/python -m bench.voice_latency [--turns 20] [--concurrency 1 5 10]

Everything is real: Redis, livekit-server on that Redis with webhooks, the control plane
(`python -m voxroom api`) and the agent worker (`python -m voxroom worker`), started by
`tests.stack.voxroom_stack` with `voxroom.launcher` (the code `voxroom up` runs).
The bench creates an agent through the public API and, per call, mints a caller token that
dispatches the agent, then talks to it with `tests.media.Caller`.

With `--transport websocket` the latency call runs twice in the same run, over WebRTC and then
over the media gateway's plain WebSocket (`/ws/voice`, PCM16 in, WAV messages out, with
`tests.gateway.clients.PlainCaller`), and the result gives the ratio of their medians.

Latency is measured at the caller: from the last sample of the caller's question leaving the
caller to the first audible sample of the agent's reply arriving. The per-stage breakdown is
what the worker reported for each agent turn (the `latency` of the session's transcript).
Resources: proportional set size (PSS, so pages shared between forked processes are not
counted twice) and CPU time of the worker's whole process tree while N calls talk at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.namespace import run_inside
from tests import netns
from tests.gateway.clients import PlainCaller
from tests.media import Caller, flite_wav, normalized, read_wav
from tests.stack import Stack, voxroom_stack

INSTRUCTIONS = """You are the voice assistant of Bluebird Bakery.
Our opening hours are seven in the morning to six in the evening, Monday to Saturday.
We are located at twelve Harbour Street, next to the library.
Delivery is free for orders above thirty dollars.
We bake gluten free bread every Tuesday and Friday."""
GREETING = "Hello, Bluebird Bakery."
QUESTIONS: list[tuple[str, str]] = [
    ("Where is the bakery located?", "harbour"),
    ("What are your opening hours?", "seven in the morning"),
    ("Is delivery free?", "thirty dollars"),
    ("Do you have gluten free bread?", "tuesday"),
]
"""Each question with a phrase the right answer contains."""
STAGES = ("end_of_turn_ms", "stt_ms", "llm_first_token_ms", "tts_first_audio_ms")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float], digits: int = 3) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), digits),
        "p95": round(pct(values, 0.95), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


@dataclass
class Call:
    session_id: str
    latencies: list[float | None]
    error: str | None = None


class Platform:
    """The public API of the running stack, as a customer's backend would use it."""

    def __init__(self, stack: Stack, agent_config: dict[str, Any]) -> None:
        self._stack = stack
        self._config = agent_config
        self._http = httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30)
        self._agent_id: str | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_agent(self) -> None:
        response = await self._http.post("/api/v1/agents", json=self._config)
        response.raise_for_status()
        self._agent_id = response.json()["id"]

    async def start_call(self, room: str) -> tuple[str, str, str]:
        """(ws url, caller token, session id) for a new call that dispatches the agent."""
        response = await self._http.post(
            "/api/v1/token",
            json={"identity": f"caller-{room}", "room": room, "agent_config_id": self._agent_id},
        )
        response.raise_for_status()
        body = response.json()
        return body["wsUrl"], body["token"], body["sessions"][0]["session_id"]

    def voice_ws_url(self) -> str:
        """The media gateway's `/ws/voice` for this agent, as a browser given the key uses it."""
        base = self._stack.gateway_url.replace("http://", "ws://")
        return f"{base}/ws/voice?api_key={self._stack.api_key}&agent_id={self._agent_id}"

    async def transcript(self, session_id: str) -> list[dict[str, Any]]:
        response = await self._http.get(f"/api/v1/sessions/{session_id}/transcript")
        response.raise_for_status()
        turns: list[dict[str, Any]] = response.json()["transcripts"]
        return turns


async def converse(platform: Platform, room: str, wavs: list[Path], turns: int) -> Call:
    """One caller: wait for the greeting, then ask `turns` questions; latency per turn (s)."""
    url, token, session_id = await platform.start_call(room)
    call = Call(session_id, [])
    async with Caller(url, token) as caller:
        joined = time.monotonic()
        try:
            await caller.wait_for_agent_audio_track(limit_s=120)
        except TimeoutError:
            call.error = "no agent audio track within 120 s"
            call.latencies = [None] * turns
            return call
        await caller.wait_until_quiet(since=joined, limit_s=120)
        for turn in range(turns):
            samples, rate = read_wav(wavs[turn % len(wavs)])
            spoke_at = await caller.say(samples, rate)
            first, _ = await caller.wait_until_quiet(since=spoke_at, quiet_s=1.2, limit_s=60)
            call.latencies.append(first - spoke_at if first is not None else None)
            await asyncio.sleep(0.5)
    return call


async def converse_websocket(platform: Platform, wavs: list[Path], turns: int) -> Call:
    """As `converse`, over the media gateway's plain WebSocket (PCM16 in, WAV messages out)."""
    async with PlainCaller(platform.voice_ws_url()) as caller:
        joined = time.monotonic()
        try:
            connected = await caller.wait_message("connected", limit_s=120)
        except AssertionError:
            return Call("", [None] * turns, "no connected message within 120 s")
        call = Call(connected["sessionId"], [])
        await caller.wait_until_quiet(since=joined, limit_s=120)
        for turn in range(turns):
            samples, rate = read_wav(wavs[turn % len(wavs)])
            spoke_at = await caller.say(samples, rate)
            first, _ = await caller.wait_until_quiet(since=spoke_at, quiet_s=1.2, limit_s=60)
            call.latencies.append(first - spoke_at if first is not None else None)
            await asyncio.sleep(0.5)
    return call


async def reported(platform: Platform, calls: list[Call], turns: int) -> list[dict[str, Any]]:
    """Agent replies (after the greeting) as stored by the control plane, per call."""
    replies: list[dict[str, Any]] = []
    for call in calls:
        agent_turns: list[dict[str, Any]] = []
        for _ in range(50):  # the last turn's report may still be on its way
            agent_turns = [
                t for t in await platform.transcript(call.session_id) if t["speaker"] == "agent"
            ]
            if len(agent_turns) >= turns + 1:
                break
            await asyncio.sleep(0.2)
        # each reply keeps the index of its turn in its own call (questions cycle per call)
        replies.extend({**reply, "turn": i} for i, reply in enumerate(agent_turns[1:]))
    return replies


def correct_answers(replies: list[dict[str, Any]]) -> int:
    """Replies that carry the expected fact of the question asked (questions cycle)."""
    right = 0
    for reply in replies:
        expected = QUESTIONS[reply["turn"] % len(QUESTIONS)][1]
        right += expected in normalized(reply["content"])
    return right


def stage_breakdown(replies: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    for reply in replies:
        for name in STAGES:
            value = (reply.get("latency") or {}).get(name)
            if value is not None:
                stages[name].append(float(value))
    return {name: summary(values, 1) for name, values in stages.items()}


class TreeMeter:
    """CPU seconds and memory of a process and all its descendants, sampled while it runs."""

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._cpu: dict[int, float] = {}
        self._cpu_at_start: dict[int, float] = {}

    def processes(self) -> list[psutil.Process]:
        return [self._root, *self._root.children(recursive=True)]

    def memory_mb(self) -> tuple[float, float]:
        """(sum of RSS, sum of PSS) of the tree, MB."""
        rss = pss = 0.0
        for proc in self.processes():
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            rss += info.rss / 2**20
            pss += info.pss / 2**20
        return rss, pss

    def pss_by_process_mb(self) -> list[float]:
        """PSS of each process of the tree, MB, largest first (worker, then job processes)."""
        sizes = []
        for proc in self.processes():
            try:
                sizes.append(round(proc.memory_full_info().pss / 2**20, 1))
            except psutil.Error:
                continue
        return sorted(sizes, reverse=True)

    def sample_cpu(self) -> None:
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            self._cpu[proc.pid] = times.user + times.system

    def start(self) -> None:
        self.sample_cpu()
        self._cpu_at_start = dict(self._cpu)

    def cpu_seconds(self) -> float:
        return sum(used - self._cpu_at_start.get(pid, 0.0) for pid, used in self._cpu.items())


async def settle(meter: TreeMeter, *, busy_cores: float = 0.25, limit_s: float = 90.0) -> bool:
    """Wait until the worker is nearly idle (warm processes loaded, previous calls ended).

    Bounded, so an overloaded worker still lets the bench finish; False if it never was.
    """
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        meter.start()
        await asyncio.sleep(2.0)
        meter.sample_cpu()
        if meter.cpu_seconds() / 2.0 < busy_cores:
            return True
    return False


async def resources_at(
    platform: Platform,
    meter: TreeMeter,
    wavs: list[Path],
    calls: int,
    turns: int,
    limit_s: float,
    service: TreeMeter | None = None,
) -> dict[str, Any]:
    """`service`: the inference service, measured apart from the worker's tree."""
    _, idle_pss = meter.memory_mb()
    meter.start()
    if service is not None:
        service.start()
    peak = (0.0, 0.0)
    service_peak = 0.0
    peak_processes: list[float] = []
    t0 = time.monotonic()

    async def sample() -> None:
        nonlocal peak, service_peak, peak_processes
        while True:
            meter.sample_cpu()
            rss, pss = await asyncio.to_thread(meter.memory_mb)
            if pss > peak[1]:
                peak_processes = await asyncio.to_thread(meter.pss_by_process_mb)
            peak = max(peak, (rss, pss), key=lambda m: m[1])
            if service is not None:
                service.sample_cpu()
                service_peak = max(service_peak, (await asyncio.to_thread(service.memory_mb))[1])
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample(), name="bench.sampler")
    conversations = [
        asyncio.create_task(converse(platform, f"bench_c{calls}_{i}", wavs, turns))
        for i in range(calls)
    ]
    done, pending = await asyncio.wait(conversations, timeout=limit_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    sampler.cancel()
    await asyncio.gather(sampler, return_exceptions=True)
    meter.sample_cpu()
    if service is not None:
        service.sample_cpu()
    wall = time.monotonic() - t0
    finished = [t.result() for t in done if t.exception() is None]
    errors = [repr(t.exception()) for t in done if t.exception() is not None]
    errors += [c.error for c in finished if c.error]
    latencies = [x for call in finished for x in call.latencies if x is not None]
    replies = await reported(platform, finished, turns)
    return {
        "calls": calls,
        "finished_within_limit": f"{len(finished)}/{calls} in {limit_s:.0f} s",
        "turns_answered": f"{len(latencies)}/{calls * turns}",
        "answers_correct": correct_answers(replies),
        "latency_s": summary(latencies),
        "worker_tree_pss_mb_idle": round(idle_pss, 1),
        "worker_tree_rss_mb_peak": round(peak[0], 1),
        "worker_tree_pss_mb_peak": round(peak[1], 1),
        "pss_mb_per_session": round(peak[1] / calls, 1),
        "pss_mb_added_per_session": round((peak[1] - idle_pss) / calls, 1),
        "worker_pss_mb_by_process_at_peak": peak_processes,
        "cpu_percent_of_one_core_per_session": round(100 * meter.cpu_seconds() / wall / calls, 1),
        "wall_s": round(wall, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "errors": errors,
        **(
            {
                "inference_pss_mb_peak": round(service_peak, 1),
                "inference_cpu_percent_of_one_core_per_session": round(
                    100 * service.cpu_seconds() / wall / calls, 1
                ),
            }
            if service is not None
            else {}
        ),
    }


async def measure(stack: Stack, args: argparse.Namespace, agent: dict[str, Any]) -> dict[str, Any]:
    wavs = [flite_wav(q, stack.workdir / f"q{i}.wav") for i, (q, _) in enumerate(QUESTIONS)]
    out: dict[str, Any] = {"cpu_count": os.cpu_count(), "agent": agent}
    platform = Platform(stack, agent)
    try:
        await platform.create_agent()
        meter = TreeMeter(stack.worker_pid)
        await settle(meter)
        # `--transport websocket` measures WebRTC and the gateway's WebSocket in one run.
        transports = ["webrtc", "websocket"] if args.transport == "websocket" else ["webrtc"]
        for transport in transports if args.turns else []:
            talk = (
                converse(platform, "bench_latency", wavs, args.turns)
                if transport == "webrtc"
                else converse_websocket(platform, wavs, args.turns)
            )
            call = await asyncio.wait_for(talk, args.turns * 20 + 120)
            replies = await reported(platform, [call], args.turns)
            measured = [x for x in call.latencies if x is not None]
            key = "latency" if transport == "webrtc" else "latency_websocket"
            out[key] = {
                "turns": args.turns,
                "answered": len(measured),
                "answers_correct": correct_answers(replies),
                "voice_to_voice_s": summary(measured),
                "stages_reported_by_worker_ms": stage_breakdown(replies),
            }
            print(json.dumps(out, indent=2), flush=True)
            await settle(meter)
        if "latency_websocket" in out and out["latency"]["voice_to_voice_s"].get("p50"):
            out["websocket_over_webrtc_p50"] = round(
                out["latency_websocket"]["voice_to_voice_s"]["p50"]
                / out["latency"]["voice_to_voice_s"]["p50"],
                3,
            )
        out["resources"] = []
        for calls in args.concurrency:
            settled = await settle(meter)
            # a dispatch created right after the previous call ended sometimes never reaches
            # the worker (seen with both executors); a pause avoids measuring that
            await asyncio.sleep(5)
            limit_s = 90 + 25.0 * args.resource_turns * max(1, calls // 2)
            service = TreeMeter(stack.inference_pid) if stack.inference_pid else None
            result = await resources_at(
                platform, meter, wavs, calls, args.resource_turns, limit_s, service
            )
            result["worker_idle_before"] = settled
            out["resources"].append(result)
            print(json.dumps(result), flush=True)
    finally:
        await platform.aclose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20, help="turns of the latency call")
    parser.add_argument("--resource-turns", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 5, 10])
    parser.add_argument(
        "--transport",
        choices=["webrtc", "websocket"],
        default="webrtc",
        help="websocket: the latency call also over the media gateway's /ws/voice, same run",
    )
    parser.add_argument("--turn-detection", choices=["model", "vad", "stt"], default="model")
    parser.add_argument("--stt-model", help="the agent's stt.model (e.g. base, tiny.en)")
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the worker (repeatable)",
    )
    parser.add_argument(
        "--inference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="models in the machine's inference service, one process per call (as voxroom up); "
        "--no-inference: the worker loads them and runs calls as threads",
    )
    parser.add_argument("--time-limit", type=float, default=1800.0, help="whole run, seconds")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if not netns.inside():
        return run_inside("bench.voice_latency", args.time_limit)

    agent: dict[str, Any] = {
        "name": "bench",
        "instructions": INSTRUCTIONS,
        "first_message": GREETING,
        "turn_detection": {"mode": args.turn_detection},
    }
    if args.stt_model:
        agent["stt"] = {"provider": "whisper", "model": args.stt_model}
    max_calls = max(args.concurrency, default=1)
    worker_env = {
        "VOXROOM_WORKER_NUM_IDLE_PROCESSES": str(max_calls),
        # the bench measures what N calls do to one worker: it must take them all
        "VOXROOM_WORKER_CAPACITY": "1000",
        **dict(item.split("=", 1) for item in args.worker_env),
    }
    # kept for the logs of the control plane, the worker and livekit-server
    workdir = Path(tempfile.mkdtemp(prefix="voxroom-bench-"))
    with voxroom_stack(workdir, worker_env=worker_env, inference=args.inference) as stack:
        result = asyncio.run(measure(stack, args, agent))
    result["worker_env"] = worker_env
    result["inference_service"] = args.inference
    result["workdir"] = str(workdir)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
