"""Turn-taking over real WebRTC: how soon the agent answers a finished utterance, and how
often it cuts off a caller who pauses in mid-sentence.

Run on demand as root (it re-executes itself in a loopback-only network namespace):

    .venv/bin/python -m bench.turn_taking [--set held-out] [--items N] [--time-limit 900]

The whole platform runs as in `bench.voice_latency` (`tests.stack.voxroom_stack`, offline
models in the inference service). One caller says each item of the set in turn
(`bench.turn_taking_items`: flite and espeak-ng voices, spoken at run time) and waits for the
answer to end.

- Finished items: latency from the caller's last voiced sample leaving the caller to the
  first audible sample of the answer arriving (as `bench.voice_latency` measures, but from
  the end of the voice, not of the synthesizer's own trailing silence).
- Paused items (a phrase, 0.8-2.0 s of silence, the rest of the sentence): a false cut-off is
  the agent taking the first part as a turn of its own: the control plane's transcript gained
  more than one caller line for the item, or the agent was audible before the caller finished.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.namespace import run_inside
from bench.process_meters import TreeMeter
from bench.turn_taking_items import DEV, HELD_OUT, RATE, VOICES, Item, speak, utterance
from bench.voice_latency import Platform, settle, summary
from tests import netns
from tests.media import Caller
from tests.stack import voxroom_stack

INSTRUCTIONS = """You are the voice assistant of a help desk.
We answer the phone from eight in the morning to eight in the evening.
A human colleague can call you back within one working day."""
GREETING = "Help desk, how can I help?"
WARM_UP = "Good morning."
ITEM_LIMIT_S = 40.0
"""Longest an item may take from the caller's last word to the end of the answers."""
SETTLE_AFTER_S = 4.0
"""A transcript that reads unfinished waits 3 s before its turn ends."""
QUIET_S = 1.5


async def settled(
    caller: Caller, platform: Platform, session_id: str, ended: float
) -> list[dict[str, Any]]:
    """The session's transcript once the item is over: the caller has been done for
    `SETTLE_AFTER_S`, the last line is the agent's, the agent has been quiet for `QUIET_S` and
    no line came since the previous look. (An answer's line is reported once it was spoken.)"""
    count = -1
    while True:
        lines = await platform.transcript(session_id)
        now = time.monotonic()
        heard = caller.recording.last_audible()
        if now > ended + ITEM_LIMIT_S or (
            now - ended >= SETTLE_AFTER_S
            and (heard is None or now - heard >= QUIET_S)
            and lines
            and lines[-1]["speaker"] == "agent"
            and len(lines) == count
        ):
            return lines
        count = len(lines)
        await asyncio.sleep(0.5)


async def say_item(
    caller: Caller, platform: Platform, session_id: str, item: Item, index: int
) -> dict[str, Any]:
    spoken = await asyncio.to_thread(utterance, item, index)
    before = len(await platform.transcript(session_id))
    ended = await caller.say(spoken.samples, RATE)
    started = ended - len(spoken.samples) / RATE
    new_lines = (await settled(caller, platform, session_id, ended))[before:]
    first = caller.recording.first_audible_after(started)
    replies = [line for line in new_lines if line["speaker"] == "agent"]
    row: dict[str, Any] = {
        "index": index,
        "paused": spoken.paused_at_s is not None,
        "caller_lines": sum(line["speaker"] == "user" for line in new_lines),
        "agent_lines": len(replies),
    }
    if spoken.paused_at_s is None:
        answered = first is not None and first >= ended
        row["latency_s"] = round(first - ended, 3) if answered and first else None
        row["end_of_turn_ms"] = (
            (replies[0].get("latency") or {}).get("end_of_turn_ms") if replies else None
        )
    else:
        row["pause_s"] = spoken.pause_s
        # the agent was heard after the first part ended and before the caller finished
        row["agent_heard_before_caller_finished"] = (
            first is not None and started + spoken.paused_at_s <= first < ended
        )
        row["cut_off"] = row["agent_heard_before_caller_finished"] or row["caller_lines"] > 1
    return row


async def talk(
    platform: Platform, items: list[tuple[int, Item]], limit_s: float
) -> list[dict[str, Any]]:
    url, token, session_id = await platform.start_call("bench_turns")
    rows: list[dict[str, Any]] = []
    async with Caller(url, token) as caller:
        joined = time.monotonic()
        await caller.wait_for_agent_audio_track(limit_s=120)
        await caller.wait_until_quiet(since=joined, limit_s=120)
        # the first transcription and synthesis of a call are slow (cold models): not measured
        warm_up = await asyncio.to_thread(speak, WARM_UP, VOICES[0])
        await settled(caller, platform, session_id, await caller.say(warm_up, RATE))
        deadline = time.monotonic() + limit_s
        for index, item in items:
            if time.monotonic() + ITEM_LIMIT_S > deadline:
                break
            rows.append(await say_item(caller, platform, session_id, item, index))
            print(json.dumps(rows[-1]), flush=True)
            await asyncio.sleep(0.5)
    return rows


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    finished = [row for row in rows if not row["paused"]]
    paused = [row for row in rows if row["paused"]]
    latencies = [row["latency_s"] for row in finished if row["latency_s"] is not None]
    end_of_turn = [row["end_of_turn_ms"] for row in finished if row["end_of_turn_ms"]]
    by_pause: dict[str, str] = {}
    for pause in sorted({row["pause_s"] for row in paused}):
        at = [row for row in paused if row["pause_s"] == pause]
        by_pause[f"{pause:.1f}"] = f"{sum(row['cut_off'] for row in at)}/{len(at)}"
    return {
        "finished": {
            "items": len(finished),
            "answered": len(latencies),
            "latency_s": summary(latencies),
            "end_of_turn_ms_reported_by_worker": summary(end_of_turn, 1),
        },
        "paused": {
            "items": len(paused),
            "false_cut_offs": sum(row["cut_off"] for row in paused),
            "agent_heard_before_caller_finished": sum(
                row["agent_heard_before_caller_finished"] for row in paused
            ),
            "first_part_taken_as_a_turn": sum(row["caller_lines"] > 1 for row in paused),
            "false_cut_offs_by_pause_s": by_pause,
        },
    }


def chosen(items: list[Item], per_kind: int | None) -> list[tuple[int, Item]]:
    """Finished and paused items taken in turn, each with its index in its set (which fixes
    its voice and pause)."""
    finished = [(i, item) for i, item in enumerate(items) if item.rest is None][:per_kind]
    paused = [(i, item) for i, item in enumerate(items) if item.rest is not None][:per_kind]
    return [pair for both in zip(finished, paused, strict=True) for pair in both]


async def measure(
    platform: Platform, worker_pid: int, items: list[tuple[int, Item]], limit_s: float
) -> list[dict[str, Any]]:
    try:
        await platform.create_agent()
        await settle(TreeMeter(worker_pid))
        return await talk(platform, items, limit_s)
    finally:
        await platform.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=["held-out", "dev"], default="held-out")
    parser.add_argument("--items", type=int, help="only the first N finished and N paused")
    parser.add_argument("--time-limit", type=float, default=900.0, help="whole run, seconds")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if not netns.inside():
        return run_inside("bench.turn_taking", args.time_limit)

    items = chosen(HELD_OUT if args.set == "held-out" else DEV, args.items)
    agent = {
        "name": "bench-turns",
        "instructions": INSTRUCTIONS,
        "first_message": GREETING,
        "turn_detection": {"mode": "model"},
    }
    workdir = Path(tempfile.mkdtemp(prefix="voxroom-bench-turns-"))
    worker_env = {"VOXROOM_WORKER_NUM_IDLE_PROCESSES": "1"}
    # the conversation gets what the stack's start-up leaves of the limit
    talk_limit_s = args.time_limit - 240.0
    with voxroom_stack(workdir, worker_env=worker_env) as stack:
        platform = Platform(stack, agent)
        rows = asyncio.run(measure(platform, stack.worker_pid, items, talk_limit_s))
    result = {
        "set": args.set,
        **report(rows),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "workdir": str(workdir),
        "items": rows,
    }
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "items"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
