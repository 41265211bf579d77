"""Webhook endpoints (seed 002's resource, seed 000's single-URL form) and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ, WRITE
from api.openapi import errors
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.resources import Resources
from api.usage.quota import QuotaService, quota
from api.usage.quota_lock import quota_lock
from api.webhooks.delivery import DeliveryWorker
from api.webhooks.schemas import (
    DefaultWebhookPut,
    DeliveryEnvelope,
    DeliveryId,
    DeliveryList,
    WebhookCreate,
    WebhookCreated,
    WebhookEnvelope,
    WebhookId,
    WebhookList,
    WebhookTest,
    WebhookTestResult,
    WebhookUpdate,
)
from api.webhooks.services import WebhookService, webhook_read

WORKER_STATE = "webhook_worker"
"""Where the app's lifespan keeps this process's `DeliveryWorker` (`app.state`)."""


def provide_webhooks(
    db_session: NamedDependency[AsyncSession], resources: NamedDependency[Resources]
) -> WebhookService:
    return WebhookService(db_session, resources.settings.webhooks)


def wake_worker(request: Request[Any, Any, Any]) -> None:
    worker: DeliveryWorker | None = getattr(request.app.state, WORKER_STATE, None)
    if worker is not None:
        worker.wake()


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = {
        "paging": Provide(provide_page, sync_to_thread=False),
        "webhooks": Provide(provide_webhooks, sync_to_thread=False),
    }

    @post(operation_id="createWebhook", opt=WRITE | quota("webhook_configs"))
    async def create_webhook(
        self,
        data: JSONBody[WebhookCreate],
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
    ) -> WebhookCreated:
        """Register an endpoint. The response holds its signing secret, shown only here (and
        on rotation)."""
        return WebhookCreated(webhook=await webhooks.create(principal.project_id, data))

    @get(operation_id="listWebhooks", opt=READ)
    async def list_webhooks(
        self,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> WebhookList:
        """The project's endpoints, oldest first (secrets are never listed)."""
        items, total = await webhooks.list_webhooks(principal.project_id, paging)
        return WebhookList(**page_body("webhooks", items, total, paging))

    @put(
        operation_id="setDefaultWebhook",
        opt=WRITE,
        status_code=200,
        responses={
            201: ResponseSpec(
                data_container=WebhookCreated,
                description="The default endpoint was created; its secret is shown this once",
            )
        },
    )
    async def set_default(
        self,
        data: JSONBody[DefaultWebhookPut],
        webhooks: NamedDependency[WebhookService],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> Response[WebhookCreated | WebhookEnvelope]:
        """Seed 000's single URL: create the project's default endpoint (201, secret shown
        once) or change its URL (200). It receives every event."""
        async with quota_lock(
            resources.redis, resources.settings.usage, principal.project_id, "webhook_configs"
        ):
            if not await webhooks.has_default(principal.project_id):
                await QuotaService(db_session, resources.settings.usage).require(
                    principal.project_id, principal.plan, "webhook_configs"
                )
            webhook, created = await webhooks.put_default(principal.project_id, data)
        if created:
            return Response(WebhookCreated(webhook=webhook), status_code=201)
        return Response(WebhookEnvelope(webhook=webhook), status_code=200)

    @delete(operation_id="deleteDefaultWebhook", opt=WRITE | errors(404))
    async def delete_default(
        self, webhooks: NamedDependency[WebhookService], principal: NamedDependency[Principal]
    ) -> None:
        """Remove the default endpoint set with `PUT /webhooks`."""
        await webhooks.delete_default(principal.project_id)

    @post("/test", operation_id="sendTestWebhook", opt=WRITE, status_code=202)
    async def send_test(
        self,
        data: JSONBody[WebhookTest],
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> WebhookTestResult:
        """Send a simulated event (`test` by default) to every active endpoint subscribed to
        it; the deliveries appear in each endpoint's delivery log."""
        result = await webhooks.send_test(principal.project_id, data)
        wake_worker(request)
        return result

    @get("/{webhook_id:str}", operation_id="getWebhook", opt=READ)
    async def get_webhook(
        self,
        webhook_id: WebhookId,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
    ) -> WebhookEnvelope:
        """One endpoint (without its secret)."""
        row = await webhooks.get(principal.project_id, webhook_id)
        return WebhookEnvelope(webhook=webhook_read(row))

    @patch("/{webhook_id:str}", operation_id="updateWebhook", opt=WRITE)
    async def update_webhook(
        self,
        webhook_id: WebhookId,
        data: JSONBody[WebhookUpdate],
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> WebhookEnvelope:
        """Change the URL, event filter or description; `active: true` re-enables an endpoint
        that was disabled (its pending deliveries resume)."""
        webhook = await webhooks.update(principal.project_id, webhook_id, data)
        wake_worker(request)
        return WebhookEnvelope(webhook=webhook)

    @delete("/{webhook_id:str}", operation_id="deleteWebhook", opt=WRITE)
    async def delete_webhook(
        self,
        webhook_id: WebhookId,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
    ) -> None:
        """Remove the endpoint and its delivery log."""
        await webhooks.delete(principal.project_id, webhook_id)

    @post(
        "/{webhook_id:str}/rotate-secret",
        operation_id="rotateWebhookSecret",
        opt=WRITE,
        status_code=200,
    )
    async def rotate_secret(
        self,
        webhook_id: WebhookId,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
    ) -> WebhookCreated:
        """A new secret, shown once. For 24 hours deliveries carry signatures with both the
        old and the new secret (`webhook-signature` lists both), so receivers can switch."""
        return WebhookCreated(
            webhook=await webhooks.rotate_secret(principal.project_id, webhook_id)
        )

    @get("/{webhook_id:str}/deliveries", operation_id="listWebhookDeliveries", opt=READ)
    async def list_deliveries(
        self,
        webhook_id: WebhookId,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
        status: Annotated[
            Literal["pending", "succeeded", "failed"] | None,
            QueryParameter(description="Only deliveries in this state"),
        ] = None,
    ) -> DeliveryList:
        """Deliveries to the endpoint, newest first, each with its attempts (status code,
        duration, error, next retry)."""
        items, total = await webhooks.deliveries(principal.project_id, webhook_id, paging, status)
        return DeliveryList(**page_body("deliveries", items, total, paging))

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/retry",
        operation_id="retryWebhookDelivery",
        opt=WRITE | errors(409),
        status_code=202,
    )
    async def retry_delivery(
        self,
        webhook_id: WebhookId,
        delivery_id: DeliveryId,
        webhooks: NamedDependency[WebhookService],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> DeliveryEnvelope:
        """Attempt the delivery again now, whatever its state (same `webhook-id`)."""
        delivery = await webhooks.retry(principal.project_id, webhook_id, delivery_id)
        wake_worker(request)
        return DeliveryEnvelope(delivery=delivery)
