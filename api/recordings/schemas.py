"""Wire models of recordings (`/recordings`, `/rooms/{room}/recordings/start|stop`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar.params import PathParameter
from pydantic import ConfigDict, Field

from agent_worker.contracts import ChannelLayout, RecordingFormat
from api.pagination import Paginated
from api.schemas import RequestBody, ResponseBody

RecordingStatus = Literal["starting", "recording", "stopping", "ready", "failed"]
ACTIVE_STATUSES: tuple[RecordingStatus, ...] = ("starting", "recording", "stopping")

RecordingId = Annotated[str, PathParameter(description="The recording's id (`rec_...`)")]


class RecordingRead(ResponseBody):
    """One audio file: an agent call's stereo recording or an on-demand room recording."""

    id: str
    """The recording's id (`rec_...`)."""
    kind: Literal["call", "room"]
    """`call`: an agent call recorded because its agent has `privacy.record_audio` (stereo:
    caller left, agent right); `room`: started with `POST /rooms/{room}/recordings/start`."""
    egress_id: str | None
    """The recorder job that writes a room recording (its agent dispatch id); null for calls."""
    room_name: str
    """The room's full LiveKit name, with the project prefix."""
    session_id: str | None
    """The recorded session (`ses_...`); null for room recordings."""
    format: RecordingFormat
    """The file's format: `ogg` (Opus), `wav` (PCM16) or `mp4` (AAC)."""
    channels: int
    """Audio channels (a call: 2, caller left and agent right; a per-participant room
    recording: one per participant, set when it is ready)."""
    channel_identities: list[str] | None
    """A per-participant room recording once ready: the participant identity on each
    channel, in order; null otherwise."""
    status: RecordingStatus
    """`starting` (the recorder is joining), `recording`, `stopping` (the file is being
    uploaded), `ready` (downloadable) or `failed`."""
    size_bytes: int | None
    """The file's size once ready; null before."""
    duration_s: float | None
    """Seconds of audio once ready; null before."""
    error: str | None
    """Why it failed; null otherwise."""
    created_at: datetime
    """When it was requested or the call's recording began (ISO 8601, UTC)."""
    started_at: datetime | None
    """When recording began; null while starting."""
    ended_at: datetime | None
    """When it became ready or failed; null before."""


class RecordingEnvelope(ResponseBody):
    recording: RecordingRead
    """The recording."""


class RecordingList(Paginated):
    recordings: list[RecordingRead]
    """This page of the project's recordings, newest first."""


class RecordingsStopped(ResponseBody):
    recordings: list[RecordingRead]
    """The recordings asked to stop; each becomes `ready` once its file is uploaded."""


class RecordingStart(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"format": "ogg", "layout": "per_participant"}]}
    )

    format: RecordingFormat = "ogg"
    """The file's format: `ogg` (Opus), `wav` (PCM16) or `mp4` (AAC)."""
    layout: ChannelLayout = "mixed"
    """`mixed`: every participant on one channel; `per_participant`: each participant on a
    channel of their own, in the order they first spoke (up to 4;
    later participants share the last one). `channel_identities` says who is where."""


class RecordingStop(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"egress_id": "AD_x1y2z3"}]})

    egress_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\x00]*$")
    """The recording to stop (its `egress_id`); omitted stops every recording of the room."""


class DownloadUrlRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expires_in": 3600}]})

    expires_in: int = Field(default=3600, ge=60, le=86_400)
    """Seconds the URL works (1 minute to 24 hours)."""


class DownloadUrl(ResponseBody):
    url: str
    """GET it without an API key (HTTP Range works); anyone holding it can download the file
    until it expires."""
    expires_at: datetime
    """When it stops working (ISO 8601, UTC)."""
