"""Voice-to-voice latency and per-session resources of the whole platform, over real WebRTC.

Run on demand as root (it re-executes itself in a loopback-only network namespace):

    .venv/bin/python -m bench.voice_latency [--turns 20] [--concurrency 1 5 10]

Everything is real: Redis, livekit-server on that Redis with webhooks, the control plane
(`python -m voxroom api`) and the agent worker (`python -m voxroom worker`), started by
`tests.stack.voxroom_stack` with `voxroom.launcher` (the code `voxroom up` runs).
The bench creates an agent through the public API and, per call, mints a caller token that
dispatches the agent; the call's caller (`bench.lean_caller`: `tests.media.Caller`'s
conversation and measurement with a load generator's CPU) runs in a caller process of its own
(`bench.caller_pool`, `--caller-processes`). `--workers N` runs N agent workers as
`voxroom up --workers N` does, `--executor` chooses their job executor.

With `--providers doubles` the calls are cloud-style: the agent's STT, LLM and TTS are
livekit's openai plugin (`provider: openai`), pointed with `OPENAI_BASE_URL` at local doubles of
the paid APIs (`bench.provider_doubles`: set delays, canned answers, almost no CPU), so what the
worker spends per call is VAD, turn detection, WebRTC and the plugins. Each level then also
splits the machine's CPU by component (callers: the caller processes; bench: this process).

With `--transport websocket` the latency call runs twice in the same run, over WebRTC and then
over the media gateway's plain WebSocket (`/ws/voice`, PCM16 in, WAV messages out, with
`tests.gateway.clients.PlainCaller`), and the result gives the ratio of their medians.

Latency is measured at the caller: from the last 10 ms of the caller's question leaving the
caller to the first audible 10 ms of the agent's reply arriving. The per-stage breakdown is
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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.caller_pool import CallerPool
from bench.namespace import run_inside
from bench.process_meters import TreeMeter, proc_table
from bench.provider_doubles import Script, doubles_running
from tests import netns
from tests.gateway.clients import PlainCaller
from tests.media import flite_wav, normalized, read_wav
from tests.services import free_port, started
from tests.stack import Stack, voxroom_stack
from voxroom import launcher

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
CANNED_REPLIES = {
    "Where is the bakery located?": "We are at twelve Harbour Street, next to the library.",
    "What are your opening hours?": (
        "We are open from seven in the morning to six in the evening, Monday to Saturday."
    ),
    "Is delivery free?": "Delivery is free for orders above thirty dollars.",
    "Do you have gluten free bread?": "Yes, we bake gluten free bread every Tuesday and Friday.",
}
"""What the LLM double answers to each question (`--providers doubles`)."""
FALLBACK_REPLY = "Sorry, could you say that again?"
TOKEN_TRIES = 10
SAMPLE_EVERY_S = 1.0
"""How often the workers' memory and every component's CPU are sampled during a level."""
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
    duration_s: float = 0.0
    """From asking for the call's token to the caller's hanging up."""


class Platform:
    """The public API of the running stack, as a customer's backend would use it."""

    def __init__(self, stack: Stack, agent_config: dict[str, Any]) -> None:
        self._stack = stack
        self._config = agent_config
        self._http = httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30)
        self._agent_id: str | None = None
        self.token_retries = 0
        """Token requests answered 429 and asked again."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_agent(self) -> None:
        response = await self._http.post("/api/v1/agents", json=self._config)
        response.raise_for_status()
        self._agent_id = response.json()["id"]

    async def start_call(self, room: str) -> tuple[str, str, str]:
        """(ws url, caller token, session id) for a new call that dispatches the agent.

        A 429 is retried after its Retry-After, as a customer's backend would: calls started
        together queue on the project's quota lock, and on a loaded machine the last of 20
        waited past its limit."""
        body = {"identity": f"caller-{room}", "room": room, "agent_config_id": self._agent_id}
        for _ in range(TOKEN_TRIES):
            response = await self._http.post("/api/v1/token", json=body)
            if response.status_code != 429:
                break
            self.token_retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        response.raise_for_status()
        started = response.json()
        return started["wsUrl"], started["token"], started["sessions"][0]["session_id"]

    def voice_ws_url(self) -> str:
        """The media gateway's `/ws/voice` for this agent, as a browser given the key uses it."""
        base = self._stack.gateway_url.replace("http://", "ws://")
        return f"{base}/ws/voice?api_key={self._stack.api_key}&agent_id={self._agent_id}"

    async def transcript(self, session_id: str) -> list[dict[str, Any]]:
        response = await self._http.get(f"/api/v1/sessions/{session_id}/transcript")
        response.raise_for_status()
        turns: list[dict[str, Any]] = response.json()["transcripts"]
        return turns


async def converse(platform: Platform, callers: CallerPool, room: str, turns: int) -> Call:
    """One call: its token from the control plane, its caller in one of the caller processes
    (`bench.caller_pool`): the greeting, then `turns` questions; latency per turn (s)."""
    started = time.monotonic()
    url, token, session_id = await platform.start_call(room)
    latencies, error = await callers.call(url, token)
    return Call(session_id, latencies, error, time.monotonic() - started)


async def converse_after(
    delay_s: float, platform: Platform, callers: CallerPool, room: str, turns: int
) -> Call:
    """`converse`, from `delay_s` on: calls that arrive apart, as real callers do, instead of
    all asking their questions in the same 10 ms."""
    await asyncio.sleep(delay_s)
    return await converse(platform, callers, room, turns)


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
    """Agent replies (after the greeting) as stored by the control plane, per call (read for
    all calls at once: a call short of replies waits up to 10 s for its last report)."""

    async def replies_of(call: Call) -> list[dict[str, Any]]:
        agent_turns: list[dict[str, Any]] = []
        for _ in range(50):  # the last turn's report may still be on its way
            agent_turns = [
                t for t in await platform.transcript(call.session_id) if t["speaker"] == "agent"
            ]
            if len(agent_turns) >= turns + 1:
                break
            await asyncio.sleep(0.2)
        # each reply keeps the index of its turn in its own call (questions cycle per call)
        return [{**reply, "turn": i} for i, reply in enumerate(agent_turns[1:])]

    per_call = await asyncio.gather(*(replies_of(call) for call in calls))
    return [reply for replies in per_call for reply in replies]


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


def components(stack: Stack, workers: list[int], doubles_pid: int | None) -> dict[str, TreeMeter]:
    """The stack's other processes, each measured apart from the workers' trees, and this
    process alone ("bench": its API calls and sampling; the callers run in processes of their
    own)."""
    apart = {"bench": TreeMeter(os.getpid(), recursive=False)}
    for child in psutil.Process().children():
        if child.pid in workers:
            continue
        if child.pid == stack.inference_pid:
            name = "inference"
        elif child.pid == doubles_pid:
            name = "provider_doubles"
        else:
            argv = child.cmdline()
            # `python -m voxroom api` -> api; a binary by its name
            name = argv[argv.index("-m") + 2] if "-m" in argv[:-2] else child.name()
        apart[name] = TreeMeter(child.pid)
    return apart


def busy_cores_since(before: Any, wall_s: float) -> float:
    """Cores the whole machine kept busy since `before` (`psutil.cpu_times()`), other users'
    work included."""
    after = psutil.cpu_times()
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    return round((sum(after) - sum(before) - idle) / wall_s, 2)


@dataclass
class Bench:
    """What every concurrency level runs against and measures."""

    platform: Platform
    workers: list[int]
    """The agent workers' pids (each with its job processes)."""
    apart: dict[str, TreeMeter]
    """The other components (`components`), their CPU measured over the same time."""
    wavs: list[Path]
    workdir: Path
    """Where the callers' log goes."""
    caller_processes: int
    caller: str = "lean"
    """The callers' kind (`bench.caller_pool.CALLERS`)."""
    stagger_s: float = 0.0
    """Call i starts `i * stagger_s` after the first."""

    @property
    def meter(self) -> TreeMeter:
        return TreeMeter(*self.workers)


async def resources_at(bench: Bench, calls: int, turns: int, limit_s: float) -> dict[str, Any]:
    meter = bench.meter
    retries_before = bench.platform.token_retries
    by_worker = {f"worker_{i + 1}": TreeMeter(pid) for i, pid in enumerate(bench.workers)}
    _, idle_pss = meter.memory_mb()
    log = bench.workdir / "callers.log"
    processes = min(bench.caller_processes, calls)
    async with CallerPool(processes, bench.wavs, turns, log, bench.caller) as callers:
        trees = {
            "worker": meter,
            **bench.apart,
            "callers": TreeMeter(*callers.pids),
            **(by_worker if len(by_worker) > 1 else {}),
        }
        table = proc_table()
        for tree in trees.values():
            tree.start(table)
        machine = psutil.cpu_times()
        service = bench.apart.get("inference")
        peak = (0.0, 0.0)
        service_peak = 0.0
        peak_processes: list[float] = []
        sampler_cpu_s = 0.0
        t0 = time.monotonic()

        def take_sample() -> tuple[float, float, float, list[float] | None]:
            """Sample every tree's CPU from one read of /proc; (RSS, PSS of the workers' trees,
            PSS of the service, each worker process's PSS when a new peak). In a thread, off
            the bench's event loop, counting its own CPU (this process's, set apart)."""
            nonlocal sampler_cpu_s
            started = time.thread_time()
            table = proc_table()
            for tree in trees.values():
                tree.sample_cpu(table)
            sizes = meter.memory_by_process(table)
            rss, pss = sum(s[0] for s in sizes), sum(s[1] for s in sizes)
            by_process = sorted((round(s[1], 1) for s in sizes), reverse=True)
            service_pss = service.memory_mb(table)[1] if service is not None else 0.0
            sampler_cpu_s += time.thread_time() - started
            return rss, pss, service_pss, by_process if pss > peak[1] else None

        async def sample() -> None:
            nonlocal peak, service_peak, peak_processes
            while True:
                rss, pss, service_pss, by_process = await asyncio.to_thread(take_sample)
                peak_processes = by_process or peak_processes
                peak = max(peak, (rss, pss), key=lambda m: m[1])
                service_peak = max(service_peak, service_pss)
                await asyncio.sleep(SAMPLE_EVERY_S)

        sampler = asyncio.create_task(sample(), name="bench.sampler")
        conversations = [
            asyncio.create_task(
                converse_after(
                    i * bench.stagger_s, bench.platform, callers, f"bench_c{calls}_{i}", turns
                )
            )
            for i in range(calls)
        ]
        done, pending = await asyncio.wait(conversations, timeout=limit_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        table = proc_table()
        for tree in trees.values():
            tree.sample_cpu(table)
        wall = time.monotonic() - t0
    finished = [t.result() for t in done if t.exception() is None]
    errors = [repr(t.exception()) for t in done if t.exception() is not None]
    errors += [c.error for c in finished if c.error]
    # the time calls were up: CPU over it is per call in progress, however long the
    # slowest call kept the level going (a call that failed to start counts nothing)
    call_s = sum(c.duration_s for c in finished) + sum(
        wall - i * bench.stagger_s for i, t in enumerate(conversations) if t in pending
    )
    latencies = [x for call in finished for x in call.latencies if x is not None]
    replies = await reported(bench.platform, finished, turns)
    cpu = {name: round(100 * tree.cpu_seconds() / wall, 1) for name, tree in trees.items()}
    cpu["bench_sampler"] = round(100 * sampler_cpu_s / wall, 1)
    cpu["bench"] = round(cpu["bench"] - cpu["bench_sampler"], 1)
    by_worker_cpu = {name: cpu.pop(name) for name in by_worker if name in cpu}
    return {
        "calls": calls,
        "workers": len(bench.workers),
        "caller_processes": len(callers.pids),
        "caller": bench.caller,
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
        "cpu_percent_of_one_core_per_session": round(cpu["worker"] / calls, 1),
        "call_seconds": round(call_s, 1),
        "worker_cpu_percent_of_one_core_per_call_in_progress": per_call(meter, call_s),
        "callers_cpu_percent_of_one_core_per_call_in_progress": per_call(trees["callers"], call_s),
        "cpu_percent_of_one_core_by_component": cpu,
        **({"cpu_percent_of_one_core_by_worker": by_worker_cpu} if by_worker_cpu else {}),
        "machine_busy_cores": busy_cores_since(machine, wall),
        "wall_s": round(wall, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "errors": errors,
        "token_retries_after_429": bench.platform.token_retries - retries_before,
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


def per_call(tree: TreeMeter, call_s: float) -> float | None:
    """CPU of `tree` in % of a core per call in progress: CPU seconds over call seconds."""
    return round(100 * tree.cpu_seconds() / call_s, 1) if call_s else None


async def measure(
    stack: Stack,
    workers: list[int],
    args: argparse.Namespace,
    agent: dict[str, Any],
    wavs: list[Path],
    doubles: tuple[str, int] | None,
) -> dict[str, Any]:
    """`workers`: the agent workers' pids; `doubles`: (base URL, pid) of the provider doubles
    the agent's providers reach."""
    out: dict[str, Any] = {"cpu_count": os.cpu_count(), "agent": agent}
    platform = Platform(stack, agent)
    try:
        await platform.create_agent()
        apart = components(stack, workers, doubles[1] if doubles else None)
        bench = Bench(
            platform,
            workers,
            apart,
            wavs,
            stack.workdir,
            args.caller_processes,
            args.caller,
            args.stagger_s,
        )
        meter = bench.meter
        await settle(meter)
        # `--transport websocket` measures WebRTC and the gateway's WebSocket in one run.
        transports = ["webrtc", "websocket"] if args.transport == "websocket" else ["webrtc"]
        for transport in transports if args.turns else []:
            limit_s = args.turns * 20 + 120
            if transport == "webrtc":
                log = stack.workdir / "callers.log"
                async with CallerPool(1, wavs, args.turns, log, args.caller) as one:
                    talk = converse(platform, one, "bench_latency", args.turns)
                    call = await asyncio.wait_for(talk, limit_s)
            else:
                talk = converse_websocket(platform, wavs, args.turns)
                call = await asyncio.wait_for(talk, limit_s)
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
            limit_s += (calls - 1) * args.stagger_s
            result = await resources_at(bench, calls, args.resource_turns, limit_s)
            result["worker_idle_before"] = settled
            result["stagger_s"] = args.stagger_s
            out["resources"].append(result)
            print(json.dumps(result), flush=True)
        compare_to_one_call(out["resources"])
        if doubles:
            async with httpx.AsyncClient(base_url=doubles[0]) as http:
                out["provider_doubles"] = (await http.get("/stats")).json()
    finally:
        await platform.aclose()
    return out


def compare_to_one_call(levels: list[dict[str, Any]]) -> None:
    """Each level's p50 and p95 over those of the run's 1-call level (§5: p95 within 15 %)."""
    one: dict[str, Any] = next((lv["latency_s"] for lv in levels if lv["calls"] == 1), {})
    for level in levels:
        for q in ("p50", "p95"):
            if one.get(q) and level["latency_s"].get(q):
                level[f"{q}_over_1_call"] = round(level["latency_s"][q] / one[q], 3)


def more_workers(stack: Stack, count: int, running: ExitStack) -> list[int]:
    """`count` more agent workers beside the stack's, started as `voxroom up --workers` starts
    them: the same command and environment (the stack's worker's own, read from /proc), each
    with its own health port; their pids."""
    environ = Path(f"/proc/{stack.worker_pid}/environ").read_bytes().split(b"\0")
    env = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    pids = []
    for index in range(2, count + 2):
        worker = launcher.agent_worker(free_port(), env, name=f"worker-{index}", inherit_env=False)
        log = stack.workdir / f"worker-{index}.log"
        pids.append(running.enter_context(started(worker, log)).pid)
    return pids


def question_wavs(folder: Path) -> list[Path]:
    return [flite_wav(q, folder / f"q{i}.wav") for i, (q, _) in enumerate(QUESTIONS)]


def doubles_script(wavs: list[Path]) -> Script:
    return Script(
        utterances={str(wav): q for wav, (q, _) in zip(wavs, QUESTIONS, strict=True)},
        replies=CANNED_REPLIES,
        fallback_reply=FALLBACK_REPLY,
        spoken=[GREETING],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20, help="turns of the latency call")
    parser.add_argument("--resource-turns", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 5, 10])
    parser.add_argument(
        "--stagger-s",
        type=float,
        default=0.0,
        help="concurrent calls start this far apart (0: all at once, every question together)",
    )
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
    parser.add_argument(
        "--providers",
        choices=["offline", "doubles"],
        default="offline",
        help="doubles: cloud-style calls, livekit's openai plugin against local doubles of the "
        "paid STT, LLM and TTS APIs (bench.provider_doubles)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="agent worker processes (as voxroom up --workers); each takes an equal share of "
        "the largest level's calls as its capacity, so LiveKit spreads the calls",
    )
    parser.add_argument(
        "--executor",
        choices=["thread", "process"],
        help="the workers' job executor (default: process with the inference service, "
        "thread without)",
    )
    parser.add_argument(
        "--caller-processes",
        type=int,
        default=1,
        help="processes the concurrent callers are spread over (bench.caller_pool)",
    )
    parser.add_argument(
        "--caller",
        choices=["lean", "classic"],
        default="lean",
        help="classic: tests.media.Caller as before the lean caller (to compare cost and "
        "measurement)",
    )
    parser.add_argument("--time-limit", type=float, default=1800.0, help="whole run, seconds")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.stt_model and args.providers == "doubles":
        parser.error("--stt-model chooses a Whisper model; the doubles are the STT")
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
    per_worker = -(-max_calls // args.workers)
    worker_env = {
        "VOXROOM_WORKER_NUM_IDLE_PROCESSES": str(per_worker),
        # twice a fair share: LiveKit offers a call to a worker drawn at random weighted by
        # its free share, so calls spread, and calls of the previous level still ending (the
        # control plane counts them) leave room for the next level's
        "VOXROOM_WORKER_CAPACITY": str(2 * per_worker + 2),
        **({"VOXROOM_WORKER_JOB_EXECUTOR": args.executor} if args.executor else {}),
        **dict(item.split("=", 1) for item in args.worker_env),
    }
    # kept for the logs of the control plane, the worker and livekit-server
    workdir = Path(tempfile.mkdtemp(prefix="voxroom-bench-"))
    wavs = question_wavs(workdir)
    with ExitStack() as running:
        doubles = None
        if args.providers == "doubles":
            doubles = running.enter_context(doubles_running(workdir, doubles_script(wavs)))
            cloud = {"provider": "openai"}
            agent.update(stt=cloud, llm=cloud, tts=cloud)
            # the openai SDK's own variable: every plugin client of the worker reaches the doubles
            worker_env.update(OPENAI_BASE_URL=f"{doubles[0]}/v1", OPENAI_API_KEY="double")
        stack = running.enter_context(
            voxroom_stack(workdir, worker_env=worker_env, inference=args.inference)
        )
        workers = [stack.worker_pid, *more_workers(stack, args.workers - 1, running)]
        result = asyncio.run(measure(stack, workers, args, agent, wavs, doubles))
    result["worker_env"] = worker_env
    result["workers"] = args.workers
    result["providers"] = args.providers
    result["inference_service"] = args.inference
    result["workdir"] = str(workdir)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
