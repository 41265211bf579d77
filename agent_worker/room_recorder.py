"""A room recording job (`RecorderDispatch`): every audio track of the room on one timeline,
mixed or one channel per participant, written to an Ogg/Opus, WAV or MP4 file until the
recorder is removed from the room, the room ends, everybody left, or its worker drains; then
uploaded like a call's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
from livekit import rtc
from livekit.agents import JobContext

from .contracts import MAX_PARTICIPANT_CHANNELS, RecorderDispatch, RecordingFormat
from .recording import RecordingUploader
from .room_connect import join_room

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
_SETTLE_S = 0.3
"""Audio younger than this may still be joined by a late frame of another track."""
_GAP_S = 0.1
"""A track that was silent longer than this restarts at its frame's arrival time."""
ALONE_LIMIT_S = 10.0
"""A room recorder left alone in its room this long stops (and uploads)."""

DRAINING = threading.Event()
"""Set when the worker drains: room recorders stop and upload instead of holding it up."""


_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad"}
"""Channel layouts without an LFE channel, which the encoders keep apart and in order."""


class AudioFileWriter:
    """Writes PCM16 blocks (mono: 1-D; several channels: samples x channels) to an Ogg/Opus,
    WAV or MP4/AAC file in a thread of its own."""

    def __init__(self, path: Path, fmt: RecordingFormat, channels: int = 1) -> None:
        self.path = path
        self.fmt = fmt
        self.channels = channels
        self.samples = 0
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="voxroom.recorder", daemon=True)
        self._error: BaseException | None = None
        self._thread.start()

    def write(self, block: np.ndarray) -> None:
        self.samples += len(block)
        self._queue.put(block)

    async def aclose(self) -> None:
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        if self._error is not None:
            raise OSError(f"recording not written: {type(self._error).__name__}")

    def _run(self) -> None:
        try:
            if self.fmt == "wav":
                self._write_wav()
            else:
                self._write_av()
        except Exception as exc:
            logger.exception("recorder writer failed")
            self._error = exc
            while self._queue.get() is not None:
                pass

    def _write_wav(self) -> None:
        with wave.open(str(self.path), "wb") as file:
            file.setnchannels(self.channels)
            file.setsampwidth(2)
            file.setframerate(SAMPLE_RATE)
            while (block := self._queue.get()) is not None:
                file.writeframes(block.astype("<i2").tobytes())

    def _write_av(self) -> None:
        codec, container_format = ("libopus", "ogg") if self.fmt == "ogg" else ("aac", "mp4")
        layout = _LAYOUTS[self.channels]
        with av.open(str(self.path), mode="w", format=container_format) as container:
            stream: Any = container.add_stream(codec, rate=SAMPLE_RATE, layout=layout)
            while (block := self._queue.get()) is not None:
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(block).reshape(1, -1), format="s16", layout=layout
                )
                frame.sample_rate = SAMPLE_RATE
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)


class RoomMix:
    """Every audio track of a room on one timeline: each frame placed where it arrived (a
    track keeps its own frames back to back while it flows), summed, and written out once
    older than `_SETTLE_S`, so that silence stays silence and talk stays in time."""

    def __init__(
        self,
        writer: AudioFileWriter,
        clock: Callable[[], float] = time.monotonic,
        *,
        t0: float | None = None,
    ) -> None:
        self.writer = writer
        self._clock = clock
        self._t0 = clock() if t0 is None else t0
        # a mix joining a running timeline (`t0`) writes from here on, not from its start
        self.offset = max(0, self._now() - round(_SETTLE_S * SAMPLE_RATE))
        self._flushed = self.offset
        self._pending = np.zeros(0, dtype=np.int32)
        self._cursors: dict[str, int] = {}

    def _now(self) -> int:
        return round((self._clock() - self._t0) * SAMPLE_RATE)

    def push(self, track_sid: str, frame: rtc.AudioFrame) -> None:
        samples = np.frombuffer(frame.data, dtype=np.int16).astype(np.int32)
        arrived_start = self._now() - len(samples)
        cursor = self._cursors.get(track_sid)
        if cursor is None or arrived_start - cursor > _GAP_S * SAMPLE_RATE:
            cursor = max(arrived_start, cursor or 0)
        start = max(cursor, self._flushed)  # what is written is final
        samples = samples[start - cursor :]
        end = start + len(samples)
        self._cursors[track_sid] = end
        needed = end - self._flushed
        if needed > len(self._pending):
            self._pending = np.concatenate(
                (self._pending, np.zeros(needed - len(self._pending), dtype=np.int32))
            )
        self._pending[start - self._flushed : end - self._flushed] += samples

    def flush(self, final: bool = False) -> None:
        until = self._now() - (0 if final else round(_SETTLE_S * SAMPLE_RATE))
        if final:
            until = max(until, self._flushed + len(self._pending))
        count = until - self._flushed
        if count <= 0:
            return
        if count > len(self._pending):
            self._pending = np.concatenate(
                (self._pending, np.zeros(count - len(self._pending), dtype=np.int32))
            )
        block, self._pending = self._pending[:count], self._pending[count:]
        self._flushed = until
        self.writer.write(np.clip(block, -32768, 32767).astype(np.int16))


class MixedRoom:
    """Every participant on one channel."""

    def __init__(self, path: Path, fmt: RecordingFormat) -> None:
        self._writer = AudioFileWriter(path, fmt)
        self._mix = RoomMix(self._writer)
        self.identities: list[str] | None = None

    def push(self, identity: str, track_sid: str, frame: rtc.AudioFrame) -> None:
        self._mix.push(track_sid, frame)

    def flush(self, final: bool = False) -> None:
        self._mix.flush(final)

    async def close(self) -> tuple[int, int]:
        """Write what is left; returns (samples per channel, channels)."""
        await self._writer.aclose()
        return self._writer.samples, 1


class ChannelMix:
    """Each participant on a channel of its own, in the order they first sent audio, all on
    one timeline: a `RoomMix` per channel, written to a mono WAV of its own and interleaved
    into the recording at the end (the channel count is known only then). Participants past
    `MAX_PARTICIPANT_CHANNELS` share the last channel."""

    def __init__(
        self, path: Path, fmt: RecordingFormat, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._path = path
        self._fmt = fmt
        self._clock = clock
        self._t0 = clock()
        self.identities: list[str] = []
        self._mixes: list[RoomMix] = []
        self._of: dict[str, RoomMix] = {}

    def push(self, identity: str, track_sid: str, frame: rtc.AudioFrame) -> None:
        mix = self._of.get(identity)
        if mix is None:
            if len(self._mixes) < MAX_PARTICIPANT_CHANNELS:
                channel = self._path.with_name(f"channel{len(self._mixes)}.wav")
                mix = RoomMix(AudioFileWriter(channel, "wav"), self._clock, t0=self._t0)
                self._mixes.append(mix)
                self.identities.append(identity)
            else:
                mix = self._mixes[-1]
            self._of[identity] = mix
        mix.push(track_sid, frame)

    def flush(self, final: bool = False) -> None:
        for mix in self._mixes:
            mix.flush(final)

    async def close(self) -> tuple[int, int]:
        """Close the channels and write them side by side into the recording; returns
        (samples per channel, channels)."""
        for mix in self._mixes:
            await mix.writer.aclose()
        sources = [(mix.writer.path, mix.offset) for mix in self._mixes]
        writer = AudioFileWriter(self._path, self._fmt, channels=max(1, len(sources)))
        try:
            await asyncio.to_thread(_interleave, sources, writer)
        finally:
            await writer.aclose()
        return writer.samples, writer.channels


def _interleave(sources: list[tuple[Path, int]], writer: AudioFileWriter) -> None:
    """Mono WAVs, each starting `offset` samples into the timeline, as the columns of one
    block stream (blocking: run it in a thread); shorter channels end in silence."""
    block = SAMPLE_RATE
    with contextlib.ExitStack() as stack:
        readers = [(stack.enter_context(wave.open(str(p), "rb")), offset) for p, offset in sources]
        total = max((offset + r.getnframes() for r, offset in readers), default=0)
        for start in range(0, total, block):
            count = min(block, total - start)
            columns = np.zeros((count, max(1, len(readers))), dtype=np.int16)
            for channel, (reader, offset) in enumerate(readers):
                first = max(start, offset)
                if first >= start + count or first - offset >= reader.getnframes():
                    continue
                reader.setpos(first - offset)
                data = np.frombuffer(reader.readframes(start + count - first), dtype="<i2")
                columns[first - start : first - start + len(data), channel] = data
            writer.write(columns if len(readers) > 1 else columns[:, 0])


async def _pump(
    stream: rtc.AudioStream, identity: str, sid: str, mix: MixedRoom | ChannelMix
) -> None:
    async for event in stream:
        mix.push(identity, sid, event.frame)


async def run_recorder(ctx: JobContext, meta: RecorderDispatch) -> None:
    """A room recording job: record until removed from the room, the room ends, everybody
    left, or its worker drains."""
    ctx.log_context_fields = {"recording_id": meta.recording_id}
    path = ctx.session_directory / f"room.{meta.format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiohttp.ClientSession() as http:
        uploader = RecordingUploader(
            http,
            report_url=meta.report_url,
            token=meta.report_token,
            recording_id=meta.recording_id,
        )
        mix = (
            ChannelMix(path, meta.format)
            if meta.layout == "per_participant"
            else MixedRoom(path, meta.format)
        )
        pumps: dict[str, asyncio.Task[None]] = {}
        gone = asyncio.Event()

        def on_subscribed(
            track: rtc.Track,
            publication: rtc.RemoteTrackPublication,
            participant: rtc.RemoteParticipant,
        ) -> None:
            if track.kind == rtc.TrackKind.KIND_AUDIO and publication.sid not in pumps:
                stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
                pumps[publication.sid] = asyncio.create_task(
                    _pump(stream, participant.identity, publication.sid, mix),
                    name="voxroom.recorder_track",
                )

        def on_unsubscribed(
            _: rtc.Track, publication: rtc.RemoteTrackPublication, __: rtc.RemoteParticipant
        ) -> None:
            task = pumps.pop(publication.sid, None)
            if task is not None:
                task.cancel()

        ctx.room.on("track_subscribed", on_subscribed)
        ctx.room.on("track_unsubscribed", on_unsubscribed)
        ctx.room.on("disconnected", lambda *_: gone.set())
        error: str | None = None
        try:
            await join_room(ctx)
            for participant in ctx.room.remote_participants.values():
                for publication in participant.track_publications.values():
                    if publication.track is not None and isinstance(
                        publication, rtc.RemoteTrackPublication
                    ):
                        on_subscribed(publication.track, publication, participant)
            await uploader.started()
            alone_since: float | None = None
            while not gone.is_set() and not DRAINING.is_set():
                mix.flush()
                if ctx.room.remote_participants:
                    alone_since = None
                elif alone_since is None:
                    alone_since = time.monotonic()
                elif time.monotonic() - alone_since > ALONE_LIMIT_S:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gone.wait(), 0.2)
        except Exception as exc:
            logger.exception("room recorder failed")
            error = type(exc).__name__
        finally:
            for task in pumps.values():
                task.cancel()
            await asyncio.gather(*pumps.values(), return_exceptions=True)
            mix.flush(final=True)
        try:
            samples, channels = await mix.close()
            if error is not None:
                await uploader.fail(f"recorder failed: {error}")
            else:
                await uploader.upload(
                    path,
                    samples / SAMPLE_RATE,
                    channels=channels,
                    channel_identities=mix.identities,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.error("room recording not uploaded", extra={"error": type(exc).__name__})
            await uploader.fail(f"upload failed: {type(exc).__name__}")
    ctx.shutdown(reason="recording stopped")
