"""The density bench's lean caller keeps `Caller`'s measurement: 10 ms blocks dated as they
arrived, a question timed when its last 10 ms leaves; its processes report every call."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from bench.caller_pool import CallerPool
from bench.lean_caller import BLOCK, BLOCK_S, Playout, audible_blocks, reply_span
from voxroom.voice_client import AUDIBLE_RMS, write_wav

pytestmark = pytest.mark.unit

LOUD = int(AUDIBLE_RMS * 2)


def frame_of(blocks: list[bool]) -> np.ndarray:
    """A received frame of 10 ms blocks, loud where True."""
    return np.concatenate([np.full(BLOCK, LOUD if loud else 0, dtype=np.int16) for loud in blocks])


def test_audible_blocks_are_dated_back_from_the_frames_arrival() -> None:
    arrivals = audible_blocks(frame_of([False, False, True, False, True]), arrival=10.0)
    assert arrivals == pytest.approx([10.0 - 2 * BLOCK_S, 10.0])


def test_a_quiet_frame_has_no_audible_block() -> None:
    assert audible_blocks(np.full(5 * BLOCK, LOUD // 4, dtype=np.int16), arrival=1.0) == []


def test_playout_queues_behind_what_is_still_playing() -> None:
    playout = Playout()
    assert playout.queued(1.0, 0.04) == pytest.approx(1.04)
    assert playout.queued(1.01, 0.04) == pytest.approx(1.08)


def test_playout_starts_afresh_after_running_empty() -> None:
    playout = Playout()
    playout.queued(1.0, 0.04)
    assert playout.queued(2.0, 0.04) == pytest.approx(2.04)


@dataclass
class Heard:
    audible: list[float] = field(default_factory=list)


async def test_reply_span_waits_for_quiet_and_reads_what_arrives_meanwhile() -> None:
    heard = Heard([time.monotonic() - 5.0])  # before `since`: the greeting
    since = time.monotonic()

    async def agent_speaks() -> None:
        await asyncio.sleep(0.05)
        heard.audible.extend([time.monotonic(), time.monotonic() + BLOCK_S])

    speaking = asyncio.create_task(agent_speaks())
    first, last = await reply_span(heard, since=since, quiet_s=0.2, limit_s=5)
    await speaking
    assert (first, last) == (heard.audible[1], heard.audible[2])


async def test_reply_span_gives_up_at_its_limit() -> None:
    assert await reply_span(Heard(), since=0.0, quiet_s=0.1, limit_s=0.2) == (None, None)


@pytest.mark.parametrize("kind", ["lean", "classic"])
async def test_a_caller_process_reports_a_call_it_could_not_make(tmp_path: Path, kind: str) -> None:
    wav = write_wav(tmp_path / "q.wav", np.zeros(1600, dtype=np.int16), 16_000)
    async with CallerPool(1, [wav], 2, tmp_path / "callers.log", kind) as callers:
        latencies, error = await asyncio.wait_for(
            callers.call("ws://127.0.0.1:9", "not-a-token"), 60
        )
    assert latencies == [None, None]
    assert error
