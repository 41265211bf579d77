"""Plan quotas: `GET /quota`, and 429 QUOTA_EXCEEDED with limit and usage on creation."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from api.app import create_app
from api.usage.quota_lock import acquire, quota_lock
from api.usage.settings import UsageSettings
from tests.services import served

pytestmark = pytest.mark.integration

TIGHT = {
    "free": {
        "agents": 2,
        "knowledge_bases": 1,
        "webhook_configs": 1,
        "concurrent_sessions": 1,
        "sip_configs": 1,
        "recordings_gb": 1,
    }
}


@pytest.fixture
async def tight_client(settings):
    tight = settings.model_copy(update={"usage": UsageSettings(plans=TIGHT)})
    async with AsyncTestClient(app=create_app(tight)) as client:
        yield client


async def test_quota_reports_limits_usage_and_remaining(tight_client, admin):
    await tight_client.post("/api/v1/agents", json={"name": "One"}, headers=admin.headers)
    quota = (await tight_client.get("/api/v1/quota", headers=admin.headers)).json()
    assert quota["plan"] == "free"
    assert quota["quotas"]["agents"] == {"limit": 2, "used": 1, "remaining": 1}
    assert set(quota["quotas"]) == {
        "agents",
        "knowledge_bases",
        "sip_configs",
        "webhook_configs",
        "concurrent_sessions",
        "recordings_gb",
    }


@pytest.mark.parametrize(
    ("path", "body", "kind", "limit"),
    [
        ("/api/v1/agents", {"name": "Desk"}, "agents", 2),
        ("/api/v1/knowledge-bases", {"name": "FAQ"}, "knowledge_bases", 1),
        ("/api/v1/webhooks", {"url": "https://hooks.example.com/in"}, "webhook_configs", 1),
        ("/api/v1/sessions", {"room_name": "desk"}, "concurrent_sessions", 1),
    ],
)
async def test_creating_past_the_limit_is_429_quota_exceeded(
    tight_client, admin, make_key, path, body, kind, limit
):
    for _ in range(limit):
        created = await tight_client.post(path, json=body, headers=admin.headers)
        assert created.status_code == 201, created.text
    refused = await tight_client.post(path, json=body, headers=admin.headers)
    assert refused.status_code == 429, refused.text
    error = refused.json()
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["details"] == {"quota": kind, "plan": "free", "limit": limit, "used": limit}
    # Quotas are per project.
    other = await make_key("other-co")
    assert (await tight_client.post(path, json=body, headers=other.headers)).status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "kind", "limit"),
    [
        ("/api/v1/agents", {"name": "Desk"}, "agents", 2),
        ("/api/v1/sessions", {"room_name": "desk"}, "concurrent_sessions", 1),
    ],
)
async def test_concurrent_creates_stop_exactly_at_the_limit(
    settings, admin, path, body, kind, limit
):
    tight = settings.model_copy(update={"usage": UsageSettings(plans=TIGHT)})
    # Two replicas on one database and Redis, behind real servers (the test client would
    # take one request at a time).
    async with (
        served(create_app(tight)) as first,
        served(create_app(tight)) as second,
        httpx.AsyncClient(headers=admin.headers, timeout=30) as client,
    ):
        answers = await asyncio.gather(
            *(client.post(base + path, json=body) for base in [first, second] * 4)
        )
        quota = (await client.get(first + "/api/v1/quota")).json()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * limit + [429] * (8 - limit), [a.text for a in answers]
    assert quota["quotas"][kind]["used"] == limit


async def test_concurrent_calls_start_no_more_sessions_than_the_limit(settings, admin):
    tight = settings.model_copy(update={"usage": UsageSettings(plans=TIGHT)})
    async with (
        served(create_app(tight)) as first,
        served(create_app(tight)) as second,
        httpx.AsyncClient(headers=admin.headers, timeout=30) as client,
    ):
        agent = (await client.post(first + "/api/v1/agents", json={"name": "Desk"})).json()
        body = {"identity": "caller", "agent_config_id": agent["id"]}
        answers = await asyncio.gather(
            *(
                client.post(base + "/api/v1/token", json={**body, "room": f"desk-{i}"})
                for i, base in enumerate([first, second] * 3)
            )
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [429] * 5, [a.text for a in answers]


async def test_a_creation_waits_for_the_quota_lock_then_gives_up(settings, admin, redis_url):
    patient = UsageSettings(plans=TIGHT, quota_wait_s=1.0)
    app = create_app(settings.model_copy(update={"usage": patient}))
    body = {"name": "Desk"}
    async with AsyncTestClient(app=app) as client, Redis.from_url(redis_url) as redis:
        # Another replica is counting and creating an agent of this project.
        async with quota_lock(redis, patient, admin.project_id, "agents"):
            busy = await client.post("/api/v1/agents", json=body, headers=admin.headers)
        created = await client.post("/api/v1/agents", json=body, headers=admin.headers)
        # A replica that died holding the lock holds it only until its TTL.
        await acquire(redis, UsageSettings(quota_lock_s=0.3), admin.project_id, "agents")
        after_crash = await client.post("/api/v1/agents", json=body, headers=admin.headers)
    assert busy.status_code == 429 and busy.json()["code"] == "RATE_LIMITED"
    assert busy.headers["retry-after"] == "1"
    assert created.status_code == 201, created.text
    assert after_crash.status_code == 201, after_crash.text


async def test_the_default_webhook_counts_only_when_created(tight_client, admin):
    first = await tight_client.put(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/a"}, headers=admin.headers
    )
    assert first.status_code == 201
    moved = await tight_client.put(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/b"}, headers=admin.headers
    )
    assert moved.status_code == 200
    another = await tight_client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/c"}, headers=admin.headers
    )
    assert another.status_code == 429


async def test_a_token_dispatching_past_the_session_limit_is_refused(tight_client, admin):
    agent = (
        await tight_client.post("/api/v1/agents", json={"name": "Desk"}, headers=admin.headers)
    ).json()
    body = {"identity": "caller", "room": "desk", "agent_config_id": agent["id"]}
    first = await tight_client.post("/api/v1/token", json=body, headers=admin.headers)
    assert first.status_code == 200, first.text
    second = await tight_client.post("/api/v1/token", json=body, headers=admin.headers)
    assert second.status_code == 429, second.text
    assert second.json()["details"]["quota"] == "concurrent_sessions"
    # Joining without an agent starts no session and needs no quota.
    caller = await tight_client.post(
        "/api/v1/token", json={"identity": "guest", "room": "desk"}, headers=admin.headers
    )
    assert caller.status_code == 200
