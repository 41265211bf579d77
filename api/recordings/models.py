from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class Recording(SQLModel, table=True):
    """One audio file: an agent call's (kind `call`, stereo) or a room's (kind `room`)."""

    __tablename__ = "recordings"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    session_id: str | None = Field(default=None, index=True, max_length=40)
    room_name: str = Field(index=True, max_length=160)
    kind: str = Field(default="call", max_length=8)
    egress_id: str | None = Field(default=None, index=True, max_length=64)
    """The recorder job's dispatch id, for room recordings."""
    format: str = Field(default="ogg", max_length=8)
    channels: int = 2
    channel_identities: list[str] | None = Field(default=None, sa_type=JSON)
    """A per-participant room recording: the participant on each channel, in order."""
    status: str = Field(default="recording", index=True, max_length=16)
    received_bytes: int = Field(default=0, sa_type=BigInteger)
    """Bytes of the file uploaded so far."""
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    duration_s: float | None = None
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
