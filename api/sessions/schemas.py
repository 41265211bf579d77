from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RequestBody

SessionStatus = Literal["active", "completed", "failed", "timeout"]
EndReason = Literal["manual", "max_duration", "silence", "participant_left", "agent_error"]


class Elapsed(BaseModel):
    totalSeconds: int
    display: str


class SessionRead(BaseModel):
    id: str
    room_name: str
    agent_config_id: str | None
    agent_name: str | None
    caller_identity: str | None
    session_type: str
    status: SessionStatus
    end_reason: str | None
    started_at: datetime
    ended_at: datetime | None
    duration: float | None
    message_count: int
    summary: str | None
    metadata: dict[str, Any]
    elapsed: Elapsed | None = None


class SessionEnvelope(BaseModel):
    session: SessionRead


class SessionList(BaseModel):
    sessions: list[SessionRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class SessionCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"room_name": "front-desk", "caller_identity": "caller-1"}]}
    )

    room_name: str = Field(min_length=1, max_length=160)
    agent_config_id: str | None = Field(default=None, max_length=40)
    caller_identity: str | None = Field(default=None, max_length=256)
    session_type: Literal["voice", "sip", "web"] = "voice"
    metadata: dict[str, Any] = Field(default_factory=dict)


class TranscriptCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"speaker": "user", "content": "When are you open on Saturday?"}]
        }
    )

    speaker: Literal["agent", "user", "system"]
    content: str = Field(min_length=1, max_length=50_000)
    timestamp_ms: int | None = Field(default=None, ge=0)
    is_final: bool = True


class TranscriptLine(BaseModel):
    speaker: str
    content: str
    timestamp_ms: int
    is_final: bool
    interrupted: bool
    latency: dict[str, Any] | None
    created_at: datetime


class Transcript(BaseModel):
    session_id: str
    transcripts: list[TranscriptLine]


class SessionEnd(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"summary": "Caller asked about opening hours."}]}
    )

    summary: str | None = Field(default=None, max_length=10_000)
    duration: float | None = Field(default=None, ge=0)


class Usage(BaseModel):
    stt_audio_seconds: float
    llm_prompt_tokens: int
    llm_completion_tokens: int
    tts_characters: int


class Costs(BaseModel):
    total: float
    llm: float
    stt: float
    tts: float


class SessionDetail(BaseModel):
    session: SessionRead
    llm_provider: str | None
    llm_model: str | None
    usage: Usage
    costs: Costs
    latency_ms: dict[str, float | None]
    """Median per-stage latency over the agent's turns."""


class EventsAccepted(BaseModel):
    applied: int
    duplicates: int
