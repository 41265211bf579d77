"""A room recording job (`RecorderDispatch`): every audio track of the room mixed on one
timeline and written to an Ogg/Opus, WAV or MP4 file until the recorder is removed from the
room, the room ends, everybody left, or its worker drains; then uploaded like a call's."""

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

from .contracts import RecorderDispatch, RecordingFormat
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


class AudioFileWriter:
    """Writes mono PCM16 blocks to an Ogg/Opus, WAV or MP4/AAC file in a thread of its own."""

    def __init__(self, path: Path, fmt: RecordingFormat) -> None:
        self.path = path
        self.fmt = fmt
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
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(SAMPLE_RATE)
            while (block := self._queue.get()) is not None:
                file.writeframes(block.astype("<i2").tobytes())

    def _write_av(self) -> None:
        codec, container_format = ("libopus", "ogg") if self.fmt == "ogg" else ("aac", "mp4")
        with av.open(str(self.path), mode="w", format=container_format) as container:
            stream: Any = container.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
            while (block := self._queue.get()) is not None:
                frame = av.AudioFrame.from_ndarray(
                    block.reshape(1, -1), format="s16", layout="mono"
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
        self, writer: AudioFileWriter, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._writer = writer
        self._clock = clock
        self._t0 = clock()
        self._flushed = 0
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
        self._writer.write(np.clip(block, -32768, 32767).astype(np.int16))


async def _pump(stream: rtc.AudioStream, sid: str, mix: RoomMix) -> None:
    async for event in stream:
        mix.push(sid, event.frame)


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
        writer = AudioFileWriter(path, meta.format)
        mix = RoomMix(writer)
        pumps: dict[str, asyncio.Task[None]] = {}
        gone = asyncio.Event()

        def on_subscribed(
            track: rtc.Track, publication: rtc.RemoteTrackPublication, _: rtc.RemoteParticipant
        ) -> None:
            if track.kind == rtc.TrackKind.KIND_AUDIO and publication.sid not in pumps:
                stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
                pumps[publication.sid] = asyncio.create_task(
                    _pump(stream, publication.sid, mix), name="voxroom.recorder_track"
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
            await writer.aclose()
            if error is not None:
                await uploader.fail(f"recorder failed: {error}")
            else:
                await uploader.upload(path, writer.samples / SAMPLE_RATE, channels=1)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.error("room recording not uploaded", extra={"error": type(exc).__name__})
            await uploader.fail(f"upload failed: {type(exc).__name__}")
    ctx.shutdown(reason="recording stopped")
