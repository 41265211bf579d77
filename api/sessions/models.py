from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class CallSession(SQLModel, table=True):
    """One conversation: created at dispatch, closed by the worker or the control plane."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    agent_id: str | None = Field(default=None, index=True, max_length=40)
    agent_name: str | None = Field(default=None, max_length=100)
    llm_provider: str | None = Field(default=None, max_length=40)
    llm_model: str | None = Field(default=None, max_length=100)
    stt_provider: str | None = Field(default=None, max_length=40)
    tts_provider: str | None = Field(default=None, max_length=40)
    room_name: str = Field(index=True, max_length=160)
    caller_identity: str | None = Field(default=None, max_length=256)
    session_type: str = Field(default="voice", max_length=16)
    status: str = Field(default="active", index=True, max_length=16)
    end_reason: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=1000)
    summary: str | None = Field(default=None, max_length=10_000)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    duration_s: float | None = None
    message_count: int = 0
    stt_audio_seconds: float = 0.0
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    tts_characters: int = 0


class TranscriptEntry(SQLModel, table=True):
    __tablename__ = "transcript_entries"

    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=40)
    speaker: str = Field(max_length=16)
    content: str
    timestamp_ms: int = 0
    """Milliseconds from the session's start."""
    is_final: bool = True
    interrupted: bool = False
    latency: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SessionEvent(SQLModel, table=True):
    """Worker events already applied, so a retried report is applied exactly once."""

    __tablename__ = "session_events"
    __table_args__ = (UniqueConstraint("session_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=40)
    event_id: str = Field(max_length=100)
    type: str = Field(max_length=32)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
