"""POST /token with an agent answers 503 with Retry-After while no worker has a free slot.

Workers' heartbeats are written here in the wire format `agent_worker.capacity` defines (the
real worker writes them in the end-to-end stack, which runs with this check on)."""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from agent_worker.capacity import HEARTBEAT_PREFIX, Heartbeat
from api.app import create_app
from api.capacity import REFRESH_S, RETRY_AFTER_S, NoWorkerRoom, WorkerRoom, require_worker_room

pytestmark = pytest.mark.integration


@pytest.fixture
async def checked(settings):
    checked_settings = settings.model_copy(update={"check_worker_capacity": True})
    async with AsyncTestClient(app=create_app(checked_settings)) as test_client:
        yield test_client


async def beat(redis_url: str, worker_id: str, active: int, capacity: int) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.set(
            f"{HEARTBEAT_PREFIX}{worker_id}", Heartbeat(active, capacity).encode(), ex=5
        )


async def call(client, admin, agent_id: str, room: str):
    return await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent_id},
        headers=admin.headers,
    )


async def test_agent_call_is_refused_while_no_worker_has_room(checked, admin, redis_url):
    agent = (await checked.post("/api/v1/agents", json={"name": "A"}, headers=admin.headers)).json()
    await beat(redis_url, "AW_full", active=2, capacity=2)

    refused = await call(checked, admin, agent["id"], "busy")

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == str(RETRY_AFTER_S)
    body = refused.json()
    assert body["code"] == "UNAVAILABLE"
    assert body["details"] == {"needed": 1, "free": 0}


async def test_agent_call_is_accepted_once_a_worker_has_room(checked, admin, redis_url):
    agent = (await checked.post("/api/v1/agents", json={"name": "A"}, headers=admin.headers)).json()
    assert (await call(checked, admin, agent["id"], "early")).status_code == 503

    await beat(redis_url, "AW_free", active=1, capacity=2)
    # The count is re-read at most every REFRESH_S.
    await asyncio.sleep(REFRESH_S)

    accepted = await call(checked, admin, agent["id"], "later")
    assert accepted.status_code == 200
    assert len(accepted.json()["sessions"]) == 1
    # Its one free slot now counts as taken here until the next count.
    assert (await call(checked, admin, agent["id"], "third")).status_code == 503


async def test_calls_without_an_agent_never_wait_for_workers(checked, admin):
    response = await checked.post(
        "/api/v1/token", json={"identity": "viewer", "room": "lobby"}, headers=admin.headers
    )
    assert response.status_code == 200


async def test_a_phone_caller_rings_until_a_closing_call_frees_its_slot(redis_url):
    """Inbound phone calls wait (the phone rings) for a slot instead of hearing busy while a
    call that just ended still holds one; past the wait they are refused."""
    async with Redis.from_url(redis_url, decode_responses=True) as redis:
        async for key in redis.scan_iter(match=f"{HEARTBEAT_PREFIX}*"):
            await redis.delete(key)
        await beat(redis_url, "AW_closing", active=2, capacity=2)

        with pytest.raises(NoWorkerRoom):
            await require_worker_room(redis, WorkerRoom(), 1, wait_s=REFRESH_S)

        waiting = asyncio.create_task(require_worker_room(redis, WorkerRoom(), 1, wait_s=10))
        await asyncio.sleep(REFRESH_S / 2)
        assert not waiting.done()
        await beat(redis_url, "AW_closing", active=1, capacity=2)
        await asyncio.wait_for(waiting, timeout=3 * REFRESH_S)
