"""What a call's two WebRTC participants cost with nothing else running: the floor under the
density bench's worker and caller CPU per call (issue 12 §5).

Each call is a room with an "agent" participant and a "caller" participant in processes of
their own (all agents in one process, as in one worker; all callers in another), built with
livekit's Python SDK as the worker and the bench callers are. They take turns to talk, 3 s
each, as a conversation does: the agent side sends 24 kHz audio in 100 ms frames and hears
24 kHz in 50 ms frames (livekit-agents' room output and input), the caller side sends 48 kHz
in 40 ms frames and hears 48 kHz in 50 ms frames (`bench.lean_caller`). No VAD, STT, LLM or
TTS runs: whatever a side costs here, a worker or a caller built on this SDK costs at least.

    python -m bench.webrtc_floor --calls 1 5 10 20 --seconds 30 [--routed]

`--routed` installs `agent_worker.ffi_routing` in both sides first, to measure what it saves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from livekit import rtc

from agent_worker import ffi_routing
from bench.namespace import run_inside
from bench.process_meters import TreeMeter
from tests import netns
from tests.media import caller_token, speech_like
from tests.services import LiveKit, livekit_server

TURN_S = 3.0
SIDES: dict[str, dict[str, int]] = {
    "agent": {"rate": 24000, "send_ms": 100, "hear_ms": 50},
    "caller": {"rate": 48000, "send_ms": 40, "hear_ms": 50},
}


async def talk(source: rtc.AudioSource, side: str, seed: int) -> None:
    """Talk for TURN_S, stay quiet for TURN_S, forever; the caller starts quiet."""
    rate, frame_ms = SIDES[side]["rate"], SIDES[side]["send_ms"]
    speech = speech_like(rate, TURN_S, seed)
    step = rate * frame_ms // 1000
    if side == "caller":
        await asyncio.sleep(TURN_S)
    while True:
        start = time.monotonic()
        for index, offset in enumerate(range(0, speech.size - step + 1, step)):
            frame = rtc.AudioFrame(speech[offset : offset + step].tobytes(), rate, 1, step)
            await source.capture_frame(frame)
            # one frame ahead of real time, as the lean caller keeps it
            await asyncio.sleep(max(0.0, start + index * frame_ms / 1000 - time.monotonic()))
        await asyncio.sleep(max(0.0, start + 2 * TURN_S - time.monotonic()))


async def hear(track: rtc.Track, side: str, heard: list[int]) -> None:
    stream = rtc.AudioStream.from_track(
        track=track,
        sample_rate=SIDES[side]["rate"],
        num_channels=1,
        frame_size_ms=SIDES[side]["hear_ms"],
    )
    async for _event in stream:
        heard[0] += 1


async def participant(
    url: str, token: str, side: str, seed: int, joined: asyncio.Event, heard: list[int]
) -> None:
    room = rtc.Room()
    tasks: list[asyncio.Task[None]] = []

    @room.on("track_subscribed")
    def subscribed(track: rtc.Track, *_: Any) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            tasks.append(asyncio.create_task(hear(track, side, heard)))
            joined.set()

    await room.connect(url, token)
    source = rtc.AudioSource(SIDES[side]["rate"], 1, queue_size_ms=200)
    track = rtc.LocalAudioTrack.create_audio_track("voice", source)
    await room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )
    tasks.append(asyncio.create_task(talk(source, side, seed)))
    await asyncio.Event().wait()  # until the process is stopped


async def run_side(url: str, side: str, tokens: list[str], routed: bool) -> None:
    if routed:
        ffi_routing.install()
    joined = [asyncio.Event() for _ in tokens]
    heard = [0]
    tasks = [
        asyncio.create_task(participant(url, token, side, seed, event, heard))
        for seed, (token, event) in enumerate(zip(tokens, joined, strict=True))
    ]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in joined)), 60)
    print(json.dumps({"ready": True}), flush=True)
    ready_at, heard_at_ready = time.monotonic(), heard[0]
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    # each participant should hear about 20 frames a second (50 ms frames): media flowed
    rate = (heard[0] - heard_at_ready) / len(tokens) / (time.monotonic() - ready_at)
    print(json.dumps({"frames_heard_per_participant_per_s": round(rate, 1)}), flush=True)
    for task in tasks:
        task.cancel()


def side_main(args: argparse.Namespace) -> int:
    tokens = json.loads(sys.stdin.readline())
    asyncio.run(run_side(args.url, args.side, tokens, args.routed))
    return 0


def start_side(url: str, side: str, tokens: list[str], routed: bool) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bench.webrtc_floor", "--side", side, "--url", url]
    process = subprocess.Popen(
        command + (["--routed"] if routed else []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(tokens) + "\n")
    process.stdin.flush()
    return process


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line or not json.loads(line).get("ready"):
        raise RuntimeError(f"a side did not join (exit {process.poll()})")


async def level(
    lk: LiveKit, server_pid: int, calls: int, seconds: float, routed: bool
) -> dict[str, Any]:
    rooms = [f"floor-{calls}-{index}" for index in range(calls)]
    sides = {
        side: start_side(
            lk.url,
            side,
            [caller_token(lk.api_key, lk.api_secret, room=room, identity=side) for room in rooms],
            routed,
        )
        for side in SIDES
    }
    try:
        for process in sides.values():
            wait_ready(process)
        await asyncio.sleep(2 * TURN_S)  # every participant through a turn of each
        meters = {name: TreeMeter(process.pid) for name, process in sides.items()}
        meters["livekit_server"] = TreeMeter(server_pid)
        for meter in meters.values():
            meter.start()
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            await asyncio.sleep(1.0)
            for meter in meters.values():
                meter.sample_cpu()
        wall = time.monotonic() - began
        result: dict[str, Any] = {"calls": calls, "seconds": round(wall, 1)}
        for name, meter in meters.items():
            cpu = meter.cpu_seconds() / wall * 100
            result[name] = {
                "cpu_percent_of_a_core": round(cpu, 1),
                "per_call": round(cpu / calls, 2),
                "pss_mb": round(meter.memory_mb()[1], 1),
            }
        for name, process in sides.items():
            assert process.stdin is not None and process.stdout is not None
            process.stdin.close()  # the side reports what it heard and ends
            result[name].update(json.loads(process.stdout.readline() or "{}"))
        return result
    finally:
        for process in sides.values():
            if process.stdin and not process.stdin.closed:
                process.stdin.close()
        for process in sides.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def bench(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as workdir, livekit_server(Path(workdir)) as lk:
        server_pid = find_server_pid()
        results = []
        for calls in args.calls:
            result = await level(lk, server_pid, calls, args.seconds, args.routed)
            results.append(result)
            print(json.dumps(result), flush=True)
        print(json.dumps({"routed": args.routed, "levels": results}, indent=2))
    return 0


def find_server_pid() -> int:
    """The livekit-server `livekit_server` started (a child of this process; another one may
    run on the machine)."""
    for child in psutil.Process().children():
        if child.name() == "livekit-server":
            return child.pid
    raise RuntimeError("livekit-server is not running")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--routed", action="store_true")
    parser.add_argument("--side", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return side_main(args)
    if not netns.inside():
        return run_inside("bench.webrtc_floor", limit_s=120 + len(args.calls) * (args.seconds + 60))
    return asyncio.run(bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
