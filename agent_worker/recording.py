"""Recordings made by the workers, uploaded to the control plane (workers never write its disk).

- An agent call whose agent has `privacy.record_audio` is recorded by livekit-agents'
  `RecorderIO` (stereo Ogg/Opus, caller left, agent right) into the job's temp directory; the
  job's `on_session_end` runs after the session closed the file and before the directory is
  removed, and uploads it from there.
- A room recording is a job of its own (`RecorderDispatch`, `room_recorder.py`).

Uploads are chunked (`RECORDING_CHUNK_BYTES`, `Content-Range`) and resume where the control
plane stands after a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import aiohttp
import av
from livekit.agents import JobContext
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
_UPLOAD_ATTEMPTS = 8


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

    async def upload(
        self,
        path: Path,
        duration_s: float,
        channels: int | None = None,
        channel_identities: list[str] | None = None,
    ) -> None:
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
        complete = RecordingComplete(
            size_bytes=size,
            duration_s=duration_s,
            channels=channels,
            channel_identities=channel_identities,
        )
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
