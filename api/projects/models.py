from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class Project(SQLModel, table=True):
    __tablename__ = "projects"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100, unique=True)
    plan: str = Field(default="free", max_length=32)
    room_prefix: str = Field(max_length=40, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    name: str = Field(default="", max_length=100)
    prefix: str = Field(max_length=20)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=64)
    """Space-separated scope names."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
