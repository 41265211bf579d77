"""A worker is healthy only once registered with LiveKit and counted in Redis; a draining worker
stops being counted at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from livekit.agents import AgentServer, JobContext, JobExecutorType
from redis.asyncio import Redis

from agent_worker.capacity import HEARTBEAT_PREFIX, HEARTBEAT_TTL_S, Heartbeat, WorkerPresence
from agent_worker.health import HealthEndpoint
from tests.services import LiveKit, free_port

pytestmark = pytest.mark.integration


async def no_calls(ctx: JobContext) -> None:
    ctx.shutdown()


async def test_health_answers_200_only_after_registration_and_first_heartbeat(
    redis_url: str, livekit: LiveKit
) -> None:
    server = AgentServer(
        ws_url=livekit.url.replace("http://", "ws://"),
        api_key=livekit.api_key,
        api_secret=livekit.api_secret,
        port=0,
        num_idle_processes=0,
        job_executor_type=JobExecutorType.THREAD,
    )
    server.rtc_session(no_calls, agent_name="presence-probe")
    port = free_port()
    async with Redis.from_url(redis_url) as redis:
        presence = WorkerPresence(server, capacity=3, redis=redis)
        health = HealthEndpoint(presence, "127.0.0.1", port)
        await health.start()
        beating = asyncio.create_task(presence.run())
        running: asyncio.Task[None] | None = None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                before = await client.get("/")
                assert before.status_code == 503
                assert before.json() == {"registered": False}

                running = asyncio.create_task(server.run())
                async with asyncio.timeout(30):
                    while (after := await client.get("/")).status_code != 200:  # noqa: ASYNC110 - polling over HTTP is the point
                        await asyncio.sleep(0.05)
            worker_id = server.id
            assert worker_id.startswith("AW_")
            assert after.json() == {
                "registered": True,
                "worker_id": worker_id,
                "active_jobs": 0,
                "capacity": 3,
            }
            key = f"{HEARTBEAT_PREFIX}{worker_id}"
            assert Heartbeat.decode(await redis.get(key)) == Heartbeat(active=0, capacity=3)
            assert 0 < await redis.ttl(key) <= HEARTBEAT_TTL_S

            await presence.withdraw()
            assert await redis.get(key) is None
        finally:
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)
            await health.aclose()
            if running is not None:
                await server.aclose()
                await asyncio.gather(running, return_exceptions=True)
