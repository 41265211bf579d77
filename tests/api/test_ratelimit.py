"""Per-key sliding-window limits in Redis, shared by every app instance."""

import asyncio
import time

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
def limited_settings(settings):
    return settings.model_copy(update={"rate_limits": {"free": 5}, "anonymous_rate_limit": 3})


async def test_headers_on_every_response(client, admin):
    response = await client.get("/api/v1/agents", headers=admin.headers)
    assert int(response.headers["X-RateLimit-Limit"]) == 1000
    assert int(response.headers["X-RateLimit-Remaining"]) == 999
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    missing = await client.get("/api/v1/agents/agt_none", headers=admin.headers)
    assert missing.status_code == 404
    assert "X-RateLimit-Remaining" in missing.headers


async def test_two_app_instances_share_one_budget(limited_settings, make_key):
    key = await make_key("acme")
    # Before the requests: on a loaded machine seconds may pass before the assertions below.
    sent_at = int(time.time())
    async with (
        AsyncTestClient(app=create_app(limited_settings)) as first,
        AsyncTestClient(app=create_app(limited_settings)) as second,
    ):
        responses = await asyncio.gather(
            *[
                (first if i % 2 else second).get("/api/v1/agents", headers=key.headers)
                for i in range(12)
            ]
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 5
    assert statuses.count(429) == 7
    limited = next(r for r in responses if r.status_code == 429)
    body = limited.json()
    assert body["code"] == "RATE_LIMITED"
    retry_after = int(limited.headers["Retry-After"])
    assert retry_after >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) >= sent_at + retry_after - 1


async def test_budgets_are_per_key(limited_settings, make_key):
    one, two = await make_key("acme"), await make_key("acme")
    async with AsyncTestClient(app=create_app(limited_settings)) as client:
        for _ in range(5):
            assert (await client.get("/api/v1/agents", headers=one.headers)).status_code == 200
        assert (await client.get("/api/v1/agents", headers=one.headers)).status_code == 429
        assert (await client.get("/api/v1/agents", headers=two.headers)).status_code == 200


async def test_guessing_keys_is_rate_limited_per_address(limited_settings):
    async with AsyncTestClient(app=create_app(limited_settings)) as client:
        statuses = [
            (await client.get("/api/v1/agents", headers={"X-API-Key": f"vxr_guess{i}"})).status_code
            for i in range(5)
        ]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
