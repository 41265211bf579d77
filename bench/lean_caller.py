"""A caller for density benches: the same conversation and the same measurement as
`voxroom.voice_client.Caller` (a LiveKit participant speaking WAVs at real-time pace and timing
the agent's audio), with a fraction of the Python work, as a load generator must be.

Where `Caller` wakes Python about 300 times a second (a 10 ms frame sent, its capture
confirmed, a 10 ms frame received), this one sends 40 ms frames and receives 50 ms frames,
and keeps only the arrival times of the audible 10 ms blocks instead of every frame. Each
livekit FFI event is offered to every stream and pending capture of the process, so fewer
events also shrink a cost that grows with the square of the callers per process.

The measurement keeps its 10 ms resolution:
- a question is spoken when its last 10 ms block is due to go to WebRTC: LiveKit's
  `AudioSource` hands one 10 ms block from its queue every 10 ms, so the queue empties
  `Playout` later than the frames went in (`Caller` took the time its last 10 ms frame was
  queued, then sent at the next 10 ms tick: the same instant to within that tick);
- a received frame is delivered when its last 10 ms block has come in, at real-time pace, so
  each audible block is dated back from the frame's arrival by the blocks after it.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import numpy as np
from livekit import rtc

from voxroom.voice_client import AUDIBLE_RMS, SAMPLE_RATE, Caller, PacedVoice

BLOCK_S = 0.01
"""The measurement's resolution, as `Caller`'s 10 ms frames."""
BLOCK = int(SAMPLE_RATE * BLOCK_S)
SEND_FRAME_MS = 40
RECEIVE_FRAME_MS = 50
LEAD_FRAMES = 1
"""Frames queued ahead of real time, so a late wake-up of the caller's loop (up to a frame)
does not leave the agent a gap in the caller's audio."""
POLL_S = 0.1
"""How often a waiting caller looks at what it heard (the times it reads are taken on
arrival, so this only paces the conversation)."""


def audible_blocks(samples: np.ndarray, arrival: float) -> list[float]:
    """Arrival times of the audible 10 ms blocks of a frame delivered at `arrival`."""
    count = len(samples) // BLOCK
    blocks = samples[: count * BLOCK].reshape(count, BLOCK).astype(np.float64)
    loud = np.flatnonzero(np.sqrt((blocks**2).mean(axis=1)) >= AUDIBLE_RMS)
    return [arrival - (count - 1 - int(i)) * BLOCK_S for i in loud]


class Playout:
    """When the audio queued in a LiveKit `AudioSource` has all gone to WebRTC: the source
    sends what it holds at real-time pace and nothing while empty."""

    def __init__(self) -> None:
        self.empty_at = 0.0

    def queued(self, now: float, duration_s: float) -> float:
        """Queue `duration_s` more at `now`; when the queue will be empty."""
        self.empty_at = max(self.empty_at, now) + duration_s
        return self.empty_at


class LeanVoice(PacedVoice):
    """`PacedVoice` in 40 ms frames kept a frame ahead of real time; an utterance is spoken
    when its last 10 ms block is due to leave the source (`Playout`)."""

    def __init__(self, send: Callable[[np.ndarray], Awaitable[None]]) -> None:
        super().__init__(SAMPLE_RATE, SEND_FRAME_MS, send, lead_frames=LEAD_FRAMES)
        self._playout = Playout()

    def _sent(self) -> float:
        return self._playout.queued(time.monotonic(), self._frame_s) - BLOCK_S


class LeanCaller(Caller):
    """`Caller` speaking through `LeanVoice` and keeping, of what it hears, only the arrival
    times of the agent's audible 10 ms blocks (`audible`, ascending; `recording` stays
    empty)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token)
        self.audible: list[float] = []
        self.voice = LeanVoice(self._capture)

    async def _record(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=SAMPLE_RATE, num_channels=1, frame_size_ms=RECEIVE_FRAME_MS
        )
        try:
            async for event in stream:
                arrival = time.monotonic()
                samples = np.frombuffer(event.frame.data, dtype=np.int16)
                latest = self.audible[-1] if self.audible else 0.0
                # a frame handled late with the next one must not date blocks before its own
                self.audible.extend(max(t, latest) for t in audible_blocks(samples, arrival))
        finally:
            await stream.aclose()


class Hearing(Protocol):
    @property
    def audible(self) -> list[float]:
        """Arrival times of the agent's audible 10 ms blocks so far, ascending."""
        ...


async def reply_span(
    caller: Hearing, *, since: float, quiet_s: float, limit_s: float
) -> tuple[float | None, float | None]:
    """The first audible block after `since` and the last one, once the agent has been quiet
    for `quiet_s` (or at `limit_s`: Nones for what was not heard)."""
    deadline = time.monotonic() + limit_s
    while True:
        heard = caller.audible
        index = bisect.bisect_left(heard, since)
        first = heard[index] if index < len(heard) else None
        last = heard[-1] if first is not None else None
        now = time.monotonic()
        if (last is not None and now - last >= quiet_s) or now >= deadline:
            return first, last
        await asyncio.sleep(POLL_S)
