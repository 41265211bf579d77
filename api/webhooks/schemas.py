"""Wire models of webhook endpoints, deliveries and test events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from litestar.params import PathParameter
from pydantic import ConfigDict, Field, field_validator

from api.events.catalogue import EVENT_TYPES
from api.pagination import Paginated
from api.schemas import RequestBody, ResponseBody

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
    rf"(:{_PORT})?([/?#][^\x00-\x20\x7f-\x9f]*)?$"
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
_DESCRIPTION = Field(
    default="", max_length=500, pattern=_NO_CONTROL, description="A note for people"
)
_EVENTS_DESCRIPTION = 'Event types to receive; omitted or `["*"]` means all of them.'


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if not value or ALL_EVENTS in value:
        return [ALL_EVENTS]
    return list(dict.fromkeys(value))


WebhookId = Annotated[str, PathParameter(description="The webhook endpoint's id (`whk_...`)")]
DeliveryId = Annotated[str, PathParameter(description="The delivery's id (`dlv_...`)")]

_EXAMPLE_URL = "https://hooks.example.com/voxroom"


class WebhookCreate(RequestBody):
    """A new endpoint; its signing secret is in the response, and only there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": _EXAMPLE_URL,
                    "events": ["session.ended", "transcript.new"],
                    "description": "CRM sync",
                }
            ]
        }
    )

    url: str = _URL
    events: list[EventName] | None = Field(
        default=None, max_length=50, description=_EVENTS_DESCRIPTION
    )
    description: str = _DESCRIPTION

    _events = field_validator("events")(_check_events)


class WebhookUpdate(RequestBody):
    """Only the fields sent change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"events": ["session.ended"], "active": True}]}
    )

    url: str | None = Field(
        default=None,
        min_length=8,
        max_length=2048,
        pattern=_URL_PATTERN,
        description="A new receiving URL (same rules as on creation)",
    )
    events: list[EventName] | None = Field(
        default=None, max_length=50, description=_EVENTS_DESCRIPTION
    )
    description: str | None = Field(
        default=None, max_length=500, pattern=_NO_CONTROL, description="A note for people"
    )
    active: bool | None = Field(
        default=None, description="Re-enable an endpoint disabled after failures, or pause one"
    )

    _events = field_validator("events")(_check_events)


class DefaultWebhookPut(RequestBody):
    """Seed 000's single-URL form: the project's default endpoint, all events."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"url": _EXAMPLE_URL}]})

    url: str = _URL


class WebhookRead(ResponseBody):
    id: str
    """The endpoint's id (`whk_...`)."""
    url: str
    """Where the events are sent."""
    events: list[str]
    """Event types sent there; `["*"]` means all of them."""
    description: str
    """A note for people."""
    active: bool
    """False once disabled (by you, a 410, or five days of failures); nothing is sent then."""
    is_default: bool
    """Whether this is the project's default endpoint (seed 000's `PUT /webhooks`)."""
    disabled_reason: str | None = Field(description="`gone` (410) or `failing` (5 days)")
    created_at: datetime
    """When the endpoint was created (UTC)."""
    updated_at: datetime
    """When it last changed (UTC)."""


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="`whsec_` + base64 of 32 random bytes; shown only once")


class WebhookEnvelope(ResponseBody):
    webhook: WebhookRead
    """The endpoint."""


class WebhookCreated(ResponseBody):
    webhook: WebhookWithSecret
    """The endpoint, with the secret to verify its signatures: store it now."""


class WebhookList(Paginated):
    webhooks: list[WebhookRead]
    """The project's endpoints, oldest first."""


class AttemptRead(ResponseBody):
    attempted_at: datetime
    """When the attempt was made (UTC)."""
    status_code: int | None
    """The receiver's HTTP status; null when there was no answer."""
    duration_ms: float
    """How long the attempt took."""
    error: str | None
    """Why it failed (timeout, refused target, connection error, redirect), if it did."""
    next_retry_at: datetime | None
    """When the next attempt is due; null when none is (delivered, or given up)."""


class DeliveryRead(ResponseBody):
    id: str
    """The delivery's id (`dlv_...`): one event to one endpoint, over all its attempts."""
    webhook_id: str
    """The endpoint it goes to."""
    event_id: str
    """The event (`evt_...`), also sent as the `webhook-id` header: deduplicate on it."""
    event_type: str
    """The event's type."""
    status: str = Field(description="pending, succeeded or failed")
    attempt_count: int
    """Attempts made so far."""
    next_attempt_at: datetime | None
    """When the next attempt is due (UTC), if one is."""
    last_status_code: int | None
    """The receiver's status at the last attempt, if it answered."""
    created_at: datetime
    """When the delivery was queued (UTC)."""
    delivered_at: datetime | None
    """When a 2xx was received (UTC), if it was."""
    attempts: list[AttemptRead]
    """Every attempt, oldest first."""


class DeliveryList(Paginated):
    deliveries: list[DeliveryRead]
    """The endpoint's deliveries, newest first."""


class DeliveryEnvelope(ResponseBody):
    delivery: DeliveryRead
    """The delivery."""


class WebhookTest(RequestBody):
    """A `test` event (or another type, with your payload) sent to the matching endpoints."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_type": "test", "payload": {"hello": "world"}}]}
    )

    event_type: TestEventName = Field(default="test", description="The event type to simulate")
    payload: dict[str, Any] = Field(default_factory=dict, description="The event's `data`")


class TestDelivery(ResponseBody):
    webhook_id: str
    """An endpoint the test event was queued for."""
    delivery_id: str
    """Its delivery: follow it in `GET /webhooks/{id}/deliveries`."""


class WebhookTestResult(ResponseBody):
    event_id: str
    """The test event's id (`evt_...`)."""
    event_type: str
    """Its type."""
    deliveries: list[TestDelivery]
    """One delivery per endpoint that receives this type."""
