"""Usage counters not already kept on other rows (calls and their usage live on sessions)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ApiCallCount(SQLModel, table=True):
    """Public API requests of one project on one UTC day, summed over every replica."""

    __tablename__ = "usage_api_calls"

    project_id: str = Field(primary_key=True, max_length=40)
    day: str = Field(primary_key=True, max_length=10)
    count: int = 0
