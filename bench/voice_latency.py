"""Voice-to-voice latency and per-session resources of the whole platform, over real WebRTC.

Run on demand as root (it re-executes itself in a loopback-only network namespace):

    .venv/bin/python -m bench.voice_latency [--turns 20] [--concurrency 1 5 10]

Everything is real: Redis, livekit-server on that Redis with webhooks, the control plane
(`python -m voxroom api`) and the agent worker (`python -m voxroom worker`), started by
`tests.stack.voxroom_stack` with `voxroom.launcher` (the code `voxroom up` runs).
The bench creates an agent through the public API and, per call, mints a caller token that
dispatches the agent, then talks to it with `tests.media.Caller`.

With `--providers doubles` the calls are cloud-style: the agent's STT, LLM and TTS are
livekit's openai plugin (`provider: openai`), pointed with `OPENAI_BASE_URL` at local doubles of
the paid APIs (`bench.provider_doubles`: set delays, canned answers, almost no CPU), so what the
worker spends per call is VAD, turn detection, WebRTC and the plugins. Each level then also
splits the machine's CPU by component (callers = this process).

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
import bisect
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
import numpy as np
import psutil

from bench.namespace import run_inside
from bench.provider_doubles import Script, doubles_running
from tests import netns
from tests.gateway.clients import PlainCaller
from tests.media import Caller, flite_wav, normalized, read_wav
from tests.stack import Stack, voxroom_stack
from voxroom.voice_client import AUDIBLE_RMS, Recording

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


async def reply_span(
    recording: Recording, *, since: float, quiet_s: float, limit_s: float
) -> tuple[float | None, float | None]:
    """As `Caller.wait_until_quiet` (first audible frame after `since`, last audible frame,
    then `quiet_s` without one), reading each received frame once: the caller's own rescans of
    the whole recording every 50 ms cost 20 callers a good part of a core, and a late loop
    delays the arrival times it reads."""
    deadline = time.monotonic() + limit_s
    first = last = None
    seen = bisect.bisect_left(recording.arrivals, since)
    while True:
        while seen < len(recording.frames):
            frame, arrival = recording.frames[seen], recording.arrivals[seen]
            seen += 1
            if frame.size and np.sqrt(np.mean(frame.astype(np.float64) ** 2)) >= AUDIBLE_RMS:
                first, last = first or arrival, arrival
        now = time.monotonic()
        if first is not None and last is not None and now - last >= quiet_s:
            return first, last
        if now >= deadline:
            return first, last
        await asyncio.sleep(0.05)


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
        await reply_span(caller.recording, since=joined, quiet_s=1.5, limit_s=120)
        for turn in range(turns):
            samples, rate = read_wav(wavs[turn % len(wavs)])
            spoke_at = await caller.say(samples, rate)
            first, _ = await reply_span(caller.recording, since=spoke_at, quiet_s=1.2, limit_s=60)
            call.latencies.append(first - spoke_at if first is not None else None)
            await asyncio.sleep(0.5)
    return call


async def converse_after(
    delay_s: float, platform: Platform, room: str, wavs: list[Path], turns: int
) -> Call:
    """`converse`, from `delay_s` on: calls that arrive apart, as real callers do, instead of
    all asking their questions in the same 10 ms."""
    await asyncio.sleep(delay_s)
    return await converse(platform, room, wavs, turns)


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
    """CPU seconds and memory of a process and all its descendants (or of the process alone,
    `recursive=False`), sampled while it runs."""

    def __init__(self, pid: int, *, recursive: bool = True) -> None:
        self._root = psutil.Process(pid)
        self._recursive = recursive
        self._cpu: dict[int, float] = {}
        self._cpu_at_start: dict[int, float] = {}

    def processes(self) -> list[psutil.Process]:
        if not self._recursive:
            return [self._root]
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


def components(stack: Stack, doubles_pid: int | None) -> dict[str, TreeMeter]:
    """The stack's other processes, each measured apart from the worker's tree, and the callers
    (this process alone: every caller's WebRTC runs in it)."""
    apart = {"callers": TreeMeter(os.getpid(), recursive=False)}
    for child in psutil.Process().children():
        if child.pid == stack.worker_pid:
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


async def resources_at(
    platform: Platform,
    meter: TreeMeter,
    wavs: list[Path],
    calls: int,
    turns: int,
    limit_s: float,
    apart: dict[str, TreeMeter],
    stagger_s: float = 0.0,
) -> dict[str, Any]:
    """`apart`: the other components (`components`), their CPU measured over the same time;
    call i starts `i * stagger_s` after the first."""
    _, idle_pss = meter.memory_mb()
    for tree in [meter, *apart.values()]:
        tree.start()
    machine = psutil.cpu_times()
    service = apart.get("inference")
    peak = (0.0, 0.0)
    service_peak = 0.0
    peak_processes: list[float] = []
    sampler_cpu_s = 0.0
    t0 = time.monotonic()

    def take_sample() -> tuple[float, float, float, list[float] | None]:
        """Sample every tree's CPU; (RSS, PSS of the worker's tree, PSS of the service, each
        worker process's PSS when a new peak). In a thread, off the callers' event loop (each
        sample walks /proc), counting its own CPU: this process's, but not the callers'."""
        nonlocal sampler_cpu_s
        started = time.thread_time()
        for tree in [meter, *apart.values()]:
            tree.sample_cpu()
        rss, pss = meter.memory_mb()
        by_process = meter.pss_by_process_mb() if pss > peak[1] else None
        service_pss = service.memory_mb()[1] if service is not None else 0.0
        sampler_cpu_s += time.thread_time() - started
        return rss, pss, service_pss, by_process

    async def sample() -> None:
        nonlocal peak, service_peak, peak_processes
        while True:
            rss, pss, service_pss, by_process = await asyncio.to_thread(take_sample)
            peak_processes = by_process or peak_processes
            peak = max(peak, (rss, pss), key=lambda m: m[1])
            service_peak = max(service_peak, service_pss)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample(), name="bench.sampler")
    conversations = [
        asyncio.create_task(
            converse_after(i * stagger_s, platform, f"bench_c{calls}_{i}", wavs, turns)
        )
        for i in range(calls)
    ]
    done, pending = await asyncio.wait(conversations, timeout=limit_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    sampler.cancel()
    await asyncio.gather(sampler, return_exceptions=True)
    for tree in [meter, *apart.values()]:
        tree.sample_cpu()
    wall = time.monotonic() - t0
    finished = [t.result() for t in done if t.exception() is None]
    errors = [repr(t.exception()) for t in done if t.exception() is not None]
    errors += [c.error for c in finished if c.error]
    latencies = [x for call in finished for x in call.latencies if x is not None]
    replies = await reported(platform, finished, turns)
    by_component = {
        name: round(100 * tree.cpu_seconds() / wall, 1)
        for name, tree in {"worker": meter, **apart}.items()
    }
    by_component["bench_sampler"] = round(100 * sampler_cpu_s / wall, 1)
    by_component["callers"] = round(by_component["callers"] - by_component["bench_sampler"], 1)
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
        "cpu_percent_of_one_core_by_component": by_component,
        "machine_busy_cores": busy_cores_since(machine, wall),
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


async def measure(
    stack: Stack,
    args: argparse.Namespace,
    agent: dict[str, Any],
    wavs: list[Path],
    doubles: tuple[str, int] | None,
) -> dict[str, Any]:
    """`doubles`: (base URL, pid) of the provider doubles the agent's providers reach."""
    out: dict[str, Any] = {"cpu_count": os.cpu_count(), "agent": agent}
    platform = Platform(stack, agent)
    try:
        await platform.create_agent()
        meter = TreeMeter(stack.worker_pid)
        apart = components(stack, doubles[1] if doubles else None)
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
            limit_s += (calls - 1) * args.stagger_s
            result = await resources_at(
                platform, meter, wavs, calls, args.resource_turns, limit_s, apart, args.stagger_s
            )
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
    worker_env = {
        "VOXROOM_WORKER_NUM_IDLE_PROCESSES": str(max_calls),
        # the bench measures what N calls do to one worker: it must take them all
        "VOXROOM_WORKER_CAPACITY": "1000",
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
        result = asyncio.run(measure(stack, args, agent, wavs, doubles))
    result["worker_env"] = worker_env
    result["providers"] = args.providers
    result["inference_service"] = args.inference
    result["workdir"] = str(workdir)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
