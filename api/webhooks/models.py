"""Webhook endpoints, their deliveries (the durable queue) and every delivery attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    events: list[str] = Field(default_factory=lambda: ["*"], sa_type=JSON)
    """Event types delivered here; `["*"]` means every type, including future ones."""
    active: bool = True
    is_default: bool = False
    """The project's single-URL endpoint of `PUT /webhooks` (seed 000)."""
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    disabled_reason: str | None = Field(default=None, max_length=32)
    failing_since: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, from enqueue to success or giving up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(index=True, max_length=40)
    endpoint_id: str = Field(
        foreign_key="webhook_endpoints.id", ondelete="CASCADE", index=True, max_length=40
    )
    event_id: str = Field(max_length=40)
    """Sent as `webhook-id`: the same on every attempt, so receivers deduplicate on it."""
    event_type: str = Field(max_length=64)
    body: str = Field(sa_type=Text)
    """The exact JSON bytes sent (and signed) on every attempt."""
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UtcDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lease_token: str | None = Field(default=None, max_length=40)
    last_status_code: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        foreign_key="webhook_deliveries.id", ondelete="CASCADE", index=True, max_length=40
    )
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status_code: int | None = None
    duration_ms: float = 0.0
    error: str | None = Field(default=None, max_length=300)
    next_retry_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
