"""Webhook endpoints and their delivery queue, scoped to one project."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import get_owned, scoped, utcnow
from api.errors import Conflict, NotFound
from api.ids import new_id
from api.pagination import Page, paginate
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.webhooks.schemas import (
    ALL_EVENTS,
    AttemptRead,
    DefaultWebhookPut,
    DeliveryRead,
    TestDelivery,
    WebhookCreate,
    WebhookRead,
    WebhookTest,
    WebhookTestResult,
    WebhookUpdate,
    WebhookWithSecret,
)
from api.webhooks.settings import WebhookSettings
from api.webhooks.signing import new_secret
from kb.netguard import check_url
from kb.utc import iso_utc


class Queued(NamedTuple):
    endpoint_id: str
    delivery_id: str


def webhook_read(row: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=row.id,
        url=row.url,
        events=row.events,
        description=row.description,
        active=row.active,
        is_default=row.is_default,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def with_secret(row: WebhookEndpoint) -> WebhookWithSecret:
    return WebhookWithSecret(**webhook_read(row).model_dump(), secret=row.secret)


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return event_type == "test" or ALL_EVENTS in endpoint.events or event_type in endpoint.events


async def enqueue_events(session: AsyncSession, bodies: Sequence[dict[str, Any]]) -> list[Queued]:
    """Add one delivery per active endpoint subscribed to each event (bodies as API.md's
    event body), in the caller's transaction: not committed here. An event already queued for
    an endpoint is not queued again (the relay may hand a batch over twice)."""
    projects = {body["project_id"] for body in bodies}
    if not projects:
        return []
    statement = select(WebhookEndpoint).where(
        col(WebhookEndpoint.project_id).in_(projects), col(WebhookEndpoint.active)
    )
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in (await session.exec(statement)).all():
        endpoints.setdefault(endpoint.project_id, []).append(endpoint)
    now = utcnow()
    rows = [
        {
            "id": new_id("dlv"),
            "project_id": body["project_id"],
            "endpoint_id": endpoint.id,
            "event_id": body["id"],
            "event_type": body["event_type"],
            # Fixed once, so that every attempt signs the same bytes.
            "body": json.dumps(body, separators=(",", ":"), default=str),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for body in bodies
        for endpoint in endpoints.get(body["project_id"], [])
        if subscribed(endpoint, body["event_type"])
    ]
    if not rows:
        return []
    # Each row's foreign key share-locks its endpoint: taken in endpoint id order, the order
    # in which recording attempts locks endpoints (delivery._record), or the two deadlock.
    rows.sort(key=lambda row: str(row["endpoint_id"]))
    connection = await session.connection()
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    # Rows as parameters, not in the statement: one compiled statement serves every batch.
    queue = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        .returning(table.c.endpoint_id, table.c.id)
    )
    result = await connection.execute(queue, rows)
    return [Queued(str(endpoint_id), str(delivery_id)) for endpoint_id, delivery_id in result.all()]


class WebhookService:
    def __init__(self, session: AsyncSession, settings: WebhookSettings) -> None:
        self.session = session
        self.settings = settings

    def _check_url(self, url: str) -> None:
        # The same rules as knowledge-base URL fetching; the delivery client re-checks the
        # address it actually connects to on every attempt (DNS may change).
        check_url(url, list(self.settings.url_allowlist))

    async def get(self, project_id: str, webhook_id: str) -> WebhookEndpoint:
        if "\x00" in webhook_id:  # Postgres refuses NUL in text: no such object either way
            raise NotFound("Webhook not found", details={"id": webhook_id[:40]})
        return await get_owned(self.session, WebhookEndpoint, webhook_id, project_id, "Webhook")

    async def create(self, project_id: str, data: WebhookCreate) -> WebhookWithSecret:
        self._check_url(data.url)
        row = WebhookEndpoint(
            id=new_id("whk"),
            project_id=project_id,
            url=data.url,
            events=data.events or [ALL_EVENTS],
            description=data.description,
            secret=new_secret(),
        )
        self.session.add(row)
        await self.session.commit()
        return with_secret(row)

    async def list_webhooks(self, project_id: str, page: Page) -> tuple[list[WebhookRead], int]:
        statement = scoped(WebhookEndpoint, project_id).order_by(
            col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)
        )
        rows, total = await paginate(self.session, statement, page)
        return [webhook_read(row) for row in rows], total

    async def update(self, project_id: str, webhook_id: str, data: WebhookUpdate) -> WebhookRead:
        row = await self.get(project_id, webhook_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("url") is not None:
            self._check_url(changes["url"])
            row.url = changes["url"]
        if changes.get("events") is not None:
            row.events = changes["events"]
        if changes.get("description") is not None:
            row.description = changes["description"]
        if changes.get("active") is not None:
            row.active = changes["active"]
            if row.active:
                row.disabled_reason = None
                row.failing_since = None
        row.updated_at = utcnow()
        self.session.add(row)
        await self.session.commit()
        return webhook_read(row)

    async def delete(self, project_id: str, webhook_id: str) -> None:
        row = await self.get(project_id, webhook_id)
        await self._delete(row)

    async def _delete(self, row: WebhookEndpoint) -> None:
        # Deliveries and attempts go with it (ON DELETE CASCADE), including any a relay or a
        # delivery worker writes concurrently.
        await self.session.delete(row)
        await self.session.commit()

    async def rotate_secret(self, project_id: str, webhook_id: str) -> WebhookWithSecret:
        row = await self.get(project_id, webhook_id)
        now = utcnow()
        row.previous_secret = row.secret
        row.previous_secret_expires_at = now + timedelta(seconds=self.settings.rotation_grace_s)
        row.secret = new_secret()
        row.updated_at = now
        self.session.add(row)
        await self.session.commit()
        return with_secret(row)

    async def _default(self, project_id: str) -> WebhookEndpoint | None:
        statement = scoped(WebhookEndpoint, project_id).where(col(WebhookEndpoint.is_default))
        return (await self.session.exec(statement)).first()

    async def has_default(self, project_id: str) -> bool:
        return await self._default(project_id) is not None

    async def put_default(
        self, project_id: str, data: DefaultWebhookPut
    ) -> tuple[WebhookRead | WebhookWithSecret, bool]:
        """Create the project's default endpoint (secret shown) or change its URL."""
        self._check_url(data.url)
        row = await self._default(project_id)
        if row is not None:
            row.url = data.url
            row.updated_at = utcnow()
            self.session.add(row)
            await self.session.commit()
            return webhook_read(row), False
        row = WebhookEndpoint(
            id=new_id("whk"),
            project_id=project_id,
            url=data.url,
            description="Default endpoint",
            is_default=True,
            secret=new_secret(),
        )
        self.session.add(row)
        await self.session.commit()
        return with_secret(row), True

    async def delete_default(self, project_id: str) -> None:
        row = await self._default(project_id)
        if row is None:
            raise NotFound("No default webhook is set")
        await self._delete(row)

    async def deliveries(
        self, project_id: str, webhook_id: str, page: Page, status: str | None = None
    ) -> tuple[list[DeliveryRead], int]:
        endpoint = await self.get(project_id, webhook_id)
        statement = (
            scoped(WebhookDelivery, project_id)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id))
        )
        if status:
            statement = statement.where(WebhookDelivery.status == status)
        rows, total = await paginate(self.session, statement, page)
        return await self._reads(rows), total

    async def _reads(self, rows: list[WebhookDelivery]) -> list[DeliveryRead]:
        attempts: dict[str, list[AttemptRead]] = {row.id: [] for row in rows}
        if rows:
            statement = (
                select(WebhookAttempt)
                .where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
                .order_by(col(WebhookAttempt.id))
            )
            for attempt in (await self.session.exec(statement)).all():
                attempts[attempt.delivery_id].append(
                    AttemptRead(
                        attempted_at=attempt.attempted_at,
                        status_code=attempt.status_code,
                        duration_ms=attempt.duration_ms,
                        error=attempt.error,
                        next_retry_at=attempt.next_retry_at,
                    )
                )
        return [
            DeliveryRead(
                id=row.id,
                webhook_id=row.endpoint_id,
                event_id=row.event_id,
                event_type=row.event_type,
                status=row.status,
                attempt_count=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_status_code=row.last_status_code,
                created_at=row.created_at,
                delivered_at=row.delivered_at,
                attempts=attempts[row.id],
            )
            for row in rows
        ]

    async def retry(self, project_id: str, webhook_id: str, delivery_id: str) -> DeliveryRead:
        endpoint = await self.get(project_id, webhook_id)
        row = (
            None if "\x00" in delivery_id else await self.session.get(WebhookDelivery, delivery_id)
        )
        if row is None or row.endpoint_id != endpoint.id:
            raise NotFound("Delivery not found", details={"id": delivery_id})
        if not endpoint.active:
            raise Conflict(
                "The webhook is disabled; re-enable it first",
                details={"webhook_id": endpoint.id, "disabled_reason": endpoint.disabled_reason},
            )
        row.status = "pending"
        row.next_attempt_at = utcnow()
        self.session.add(row)
        await self.session.commit()
        return (await self._reads([row]))[0]

    async def send_test(self, project_id: str, data: WebhookTest) -> WebhookTestResult:
        """A simulated event, straight to the project's endpoints (not through the outbox:
        it changes nothing, so neither the monitor nor other subscribers should see it)."""
        event_id = new_id("evt")
        body = {
            "id": event_id,
            "event_type": data.event_type,
            "project_id": project_id,
            "timestamp": iso_utc(utcnow()),
            "data": data.payload,
        }
        try:
            queued = await enqueue_events(self.session, [body])
            await self.session.commit()
        except IntegrityError:
            # An endpoint was deleted between reading it and queuing for it: read again.
            await self.session.rollback()
            queued = await enqueue_events(self.session, [body])
            await self.session.commit()
        return WebhookTestResult(
            event_id=event_id,
            event_type=data.event_type,
            deliveries=[
                TestDelivery(webhook_id=q.endpoint_id, delivery_id=q.delivery_id) for q in queued
            ],
        )
