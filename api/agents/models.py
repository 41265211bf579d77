from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class AgentConfig(SQLModel, table=True):
    __tablename__ = "agents"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    name: str = Field(max_length=100)
    spec: dict[str, Any] = Field(sa_type=JSON)
    """The validated `AgentSpec` as JSON: the exact snapshot a worker receives."""
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
