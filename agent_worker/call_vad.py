"""One Silero inference stream per call, whatever the STT.

Measured (session 9, cloud-style providers against local doubles, thread executor): Silero
took ~38 % of the worker's CPU, and every call ran it twice on the same audio. livekit-agents'
audio recognition opens a stream on the session's VAD, and a non-streaming STT runs inside
`stt.StreamAdapter`, which opens a second one on the same audio (our offline
`SpeculativeWhisperStream` too).

`CallVAD` wraps the worker's Silero for one call. The session's streams (`stream()`) feed one
shared Silero stream; the STT's streams (`for_stt().stream()`) feed nothing and receive the
shared stream's events for the audio they were given. Each view starts where its own audio
starts: one opened, or flushed, while the caller is speaking starts its speech at its first
window, as a fresh Silero stream would. The shared stream outlives any one view (an agent
handoff reopens the session's stream, a failed STT request reopens the STT's). An STT stream
given other audio than the caller's (a supervisor taking over is transcribed with the call's
STT) finds none of it fed and runs a Silero stream of its own, as it did before.

This relies on livekit-agents' audio recognition (1.8.9, `AudioRecognition._push_audio`)
handing the VAD and the STT the very same frame objects, except while the agent's speech must
not be heard (AEC warm-up, uninterruptible speech), when the STT gets silence of the same length
instead. An STT view hears what its own frames hold: windows it got as silence are no speech to
it (a segment that only they held is not its segment) and its segments' audio carries its
silence. tests/agent_worker/test_call_vad.py fails if an upgrade breaks either assumption.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque

from livekit import rtc
from livekit.agents import vad

from .call_vad_view import CallVADView, Speech

logger = logging.getLogger(__name__)

_RECENT_FRAMES = 400
"""Fed frames remembered for the STT's views to find theirs (50 ms frames: 20 s)."""


@dataclasses.dataclass
class CallVADStats:
    """How the STT's frames matched the session's (logged when the call's VAD closes)."""

    streams_opened: int = 0
    frames_fed: int = 0
    stt_frames_matched: int = 0
    stt_frames_silenced: int = 0
    """Silence the STT got in place of the caller's frame (AEC warm-up, uninterruptible)."""
    stt_frames_unmatched: int = 0
    """STT frames the session's VAD never got (a VAD stream swapped mid-call)."""
    own_streams: int = 0
    """STT streams given other audio than the caller's (a supervisor's), on a Silero stream
    of their own."""


class _OnSilero(vad.VAD):
    """A VAD named as the worker's Silero it runs on (metrics and traces read the same)."""

    def __init__(self, inner: vad.VAD) -> None:
        super().__init__(capabilities=inner.capabilities)
        self._label = inner._label
        self._inner = inner

    @property
    def model(self) -> str:
        return self._inner.model

    @property
    def provider(self) -> str:
        return self._inner.provider


class CallVAD(_OnSilero):
    """One call's VAD over the worker's (process-wide) Silero; see the module doc."""

    def __init__(self, inner: vad.VAD) -> None:
        super().__init__(inner)
        self._hub = SharedStream(inner)
        self._stt_vad = _STTVAD(inner, self._hub)

    @property
    def min_silence_duration(self) -> float | None:
        """Read by livekit-agents' turn detector check, as on Silero itself."""
        return getattr(self._inner, "min_silence_duration", None)

    @property
    def stats(self) -> CallVADStats:
        return self._hub.stats

    def stream(self) -> vad.VADStream:
        """A stream for the session's audio recognition: its frames feed the shared stream."""
        return CallVADView(self, self._hub, feeds=True)

    def for_stt(self) -> vad.VAD:
        """The VAD to give the call's STT (or its `StreamAdapter`)."""
        return self._stt_vad

    async def aclose(self) -> None:
        await self._hub.aclose()


class _STTVAD(_OnSilero):
    def __init__(self, inner: vad.VAD, hub: SharedStream) -> None:
        super().__init__(inner)
        self._hub = hub

    def stream(self) -> vad.VADStream:
        return CallVADView(self, self._hub, feeds=False)


class SharedStream:
    """The call's one Silero stream, opened with the first view and closed after the last."""

    def __init__(self, inner: vad.VAD) -> None:
        self._inner = inner
        self._views: set[CallVADView] = set()
        self._stream: vad.VADStream | None = None
        self._pump: asyncio.Task[None] | None = None
        self.stats = CallVADStats()
        # positions count input samples since the call's first fed frame
        self.fed = 0
        self._recent: deque[tuple[int, rtc.AudioFrame]] = deque()
        self._position: dict[int, tuple[int, rtc.AudioFrame]] = {}
        self.processed = 0
        """Position up to which the shared stream has reported."""
        self.sample_rate = 0
        self.window = 0
        """Input samples per Silero window (its update interval)."""
        self.segment: list[rtc.AudioFrame] = []
        """The audio of the speech in progress (Silero's speech buffer), empty outside speech."""
        self.segment_start = 0

    def join(self, view: CallVADView) -> None:
        self._views.add(view)
        if self._stream is None:
            self._stream = self._inner.stream()
            self._pump = asyncio.create_task(
                self._dispatch(self._stream, self.fed), name="voxroom.call_vad"
            )
            self.stats.streams_opened += 1

    async def leave(self, view: CallVADView) -> None:
        self._views.discard(view)
        if not self._views:
            await self._close_stream()

    async def aclose(self) -> None:
        self._views.clear()
        await self._close_stream()
        logger.info("call vad closed", extra=dataclasses.asdict(self.stats))

    async def _close_stream(self) -> None:
        stream, pump = self._stream, self._pump
        self._stream = self._pump = None
        self.segment = []
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        if stream is not None:
            await stream.aclose()
            self.processed = self.fed

    def own_stream(self) -> vad.VADStream:
        """A Silero stream for audio other than the caller's."""
        self.stats.own_streams += 1
        return self._inner.stream()

    def position_of(self, frame: object) -> int | None:
        known = self._position.get(id(frame))
        return known[0] if known is not None and known[1] is frame else None

    def feed(self, frame: rtc.AudioFrame) -> int:
        """The frame's position, feeding it to Silero unless another view already did."""
        position = self.position_of(frame)
        if position is not None:
            return position
        position = self.fed
        self.fed += frame.samples_per_channel
        if not self.sample_rate:
            self.sample_rate = frame.sample_rate
            update_interval = self._inner.capabilities.update_interval
            self.window = round(update_interval * frame.sample_rate)
        self._recent.append((position, frame))
        self._position[id(frame)] = (position, frame)
        if len(self._recent) > _RECENT_FRAMES:
            _, old = self._recent.popleft()
            self._position.pop(id(old), None)
        self.stats.frames_fed += 1
        if self._stream is not None:
            self._stream.push_frame(frame)
        for view in list(self._views):
            if not view.feeds:
                view.resolve()
        return position

    async def _dispatch(self, stream: vad.VADStream, base: int) -> None:
        try:
            await self._follow(stream, base)
        except Exception:
            logger.exception("call vad stream failed")
            for view in list(self._views):
                view.end_events()

    async def _follow(self, stream: vad.VADStream, base: int) -> None:
        end = base
        async for event in stream:
            if event.type == vad.VADEventType.INFERENCE_DONE:
                # each window's event carries the input samples Silero copied for it
                end += sum(frame.samples_per_channel for frame in event.frames)
                if event.speaking:
                    self.segment.extend(event.frames)
            elif event.type == vad.VADEventType.START_OF_SPEECH:
                self.segment = list(event.frames)
                self.segment_start = end - sum(f.samples_per_channel for f in event.frames)
            self.processed = end
            speech = Speech(self.segment, len(self.segment), self.segment_start)
            for view in list(self._views):
                view.on_shared(event, end, speech)
            if event.type == vad.VADEventType.END_OF_SPEECH:
                self.segment = []
