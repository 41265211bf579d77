"""Wire models of webhook endpoints, deliveries and test events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.events.catalogue import EVENT_TYPES

ALL_EVENTS = "*"

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_URL = Field(
    min_length=8,
    max_length=2048,
    pattern=r"^[^\s\x00-\x1f\x7f]+$",
    description="http(s) URL receiving the events (public addresses only)",
)
_DESCRIPTION = Field(default="", max_length=500, pattern=_NO_CONTROL)
_EVENTS_DESCRIPTION = 'Event types to receive; omitted or `["*"]` means all of them.'


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [name for name in value if name != ALL_EVENTS and name not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type: {unknown[0]}")
    if not value or ALL_EVENTS in value:
        return [ALL_EVENTS]
    return list(dict.fromkeys(value))


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = _URL
    events: list[str] | None = Field(default=None, max_length=50, description=_EVENTS_DESCRIPTION)
    description: str = _DESCRIPTION

    _events = field_validator("events")(_check_events)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None, min_length=8, max_length=2048, pattern=r"^[^\s\x00-\x1f\x7f]+$"
    )
    events: list[str] | None = Field(default=None, max_length=50, description=_EVENTS_DESCRIPTION)
    description: str | None = Field(default=None, max_length=500, pattern=_NO_CONTROL)
    active: bool | None = Field(
        default=None, description="Re-enable an endpoint disabled after failures, or pause one"
    )

    _events = field_validator("events")(_check_events)


class DefaultWebhookPut(BaseModel):
    """Seed 000's single-URL form: the project's default endpoint, all events."""

    model_config = ConfigDict(extra="forbid")

    url: str = _URL


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    is_default: bool
    disabled_reason: str | None = Field(description="`gone` (410) or `failing` (5 days)")
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="`whsec_` + base64 of 32 random bytes; shown only once")


class WebhookEnvelope(BaseModel):
    webhook: WebhookRead


class WebhookCreated(BaseModel):
    webhook: WebhookWithSecret


class WebhookList(BaseModel):
    webhooks: list[WebhookRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class AttemptRead(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: float
    error: str | None
    next_retry_at: datetime | None


class DeliveryRead(BaseModel):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, succeeded or failed")
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[AttemptRead]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class DeliveryEnvelope(BaseModel):
    delivery: DeliveryRead


class WebhookTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(default="test", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, description="The event's `data`")

    @field_validator("event_type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type: {value}")
        return value


class TestDelivery(BaseModel):
    webhook_id: str
    delivery_id: str


class WebhookTestResult(BaseModel):
    event_id: str
    event_type: str
    deliveries: list[TestDelivery]
