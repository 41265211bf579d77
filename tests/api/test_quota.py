"""Plan quotas: `GET /quota`, and 429 QUOTA_EXCEEDED with limit and usage on creation."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.usage.settings import UsageSettings

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
