"""Wire models of webhook endpoints, deliveries and test events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.events.catalogue import EVENT_TYPES

ALL_EVENTS = "*"

if TYPE_CHECKING:
    EventName = str
    TestEventName = str
else:
    # Enums in the document, so that the schema refuses what the service refuses.
    EventName = Literal[(*EVENT_TYPES, ALL_EVENTS)]
    TestEventName = Literal[EVENT_TYPES]

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
_URL_PATTERN = (
    r"^https?://([A-Za-z0-9-]{1,63}\.)*[A-Za-z][A-Za-z0-9-]{0,62}\.?"
    rf"(:{_PORT})?([/?#][^\s\x00-\x1f\x7f]*)?$"
)
"""http(s) and a host name (its last label starts with a letter): no credentials and no
address literals, in any spelling (`2852039166`, `0xa9fea9fe`, `[::1]`). Whether the name
resolves to a public address is checked on every delivery, on the address connected to;
`VOXROOM_WEBHOOK_URL_ALLOWLIST` names local receivers (`localhost:8080`)."""
_URL = Field(
    min_length=8,
    max_length=2048,
    pattern=_URL_PATTERN,
    description="http(s) URL receiving the events (public addresses only)",
)
_DESCRIPTION = Field(default="", max_length=500, pattern=_NO_CONTROL)
_EVENTS_DESCRIPTION = 'Event types to receive; omitted or `["*"]` means all of them.'


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if not value or ALL_EVENTS in value:
        return [ALL_EVENTS]
    return list(dict.fromkeys(value))


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = _URL
    events: list[EventName] | None = Field(
        default=None, max_length=50, description=_EVENTS_DESCRIPTION
    )
    description: str = _DESCRIPTION

    _events = field_validator("events")(_check_events)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str | None = Field(default=None, min_length=8, max_length=2048, pattern=_URL_PATTERN)
    events: list[EventName] | None = Field(
        default=None, max_length=50, description=_EVENTS_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=500, pattern=_NO_CONTROL)
    active: bool | None = Field(
        default=None, description="Re-enable an endpoint disabled after failures, or pause one"
    )

    _events = field_validator("events")(_check_events)


class DefaultWebhookPut(BaseModel):
    """Seed 000's single-URL form: the project's default endpoint, all events."""

    model_config = ConfigDict(extra="forbid", strict=True)

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
    model_config = ConfigDict(extra="forbid", strict=True)

    event_type: TestEventName = Field(default="test", description="The event type to simulate")
    payload: dict[str, Any] = Field(default_factory=dict, description="The event's `data`")


class TestDelivery(BaseModel):
    webhook_id: str
    delivery_id: str


class WebhookTestResult(BaseModel):
    event_id: str
    event_type: str
    deliveries: list[TestDelivery]
