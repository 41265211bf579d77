"""Recordings made by the workers, uploaded to the control plane (workers never write its disk).

- An agent call whose agent has `privacy.record_audio` is recorded by livekit-agents'
  `RecorderIO` (stereo Ogg/Opus, caller left, agent right) into the job's temp directory; the
  job's `on_session_end` runs after the session closed the file and before the directory is
  removed, and uploads it from there.
- A room recording is a job of its own (`RecorderDispatch`): it subscribes to every audio track,
  mixes them on one timeline and writes the file until it is removed from the room, the room
  ends, or its worker drains.

Uploads are chunked (`RECORDING_CHUNK_BYTES`, `Content-Range`) and resume where the control
plane stands after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
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
from livekit.agents import AutoSubscribe, JobContext
from livekit.agents.voice.agent_session import RecordingOptions
from pydantic import ValidationError

from .contracts import (
    RECORDING_CHUNK_BYTES,
    AgentSpec,
    DispatchMetadata,
    RecorderDispatch,
    RecordingComplete,
    RecordingFailed,
    RecordingFormat,
    RecordingOpen,
    RecordingUploadState,
)

logger = logging.getLogger(__name__)

CALL_RECORDING_FILE = "audio.ogg"
"""Where `AgentSession.start(record=...)` has RecorderIO write, in the job's directory."""
SAMPLE_RATE = 48_000
_SETTLE_S = 0.3
"""Audio younger than this may still be joined by a late frame of another track."""
_GAP_S = 0.1
"""A track that was silent longer than this restarts at its frame's arrival time."""
_UPLOAD_ATTEMPTS = 8
ALONE_LIMIT_S = 10.0
"""A room recorder left alone in its room this long stops (and uploads)."""

DRAINING = threading.Event()
"""Set when the worker drains: room recorders stop and upload instead of holding it up."""


def call_recording_options(spec: AgentSpec) -> RecordingOptions:
    """`AgentSession.start(record=...)`: audio only when the agent records its calls (traces,
    logs and transcripts would go to LiveKit Cloud, which a self-hosted server is not)."""
    return RecordingOptions(
        audio=spec.privacy.record_audio, traces=False, logs=False, transcript=False, redaction=False
    )


def recording_id_for_job(job_id: str) -> str:
    """One recording per job, named from it, so that a retried open opens the same one."""
    return "rec_" + hashlib.sha256(job_id.encode()).hexdigest()[:20]


def recorder_dispatch(raw_metadata: str) -> RecorderDispatch | None:
    """The job's metadata as a room recorder's dispatch, or None for an agent call."""
    if '"recorder"' not in raw_metadata:
        return None
    try:
        return RecorderDispatch.model_validate_json(raw_metadata)
    except ValidationError:
        return None


class RecordingUploader:
    """Opens, uploads (chunked, resumable) and seals one recording on the control plane."""

    def __init__(
        self, http: aiohttp.ClientSession, *, report_url: str, token: str, recording_id: str
    ) -> None:
        self._http = http
        self._base = report_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.recording_id = recording_id

    @property
    def _url(self) -> str:
        return f"{self._base}/recordings/{self.recording_id}"

    async def _request(
        self, method: str, url: str, *, json: Any = None, data: bytes | None = None, **headers: str
    ) -> tuple[int, Any]:
        """One request, retried with backoff on network errors and 5xx; 4xx come back."""
        delay = 0.25
        for attempt in range(_UPLOAD_ATTEMPTS):
            try:
                async with self._http.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    headers={**self._headers, **headers},
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    if response.status < 500:
                        body = await response.json(content_type=None)
                        return response.status, body
            except (aiohttp.ClientError, TimeoutError):
                if attempt == _UPLOAD_ATTEMPTS - 1:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise aiohttp.ClientError(f"{method} {url}: server errors")

    async def open_call(self, session_id: str, fmt: RecordingFormat = "ogg") -> None:
        status, body = await self._request(
            "POST",
            f"{self._base}/sessions/{session_id}/recordings",
            json=RecordingOpen(id=self.recording_id, format=fmt, channels=2).model_dump(),
        )
        if status != 200:
            raise aiohttp.ClientError(f"recording not opened: {status} {body}")

    async def started(self) -> None:
        await self._request("POST", f"{self._url}/started")

    async def upload(self, path: Path, duration_s: float, channels: int | None = None) -> None:
        """Upload the whole file from where the control plane stands, then seal it."""
        size = (await asyncio.to_thread(path.stat)).st_size
        _, state = await self._request("GET", f"{self._url}/upload")
        offset = RecordingUploadState.model_validate(state).received_bytes
        with path.open("rb") as file:
            while offset < size:
                await asyncio.to_thread(file.seek, offset)
                chunk = await asyncio.to_thread(file.read, RECORDING_CHUNK_BYTES)
                status, body = await self._request(
                    "PUT",
                    f"{self._url}/content",
                    data=chunk,
                    **{
                        "Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{size}",
                        "Content-Type": "application/octet-stream",
                    },
                )
                if status == 409 and "received_bytes" in body.get("details", {}):
                    offset = int(body["details"]["received_bytes"])  # resume where it stands
                    continue
                if status != 200:
                    raise aiohttp.ClientError(f"chunk refused: {status} {body.get('code')}")
                offset = RecordingUploadState.model_validate(body).received_bytes
        complete = RecordingComplete(size_bytes=size, duration_s=duration_s, channels=channels)
        status, body = await self._request(
            "POST", f"{self._url}/complete", json=complete.model_dump()
        )
        if status != 200:
            raise aiohttp.ClientError(f"recording not sealed: {status} {body.get('code')}")

    async def fail(self, error: str) -> None:
        try:
            await self._request(
                "POST", f"{self._url}/fail", json=RecordingFailed(error=error[:1000]).model_dump()
            )
        except (aiohttp.ClientError, TimeoutError):
            logger.warning("recording failure not reported", extra={"id": self.recording_id})


def audio_duration_s(path: Path) -> float:
    """Seconds of audio in a file (blocking: run it in a thread)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / av.time_base
    return 0.0


async def upload_call_recording(ctx: JobContext) -> None:
    """`on_session_end` of agent calls: upload the stereo file RecorderIO wrote, if any."""
    if recorder_dispatch(ctx.job.metadata) is not None:
        return
    try:
        meta = DispatchMetadata.model_validate_json(ctx.job.metadata)
    except ValidationError:
        return
    if not meta.agent.privacy.record_audio or not meta.report_token:
        return
    path = ctx.session_directory / CALL_RECORDING_FILE
    async with aiohttp.ClientSession() as http:
        uploader = RecordingUploader(
            http,
            report_url=meta.report_url,
            token=meta.report_token,
            recording_id=recording_id_for_job(ctx.job.id),
        )
        try:
            await uploader.open_call(meta.session_id)
            if not path.exists():
                await uploader.fail("the call ended before any audio was recorded")
                return
            duration = await asyncio.to_thread(audio_duration_s, path)
            await uploader.upload(path, duration, channels=2)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.error("call recording not uploaded", extra={"error": type(exc).__name__})
            await uploader.fail(f"upload failed: {type(exc).__name__}")


async def open_call_recording(
    http: aiohttp.ClientSession, job_id: str, meta: DispatchMetadata
) -> None:
    """Tell the control plane the call's recording started (recording.started)."""
    uploader = RecordingUploader(
        http,
        report_url=meta.report_url,
        token=meta.report_token,
        recording_id=recording_id_for_job(job_id),
    )
    try:
        await uploader.open_call(meta.session_id)
    except (aiohttp.ClientError, TimeoutError) as exc:
        # opened again at upload: the recording itself goes on
        logger.warning("call recording not opened", extra={"error": type(exc).__name__})


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
            await ctx.connect(auto_subscribe=AutoSubscribe.AUDIO_ONLY)
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
