from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class VoiceConfig(SQLModel, table=True):
    """A project's defaults for voice sessions (`/config`); no row means the defaults."""

    __tablename__ = "voice_configs"

    project_id: str = Field(foreign_key="projects.id", primary_key=True, max_length=40)
    agent_config_id: str | None = Field(default=None, max_length=40)
    """No foreign key: deleting an agent must not fail on the config (a session then says
    the agent is gone)."""
    prompt: str | None = Field(default=None, max_length=20_000)
    language: str | None = Field(default=None, max_length=16)
    max_duration: int = 300
    provider: str = Field(default="basic", max_length=16)
    max_active_sessions: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class VoiceCall(SQLModel, table=True):
    """The gateway side of a session: its transport, conversation and gateway."""

    __tablename__ = "voice_calls"

    session_id: str = Field(
        foreign_key="sessions.id", ondelete="CASCADE", primary_key=True, max_length=40
    )
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    transport: str = Field(max_length=16)
    """`websocket` or `twilio`."""
    history_key: str = Field(index=True, max_length=64)
    """The conversation this call belongs to: reconnecting with it within 24 h continues it."""
    gateway_id: str | None = Field(default=None, index=True, max_length=100)
    """The gateway bridging the call; null until a client connected."""
    max_duration_s: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
