"""Outgoing webhooks: endpoints, Standard Webhooks signing, the retry schedule, 410 and
failure disabling, rotation, SSRF refusal, delivery from the event outbox, all against a real
HTTP receiver started by the test."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from api.app import create_app
from api.db import create_engine, session_factory
from api.events import catalogue, outbox
from api.settings import ApiSettings
from api.webhooks.delivery import DeliveryWorker
from api.webhooks.settings import WebhookSettings
from tests.services import served

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    """A real HTTP receiver: answers from `script` (status codes, in order), then `status`."""

    script: list[int] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    processed: list[str] = field(default_factory=list)
    """Event ids handled by a receiver that deduplicates on `webhook-id` (first time only)."""
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.requests.append((headers, body))
        self.arrived.set()
        status = self.script.pop(0) if self.script else self.status
        if 200 <= status < 300 and headers.get("webhook-id") not in self.seen_ids:
            self.seen_ids.add(headers["webhook-id"])
            self.processed.append(headers["webhook-id"])
        extra = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b"ok"})

    async def wait_for_ids(self, count: int, timeout_s: float = 15.0) -> None:
        """Until `count` distinct events were handled."""
        async with asyncio.timeout(timeout_s):
            while len(self.seen_ids) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def wait_for(self, count: int, timeout_s: float = 15.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    async with served(hook) as url:  # type: ignore[arg-type]
        # Endpoints take host names only; `localhost` is on the test's allowlist.
        hook.url = url.replace("127.0.0.1", "localhost") + "/hook"
        yield hook


def fast(settings: ApiSettings, **changes: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "url_allowlist": ["localhost"],
        "retry_scale": 0.002,  # 5 s -> 10 ms, 5 min -> 0.6 s
        "poll_interval_s": 0.02,
        **changes,
    }
    return settings.model_copy(update={"webhooks": WebhookSettings(**values)})


@pytest.fixture
async def hooks_client(settings: ApiSettings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(fast(settings))) as client:
        yield client


async def create_endpoint(
    client: AsyncTestClient, headers: dict[str, str], url: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/webhooks", json={"url": url, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["webhook"])


async def deliveries(
    client: AsyncTestClient, headers: dict[str, str], webhook_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["deliveries"])


async def settled(
    client: AsyncTestClient, headers: dict[str, str], webhook_id: str, timeout_s: float = 15.0
) -> list[dict[str, Any]]:
    """The delivery log once no delivery is pending any more."""
    async with asyncio.timeout(timeout_s):
        while True:
            items = await deliveries(client, headers, webhook_id)
            if items and all(item["status"] != "pending" for item in items):
                return items
            await asyncio.sleep(0.05)


async def test_endpoint_crud_shows_the_secret_only_on_creation(hooks_client, admin, make_key):
    created = await create_endpoint(
        hooks_client, admin.headers, "https://hooks.example.com/in", events=["session.ended"]
    )
    assert created["id"].startswith("whk_")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    assert created["events"] == ["session.ended"] and created["active"] is True
    fetched = (
        await hooks_client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    ).json()
    assert "secret" not in fetched["webhook"]
    listed = (await hooks_client.get("/api/v1/webhooks", headers=admin.headers)).json()
    assert listed["total"] == 1 and "secret" not in listed["webhooks"][0]
    patched = await hooks_client.patch(
        f"/api/v1/webhooks/{created['id']}",
        json={"events": ["*"], "description": "all of it"},
        headers=admin.headers,
    )
    assert patched.json()["webhook"]["events"] == ["*"]
    other = await make_key("other-co")
    for method in ("get", "delete"):
        response = await getattr(hooks_client, method)(
            f"/api/v1/webhooks/{created['id']}", headers=other.headers
        )
        assert response.status_code == 404
    deleted = await hooks_client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    gone = await hooks_client.get(f"/api/v1/webhooks/{created['id']}", headers=admin.headers)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.com/in", "events": ["session.exploded"]},
        {"url": "https://hooks.example.com/in", "colour": "red"},
        {"events": ["test"]},
    ],
)
async def test_invalid_endpoints_are_refused(hooks_client, admin, body):
    response = await hooks_client.post("/api/v1/webhooks", json=body, headers=admin.headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://0/",
        "http://169.254.169.254/latest/meta-data",
        "http://2852039166/",
        "http://0251.0376.0251.0376/",
        "http://0xa9fea9fe/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.5/hook",
        "ftp://hooks.example.com/in",
        "http://user:pass@hooks.example.com/in",
    ],
)
async def test_private_and_unsafe_targets_are_refused(client, admin, url):
    response = await client.post("/api/v1/webhooks", json={"url": url}, headers=admin.headers)
    # The schema refuses other schemes and credentials (422), the service private hosts (400).
    assert response.status_code in (400, 422), response.text
    assert response.json()["details"]["field"] == "url"


async def test_a_test_event_arrives_signed_per_standard_webhooks(hooks_client, admin, receiver):
    endpoint = await create_endpoint(hooks_client, admin.headers, receiver.url)
    sent = await hooks_client.post(
        "/api/v1/webhooks/test",
        json={"event_type": "test", "payload": {"hello": "world"}},
        headers=admin.headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["deliveries"][0]["webhook_id"] == endpoint["id"]
    await receiver.wait_for(1)
    headers, body = receiver.requests[0]
    # The reference library verifies id, timestamp (within 5 minutes) and signature.
    event = Webhook(endpoint["secret"]).verify(body, headers)
    assert event["id"] == sent.json()["event_id"] == headers["webhook-id"]
    assert event["event_type"] == "test" and event["data"] == {"hello": "world"}
    assert event["project_id"] == admin.project_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    simple = hmac.new(endpoint["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-webhook-signature"] == simple
    assert "x-webhook-signature-previous" not in headers  # only during a rotation
    with pytest.raises(Exception):  # noqa: B017 - any verification failure will do
        Webhook(endpoint["secret"]).verify(body + b" ", headers)
    log = await settled(hooks_client, admin.headers, endpoint["id"])
    assert log[0]["status"] == "succeeded"
    assert log[0]["attempts"][0]["status_code"] == 200
    assert log[0]["attempts"][0]["duration_ms"] >= 0


async def test_failures_follow_the_schedule_then_succeed_then_410_disables(
    hooks_client, admin, receiver
):
    endpoint = await create_endpoint(hooks_client, admin.headers, receiver.url)
    receiver.script = [500, 503, 302]
    await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    (delivery,) = await settled(hooks_client, admin.headers, endpoint["id"])
    assert delivery["status"] == "succeeded"
    codes = [attempt["status_code"] for attempt in delivery["attempts"]]
    assert codes == [500, 503, 302, 200]
    assert "redirect" in delivery["attempts"][2]["error"]
    first, second, third, _ = delivery["attempts"]
    assert first["next_retry_at"] is not None and first["error"] is None
    # 5 s and 5 min of Svix's schedule, scaled by 0.002 in this test.
    assert _seconds(first["attempted_at"], second["attempted_at"]) >= 0.01
    assert _seconds(second["attempted_at"], third["attempted_at"]) >= 0.6
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert ids == {delivery["event_id"]}  # the same id on every attempt

    receiver.status = 410
    await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    await receiver.wait_for(5)
    async with asyncio.timeout(10):
        while True:
            state = (
                await hooks_client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=admin.headers)
            ).json()["webhook"]
            if not state["active"]:
                break
            await asyncio.sleep(0.05)
    assert state["disabled_reason"] == "gone"
    after = await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    assert after.json()["deliveries"] == []  # a disabled endpoint receives nothing
    await asyncio.sleep(0.3)
    assert len(receiver.requests) == 5


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


async def test_retry_after_is_honoured(hooks_client, admin, receiver):
    endpoint = await create_endpoint(hooks_client, admin.headers, receiver.url)
    receiver.script = [429]
    receiver.headers = {"Retry-After": "1"}
    await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    (delivery,) = await settled(hooks_client, admin.headers, endpoint["id"])
    first, second = delivery["attempts"]
    assert first["status_code"] == 429
    assert _seconds(first["attempted_at"], second["attempted_at"]) >= 1.0


async def test_slow_receivers_time_out(settings, admin, receiver):
    quick = fast(settings, timeout_s=0.3, retry_schedule_s=[0.0])
    receiver.delay_s = 1.0
    async with AsyncTestClient(app=create_app(quick)) as client:
        endpoint = await create_endpoint(client, admin.headers, receiver.url)
        await client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
        (delivery,) = await settled(client, admin.headers, endpoint["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempts"][0]["status_code"] is None
    assert "no response within" in delivery["attempts"][0]["error"]


async def test_an_endpoint_failing_too_long_is_disabled_and_retry_resumes_it(
    settings, admin, receiver
):
    quick = fast(
        settings, disable_after_s=0.5, retry_scale=1.0, retry_schedule_s=[0.0, 0.2, 0.2, 0.2, 0.2]
    )
    receiver.status = 500
    async with AsyncTestClient(app=create_app(quick)) as client:
        endpoint = await create_endpoint(client, admin.headers, receiver.url)
        await client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
        async with asyncio.timeout(10):
            while True:
                state = (
                    await client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=admin.headers)
                ).json()["webhook"]
                if not state["active"]:
                    break
                await asyncio.sleep(0.05)
        assert state["disabled_reason"] == "failing"
        (delivery,) = await deliveries(client, admin.headers, endpoint["id"])
        refused = await client.post(
            f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/retry",
            headers=admin.headers,
        )
        assert refused.status_code == 409
        receiver.status = 200
        await client.patch(
            f"/api/v1/webhooks/{endpoint['id']}", json={"active": True}, headers=admin.headers
        )
        retried = await client.post(
            f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/retry",
            headers=admin.headers,
        )
        assert retried.status_code == 202, retried.text
        (delivery,) = await settled(client, admin.headers, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"][-1]["status_code"] == 200


async def test_rotation_signs_with_both_secrets_for_the_grace_period(hooks_client, admin, receiver):
    endpoint = await create_endpoint(hooks_client, admin.headers, receiver.url)
    rotated = await hooks_client.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=admin.headers
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["webhook"]["secret"]
    assert new_secret != endpoint["secret"]
    await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    await receiver.wait_for(1)
    headers, body = receiver.requests[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(body, headers)
    Webhook(endpoint["secret"]).verify(body, headers)
    simple = hmac.new(new_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-webhook-signature"] == simple
    # A simple receiver still holding the old secret finds its digest in a second header.
    old = hmac.new(endpoint["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-webhook-signature-previous"] == old


async def test_a_name_resolving_to_loopback_is_refused_at_delivery(settings, admin, receiver):
    # Only another port of localhost is allowlisted: the receiver's name is accepted at
    # creation (a name, not an address) and refused at connect time, once resolved.
    elsewhere = fast(settings, url_allowlist=["localhost:1"])
    async with AsyncTestClient(app=create_app(elsewhere)) as client:
        endpoint = await create_endpoint(client, admin.headers, receiver.url)
        await client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
        async with asyncio.timeout(10):
            while True:
                (delivery,) = await deliveries(client, admin.headers, endpoint["id"])
                if delivery["attempts"]:
                    break
                await asyncio.sleep(0.05)
    assert "refused target" in delivery["attempts"][0]["error"]
    assert receiver.requests == []


async def test_default_endpoint_of_seed_000(hooks_client, admin, receiver):
    created = await hooks_client.put(
        "/api/v1/webhooks", json={"url": receiver.url}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    assert webhook["is_default"] and webhook["secret"].startswith("whsec_")
    moved = await hooks_client.put(
        "/api/v1/webhooks", json={"url": receiver.url + "/v2"}, headers=admin.headers
    )
    assert moved.status_code == 200
    assert moved.json()["webhook"]["id"] == webhook["id"]
    assert "secret" not in moved.json()["webhook"]
    assert (await hooks_client.delete("/api/v1/webhooks", headers=admin.headers)).status_code == 204
    assert (await hooks_client.delete("/api/v1/webhooks", headers=admin.headers)).status_code == 404


async def test_outbox_events_reach_subscribed_endpoints_only(
    hooks_client, settings, admin, receiver
):
    everything = await create_endpoint(hooks_client, admin.headers, receiver.url + "/all")
    ended_only = await create_endpoint(
        hooks_client, admin.headers, receiver.url + "/ended", events=["session.ended"]
    )
    # The test client runs the app in its own event loop: this test uses its own engine.
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as session:
        await outbox.record(
            session, admin.project_id, catalogue.AGENT_CREATED, {"agent": {"id": "agt_1"}}
        )
        await outbox.record(
            session, admin.project_id, catalogue.SESSION_ENDED, {"session": {"id": "ses_1"}}
        )
        await session.commit()
    await engine.dispose()
    await receiver.wait_for(3)
    await asyncio.sleep(0.2)
    paths = sorted(
        (json.loads(body)["event_type"], headers["webhook-id"][:4])
        for headers, body in receiver.requests
    )
    assert paths == [
        ("agent.created", "evt_"),
        ("session.ended", "evt_"),
        ("session.ended", "evt_"),
    ]
    assert len(await settled(hooks_client, admin.headers, everything["id"])) == 2
    assert len(await settled(hooks_client, admin.headers, ended_only["id"])) == 1


async def test_two_workers_send_each_delivery_once(settings, admin, receiver):
    quick = fast(settings)
    async with AsyncTestClient(app=create_app(quick)) as client:
        endpoint = await create_endpoint(client, admin.headers, receiver.url)
        # Two more workers on the same database, as two more replicas would run them.
        engine = create_engine(quick.database_url)
        others = [DeliveryWorker(session_factory(engine), quick.webhooks) for _ in range(2)]
        stop = asyncio.Event()

        async def spin(worker: DeliveryWorker) -> None:
            while not stop.is_set():
                await worker.run_pass()

        tasks = [asyncio.create_task(spin(worker)) for worker in others]
        for _ in range(30):
            await client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
        await receiver.wait_for(30)
        await settled(client, admin.headers, endpoint["id"])
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*tasks)
        for worker in others:
            await worker.aclose()
        await engine.dispose()
    ids = [headers["webhook-id"] for headers, _ in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30


async def test_finished_deliveries_are_deleted_after_the_retention_period(
    settings, admin, receiver
):
    quick = fast(settings, retention_s=0.5, cleanup_interval_s=0.2)
    async with AsyncTestClient(app=create_app(quick)) as client:
        endpoint = await create_endpoint(client, admin.headers, receiver.url)
        await client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
        assert len(await settled(client, admin.headers, endpoint["id"])) == 1
        async with asyncio.timeout(10):
            while True:
                if not await deliveries(client, admin.headers, endpoint["id"]):
                    break
                await asyncio.sleep(0.1)
    assert len(receiver.requests) == 1


async def test_deleting_an_endpoint_takes_its_delivery_log(hooks_client, admin, receiver):
    endpoint = await create_endpoint(hooks_client, admin.headers, receiver.url)
    receiver.script = [500]
    await hooks_client.post("/api/v1/webhooks/test", json={}, headers=admin.headers)
    (delivery,) = await settled(hooks_client, admin.headers, endpoint["id"])
    assert len(delivery["attempts"]) == 2
    deleted = await hooks_client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    log = await hooks_client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=admin.headers
    )
    assert log.status_code == 404
