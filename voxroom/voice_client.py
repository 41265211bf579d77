"""A voice client for LiveKit rooms: joins as a caller, speaks WAVs at real-time pace over
WebRTC, and records the agent's audio with arrival times. Used by `voxroom talk`, the
end-to-end tests and the latency benchmark.
"""

from __future__ import annotations

import asyncio
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from livekit import rtc

SAMPLE_RATE = 48_000
FRAME_MS = 10
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
AUDIBLE_RMS = 300.0
"""int16 RMS over 10 ms above which a frame counts as audible."""


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono int16 samples and the sample rate of a 16-bit WAV."""
    with wave.open(str(path), "rb") as wav:
        raw = wav.readframes(wav.getnframes())
        samples = np.frombuffer(raw, dtype=np.int16).reshape(-1, wav.getnchannels())
        return samples.mean(axis=1).astype(np.int16), wav.getframerate()


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.astype(np.int16).tobytes())
    return path


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    if src_rate == dst_rate:
        return samples
    resampler = rtc.AudioResampler(src_rate, dst_rate, num_channels=1)
    frame = rtc.AudioFrame(samples.astype(np.int16).tobytes(), src_rate, 1, len(samples))
    out = [*resampler.push(frame), *resampler.flush()]
    return np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in out])


@dataclass
class Recording:
    """The agent's audio as received: 10 ms frames with their arrival times (monotonic)."""

    frames: list[np.ndarray] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    def samples(self, since: float = 0.0, until: float = float("inf")) -> np.ndarray:
        chosen = [f for f, t in zip(self.frames, self.arrivals, strict=True) if since <= t < until]
        return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int16)

    def first_audible_after(self, since: float) -> float | None:
        for frame, arrival in zip(self.frames, self.arrivals, strict=True):
            if arrival >= since and _rms(frame) >= AUDIBLE_RMS:
                return arrival
        return None

    def last_audible(self) -> float | None:
        for frame, arrival in zip(reversed(self.frames), reversed(self.arrivals), strict=True):
            if _rms(frame) >= AUDIBLE_RMS:
                return arrival
        return None


def _rms(frame: np.ndarray) -> float:
    return float(np.sqrt(np.mean(frame.astype(np.float64) ** 2))) if frame.size else 0.0


class PacedVoice:
    """A caller's microphone: queued utterances go out in frames at real-time pace, with
    silence between them. `send` takes each int16 frame (the transport's own framing)."""

    def __init__(
        self,
        sample_rate: int,
        frame_ms: int,
        send: Callable[[np.ndarray], Awaitable[None]],
        *,
        lead_frames: int = 0,
    ) -> None:
        self.sample_rate = sample_rate
        self._frame = sample_rate * frame_ms // 1000
        self._frame_s = frame_ms / 1000
        self._send = send
        self._lead_frames = lead_frames
        """Frames kept sent ahead of real time."""
        self._pending: asyncio.Queue[tuple[np.ndarray, asyncio.Future[float]]] = asyncio.Queue()

    async def run(self) -> None:
        """Send frames until cancelled: queued speech, otherwise silence."""
        silence = np.zeros(self._frame, dtype=np.int16)
        start = time.monotonic()
        sent = 0
        current: np.ndarray | None = None
        done: asyncio.Future[float] | None = None
        offset = 0
        while True:
            if current is None and not self._pending.empty():
                current, done = self._pending.get_nowait()
                offset = 0
            chunk = silence
            if current is not None:
                chunk = current[offset : offset + self._frame]
                offset += self._frame
                if len(chunk) < self._frame:
                    chunk = np.pad(chunk, (0, self._frame - len(chunk)))
            await self._send(chunk.astype(np.int16))
            spoken_at = self._sent()
            sent += 1
            if current is not None and offset >= len(current):
                if done is not None and not done.done():
                    done.set_result(spoken_at)
                current, done = None, None
            delay = start + (sent - self._lead_frames) * self._frame_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    def _sent(self) -> float:
        """Called after each frame is sent: when that frame counts as spoken."""
        return time.monotonic()

    async def say(self, samples: np.ndarray, sample_rate: int) -> float:
        """Speak `samples` at real-time pace; returns when the last sample was sent."""
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pending.put_nowait((resample(samples, sample_rate, self.sample_rate), done))
        return await done

    async def say_wav(self, path: Path) -> float:
        samples, rate = read_wav(path)
        return await self.say(samples, rate)


class Caller:
    """A participant that talks like a phone caller and records what the agent says."""

    def __init__(self, url: str, token: str) -> None:
        self._url = url
        self._token = token
        self.room = rtc.Room()
        self.recording = Recording()
        self._source = rtc.AudioSource(SAMPLE_RATE, 1, queue_size_ms=100)
        self.voice = PacedVoice(SAMPLE_RATE, FRAME_MS, self._capture)
        self._tasks: list[asyncio.Task[None]] = []
        self._agent_track = asyncio.Event()

    async def __aenter__(self) -> Caller:
        self.room.on("track_subscribed", self._on_track_subscribed)
        await self.room.connect(self._url, self._token)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await self.room.local_participant.publish_track(track, options)
        self._tasks.append(asyncio.create_task(self.voice.run(), name="caller.pump"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.room.disconnect()

    def _on_track_subscribed(
        self, track: rtc.Track, _pub: rtc.RemoteTrackPublication, _p: rtc.RemoteParticipant
    ) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO and not self._agent_track.is_set():
            self._agent_track.set()
            self._tasks.append(asyncio.create_task(self._record(track), name="caller.record"))

    async def wait_for_agent_audio_track(self, limit_s: float = 30.0) -> None:
        await asyncio.wait_for(self._agent_track.wait(), limit_s)

    async def _record(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream.from_track(
            track=track, sample_rate=SAMPLE_RATE, num_channels=1, frame_size_ms=FRAME_MS
        )
        try:
            async for event in stream:
                data = np.frombuffer(event.frame.data, dtype=np.int16).copy()
                self.recording.frames.append(data)
                self.recording.arrivals.append(time.monotonic())
        finally:
            await stream.aclose()

    async def _capture(self, chunk: np.ndarray) -> None:
        await self._source.capture_frame(
            rtc.AudioFrame(chunk.tobytes(), SAMPLE_RATE, 1, len(chunk))
        )

    async def say(self, samples: np.ndarray, sample_rate: int) -> float:
        """Speak `samples` at real-time pace; returns when the last sample was sent."""
        return await self.voice.say(samples, sample_rate)

    async def say_wav(self, path: Path) -> float:
        return await self.voice.say_wav(path)

    async def wait_until_quiet(
        self, *, since: float, quiet_s: float = 1.5, limit_s: float = 30.0
    ) -> tuple[float | None, float | None]:
        """Wait for the agent to speak after `since` and then be quiet for `quiet_s`.

        Returns (first audible arrival, last audible arrival), or Nones on timeout.
        """
        deadline = time.monotonic() + limit_s
        first: float | None = None
        while time.monotonic() < deadline:
            first = first or self.recording.first_audible_after(since)
            last = self.recording.last_audible()
            if first is not None and last is not None and time.monotonic() - last >= quiet_s:
                return first, last
            await asyncio.sleep(0.05)
        return first, self.recording.last_audible()
