from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar.params import PathParameter
from pydantic import ConfigDict, Field

from api.pagination import Paginated
from api.recordings.schemas import RecordingRead
from api.schemas import RequestBody, ResponseBody

SessionStatus = Literal["active", "completed", "failed", "timeout"]
EndReason = Literal["manual", "max_duration", "silence", "participant_left", "agent_error"]

SessionId = Annotated[str, PathParameter(description="The session's id (`ses_...`)")]
ActiveSessionRoom = Annotated[
    str,
    PathParameter(
        description="The room's name, with or without the project prefix: the newest active "
        "session in it is the one meant"
    ),
]


class Elapsed(ResponseBody):
    """How long an active session has run so far."""

    totalSeconds: int
    """Whole seconds since it started."""
    display: str
    """The same as `mm:ss`, or `h:mm:ss` past an hour."""


class SessionRead(ResponseBody):
    """One conversation in a room, from the agent's dispatch (or `POST /sessions`) to its end."""

    id: str
    """The session's id (`ses_...`)."""
    room_name: str
    """The room's full LiveKit name, with the project prefix."""
    agent_config_id: str | None
    """The agent (`agt_...`) in the conversation; null if none."""
    agent_name: str | None
    """That agent's name when the session started; null if no agent."""
    caller_identity: str | None
    """The participant identity of the caller; null until known."""
    session_type: str
    """How the caller came in: `voice` (a LiveKit room over WebRTC), `sip` (a phone call),
    `websocket` (a plain WebSocket through the media gateway), `twilio` (a Twilio call through
    the media gateway) or `web`."""
    status: SessionStatus
    """`active` until it ends; then `completed`, `timeout` (it hit `max_duration_s`) or
    `failed` (the agent failed, or the caller never joined)."""
    end_reason: str | None
    """Why it ended: `manual`, `max_duration`, `silence`, `participant_left`, `agent_error`,
    `no_show`, or for media-gateway calls `transport_error`, `gateway_shutdown` or
    `gateway_restart`; null while active."""
    started_at: datetime
    """When it started (ISO 8601, UTC)."""
    ended_at: datetime | None
    """When it ended (ISO 8601, UTC); null while active."""
    duration: float | None
    """Seconds from start to end (or as given to `POST /sessions/{room}/end`); null while
    active."""
    message_count: int
    """Transcript lines so far."""
    summary: str | None
    """A summary of the conversation, as given when it was ended; null if none."""
    metadata: dict[str, Any]
    """Free-form data given when the session was created."""
    elapsed: Elapsed | None = None
    """Time since the start, while active; null once ended."""


class SessionEnvelope(ResponseBody):
    session: SessionRead
    """The session."""
    recordings: list[RecordingRead] = Field(default_factory=list)
    """The session's recordings (`GET /sessions/{id}` fills it; empty elsewhere)."""


class SessionList(Paginated):
    sessions: list[SessionRead]
    """This page of the project's sessions, newest first."""


class SessionCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"room_name": "front-desk", "caller_identity": "caller-1"}]}
    )

    room_name: str = Field(
        min_length=1,
        max_length=150,
        description="The call's room, with or without the project prefix (which adds 10)",
    )
    """The room, with or without the project prefix; it need not exist in LiveKit."""
    agent_config_id: str | None = Field(default=None, max_length=40)
    """The agent (`agt_...`) handling the conversation, recorded on the session; nothing is
    dispatched. 404 if the project has no such agent."""
    caller_identity: str | None = Field(default=None, max_length=256)
    """The participant identity of the caller."""
    session_type: Literal["voice", "sip", "web"] = "voice"
    """How the caller came in: `voice` (a LiveKit room over WebRTC), `sip` (a phone call) or
    `web`."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form data kept with the session."""


class TranscriptCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"speaker": "user", "content": "When are you open on Saturday?"}]
        }
    )

    speaker: Literal["agent", "user", "system"]
    """Who spoke."""
    content: str = Field(min_length=1, max_length=50_000)
    """What was said."""
    timestamp_ms: int | None = Field(default=None, ge=0, le=2_147_483_647)
    """Milliseconds from the session's start; omit for now."""
    is_final: bool = True
    """False marks an interim (not final) transcript."""


class TranscriptLine(ResponseBody):
    """One line of a conversation."""

    speaker: str
    """`user`, `agent`, `system`, or `supervisor` (a human who took the call over)."""
    content: str
    """What was said."""
    timestamp_ms: int
    """Milliseconds from the session's start to the line."""
    is_final: bool
    """False for an interim transcript."""
    interrupted: bool
    """Whether the caller cut the agent off during this line."""
    latency: dict[str, Any] | None
    """Milliseconds per stage of the agent's turn (`end_of_turn_ms`, `stt_ms`,
    `llm_first_token_ms`, `tts_first_audio_ms`; null where not measured); null for lines the
    agent worker did not measure."""
    created_at: datetime
    """When the line was stored (ISO 8601, UTC)."""


class Transcript(ResponseBody):
    session_id: str
    """The session's id (`ses_...`)."""
    transcripts: list[TranscriptLine]
    """Its lines in the order they were spoken."""


class SessionEnd(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"summary": "Caller asked about opening hours."}]}
    )

    summary: str | None = Field(default=None, max_length=10_000)
    """A summary of the conversation to keep with the session."""
    duration: float | None = Field(default=None, ge=0)
    """Seconds to record as its duration instead of the time since it started."""


class Usage(ResponseBody):
    """What the session consumed, as the agent worker reported it."""

    stt_audio_seconds: float
    """Seconds of audio sent to speech-to-text."""
    llm_prompt_tokens: int
    """LLM input tokens."""
    llm_completion_tokens: int
    """LLM output tokens."""
    tts_characters: int
    """Characters sent to text-to-speech."""


class Costs(ResponseBody):
    """Estimated cost in US dollars, from list prices; offline models cost 0."""

    total: float
    """The sum of the three."""
    llm: float
    """Language model."""
    stt: float
    """Speech-to-text."""
    tts: float
    """Text-to-speech."""


class SessionDetail(ResponseBody):
    session: SessionRead
    """The session."""
    llm_provider: str | None
    """The agent's LLM provider as configured when the session started (`auto` is not
    resolved); null without an agent."""
    llm_model: str | None
    """The agent's LLM model as configured; null when left to the worker's default."""
    usage: Usage
    """What it consumed."""
    costs: Costs
    """What that cost."""
    latency_ms: dict[str, float | None]
    """Median per-stage latency over the agent's turns."""


class EventsAccepted(ResponseBody):
    applied: int
    """Events applied now."""
    duplicates: int
    """Events already applied by an earlier report, skipped."""
