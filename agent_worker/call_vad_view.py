"""A stream opened on a call's `CallVAD`: what one reader of the shared Silero stream hears.

See `call_vad` for why and for the livekit-agents behaviour this relies on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
from livekit import rtc
from livekit.agents import utils, vad

if TYPE_CHECKING:
    from .call_vad import SharedStream

_END_INPUT_WAIT_S = 2.0
"""How long a view whose input ended waits for the shared stream's last events."""
_UNPLACED_EVENTS = 200
"""Events the STT's view keeps before its first frame is found (6 s of Silero windows)."""
_AHEAD_FRAMES = 10
"""Frames the STT's view may get before the session's stream feeds them (its path is longer:
a few frames at most)."""
_FOREIGN_AFTER_S = 1.0
"""An STT view none of whose first second of audio was the caller's hears on its own."""
_KEPT_SILENCE_S = 70.0
"""How far back a view remembers where it got silence: Silero's longest speech buffer (60 s of
speech and its prefix padding)."""


@dataclasses.dataclass(frozen=True)
class Speech:
    """The shared speech buffer as it was at one event (`frames` only grows until replaced)."""

    frames: list[rtc.AudioFrame]
    length: int
    start: int

    def audio(self) -> list[rtc.AudioFrame]:
        return self.frames[: self.length]


class CallVADView(vad.VADStream):
    """One stream opened on the call's VAD, reading the shared stream's events."""

    def __init__(self, owner: vad.VAD, hub: SharedStream, *, feeds: bool) -> None:
        super().__init__(owner)
        self.feeds = feeds
        self._hub = hub
        self._start = 0
        """Position of this view's first frame (or of its last flush)."""
        self._next: int | None = None
        """Position of this view's next frame (known once one of its frames was matched)."""
        self._pending: deque[rtc.AudioFrame | vad.VADStream._FlushSentinel] = deque()
        self._silenced: list[tuple[int, int]] = []
        self._flushes: deque[int] = deque()
        self._events: deque[tuple[vad.VADEvent, int, Speech]] = deque()
        self._done = 0
        """Position of the last event this view has read."""
        self._speaking = False
        self._drained = asyncio.Event()
        self._own: vad.VADStream | None = None
        self._own_events: asyncio.Task[None] | None = None
        self._fed_at_open = hub.fed
        hub.join(self)

    async def _main_task(self) -> None:
        try:
            await self._read_input()
        finally:
            if self._own is not None:
                await self._own.aclose()

    async def _read_input(self) -> None:
        async for item in self._input_ch:
            if self._own is not None:
                _push(self._own, item)
                continue
            if self.feeds and isinstance(item, rtc.AudioFrame):
                position = self._hub.feed(item)
                if self._next is None:
                    self._start = position
                self._next = position + item.samples_per_channel
            elif self.feeds:
                if self._next is not None:
                    self._flushes.append(self._next)
            else:
                self._pending.append(item)
                self.resolve()
                if self._is_foreign():
                    await self._hear_on_own()
                    continue
            self._drain()
        # (end of input: Silero reports the windows it had whole, then stops)
        if self._own is not None:
            self._own.end_input()
            if self._own_events is not None:
                await self._own_events
        elif self._next is not None and self._hub.window:
            self._drained.clear()
            self._drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), _END_INPUT_WAIT_S)

    async def aclose(self) -> None:
        await super().aclose()
        if self._own_events is not None:
            await utils.aio.cancel_and_wait(self._own_events)
        await self._hub.leave(self)

    def _is_foreign(self) -> bool:
        """Whether this STT view was given audio the session never had (a supervisor's):
        none of its first second of sound was fed while the session fed a second."""
        if self._next is not None or not self._pending:
            return False
        waiting = sum(
            f.duration for f in self._pending if isinstance(f, rtc.AudioFrame) and not _silent(f)
        )
        fed_s = (self._hub.fed - self._fed_at_open) / max(self._hub.sample_rate, 1)
        return min(waiting, fed_s) >= _FOREIGN_AFTER_S

    async def _hear_on_own(self) -> None:
        own = self._own = self._hub.own_stream()
        self._own_events = asyncio.create_task(self._forward(own), name="voxroom.call_vad.own")
        for item in self._pending:
            _push(own, item)
        self._pending.clear()
        self._events.clear()
        await self._hub.leave(self)

    async def _forward(self, own: vad.VADStream) -> None:
        async for event in own:
            self._emit(event)

    def resolve(self) -> None:
        """Place the STT's pending frames on the session's audio (see the module doc)."""
        stats = self._hub.stats
        while self._pending:
            item = self._pending[0]
            if isinstance(item, vad.VADStream._FlushSentinel):
                self._pending.popleft()
                if self._next is not None:
                    self._flushes.append(self._next)
                continue
            position = self._hub.position_of(item)
            silent = position is None and _silent(item)
            if position is not None:
                stats.stt_frames_matched += 1
            elif self._next is not None and self._hub.fed > self._next and silent:
                # the session's frame here was fed, and this is not it: the STT got silence
                position = self._next
                self._silence(position, position + item.samples_per_channel)
                stats.stt_frames_silenced += 1
            elif (self._next is not None and self._hub.fed > self._next) or any(
                self._hub.position_of(later) is not None for later in self._pending
            ):
                # never fed: the STT got it while no session stream was open (a handoff), or
                # got silence before its first placed frame
                self._pending.popleft()
                if silent:
                    stats.stt_frames_silenced += 1
                else:
                    stats.stt_frames_unmatched += 1
                continue
            elif silent and self._next is None and len(self._pending) > _AHEAD_FRAMES:
                self._pending.popleft()  # silence the session never fed before this view's
                stats.stt_frames_silenced += 1  # first frame (or a supervisor's)
                continue
            else:
                return  # the session's stream has not fed it yet
            self._pending.popleft()
            if self._next is None:
                self._start = position
            self._next = position + item.samples_per_channel
        self._drain()

    def _silence(self, begin: int, end: int) -> None:
        if self._silenced and self._silenced[-1][1] == begin:
            self._silenced[-1] = (self._silenced[-1][0], end)
        else:
            self._silenced.append((begin, end))

    def on_shared(self, event: vad.VADEvent, end: int, speech: Speech) -> None:
        if self._next is None and (self.feeds or len(self._events) >= _UNPLACED_EVENTS):
            # before its first frame a view hears nothing (the STT's waits a little for its
            # first frame, which may reach it after the session's)
            if self.feeds:
                return
            self._events.popleft()
        self._events.append((event, end, speech))
        self._drain()

    def end_events(self) -> None:
        self._event_ch.close()

    def _drain(self) -> None:
        known = self._next
        while self._events and known is not None and self._events[0][1] <= known:
            event, end, speech = self._events.popleft()
            while self._flushes and self._flushes[0] < end:
                # a flushed stream starts afresh: its speech so far is dropped, unreported
                self._start = self._flushes.popleft()
                self._speaking = False
            self._handle(event, end, speech)
            self._done = end
        if known is not None and self._hub.processed + self._hub.window > known:
            self._drained.set()
        self._forget_silences()

    def _handle(self, event: vad.VADEvent, end: int, speech: Speech) -> None:
        if end <= self._start:
            return  # audio from before this view was opened
        hub = self._hub
        if event.type == vad.VADEventType.INFERENCE_DONE:
            frames = self._own_audio(event.frames, end)
            if frames is event.frames and event.speaking == self._speaking:
                self._emit(event)  # (a view that heard what the shared stream did)
            else:
                self._emit(dataclasses.replace(event, frames=frames, speaking=self._speaking))
            if (
                event.speaking
                and not self._speaking
                and event.raw_accumulated_speech > 0
                and self._hears(end - hub.window)
            ):
                # speech that began before this view could hear it starts once it heard a
                # window of it (the one before this, by Silero's count)
                audible = (end - max(self._start, speech.start)) / hub.sample_rate
                self._start_speech(
                    dataclasses.replace(
                        event,
                        type=vad.VADEventType.START_OF_SPEECH,
                        speech_duration=min(event.speech_duration, audible),
                        silence_duration=0.0,
                        frames=speech.audio(),
                        speaking=True,
                    ),
                    end,
                )
        elif event.type == vad.VADEventType.START_OF_SPEECH:
            if self._hears(end):
                self._start_speech(event, end)
        elif event.type == vad.VADEventType.END_OF_SPEECH and self._speaking:
            self._speaking = False
            frames = self._own_audio(event.frames, end)
            if frames is not event.frames:
                heard = sum(frame.duration for frame in frames) - event.silence_duration
                event = dataclasses.replace(
                    event,
                    frames=frames,
                    speech_duration=min(event.speech_duration, max(0.0, heard)),
                )
            self._emit(event)

    def _start_speech(self, event: vad.VADEvent, end: int) -> None:
        self._speaking = True
        frames = self._own_audio(event.frames, end)
        self._emit(event if frames is event.frames else dataclasses.replace(event, frames=frames))

    def _hears(self, end: int) -> bool:
        """Whether this view got the caller's audio (not silence) in the window ending at end."""
        begin = max(end - self._hub.window, self._start)
        covered = sum(
            min(b, end) - max(a, begin) for a, b in self._silenced if a < end and b > begin
        )
        return covered < end - begin

    def _own_audio(self, frames: list[rtc.AudioFrame], end: int) -> list[rtc.AudioFrame]:
        """The event's audio as this view got it: from its start, with its silence."""
        begin = end - sum(frame.samples_per_channel for frame in frames)
        cut = max(0, self._start - begin)
        silences = [
            (max(a, begin + cut), min(b, end))
            for a, b in self._silenced
            if a < end and b > begin + cut
        ]
        if not cut and not silences:
            return frames
        pcm = np.frombuffer(b"".join(bytes(frame.data) for frame in frames), dtype=np.int16)
        pcm = pcm.copy()
        for a, b in silences:
            pcm[a - begin : b - begin] = 0
        pcm = pcm[cut:]
        if pcm.size == 0:
            return []
        return [rtc.AudioFrame(pcm.tobytes(), self._hub.sample_rate, 1, pcm.size)]

    def _forget_silences(self) -> None:
        keep_from = self._done - int(_KEPT_SILENCE_S * self._hub.sample_rate)
        while self._silenced and self._silenced[0][1] < keep_from:
            self._silenced.pop(0)

    def _emit(self, event: vad.VADEvent) -> None:
        if not self._event_ch.closed:
            self._event_ch.send_nowait(event)


def _silent(frame: rtc.AudioFrame) -> bool:
    return not np.any(np.frombuffer(frame.data, dtype=np.int16))


def _push(stream: vad.VADStream, item: rtc.AudioFrame | vad.VADStream._FlushSentinel) -> None:
    if isinstance(item, rtc.AudioFrame):
        stream.push_frame(item)
    else:
        stream.flush()
