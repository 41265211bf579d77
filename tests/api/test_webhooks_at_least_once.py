"""At least once: the control plane is killed -9 while deliveries are in flight and started
again; every event reaches the receiver, and a receiver deduplicating on `webhook-id` handles
each exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import Popen

import httpx
import pytest

from api.db import create_engine, session_factory
from api.events import catalogue, outbox
from api.settings import ApiSettings
from tests.api.test_webhooks import Receiver
from tests.services import free_port, served, started
from voxroom import launcher

pytestmark = pytest.mark.integration

EVENTS = 60


def control_plane(settings: ApiSettings, port: int) -> launcher.Component:
    return launcher.control_plane(
        port,
        {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "LIVEKIT_URL": settings.livekit_url,
            "LIVEKIT_API_KEY": settings.livekit_api_key,
            "LIVEKIT_API_SECRET": settings.livekit_api_secret.get_secret_value(),
            "VOXROOM_WEBHOOK_URL_ALLOWLIST": json.dumps(["localhost"]),
            "VOXROOM_WEBHOOK_RETRY_SCALE": "0.002",
            "VOXROOM_WEBHOOK_POLL_INTERVAL_S": "0.05",
            # A killed replica's claims are free again after this long.
            "VOXROOM_WEBHOOK_LEASE_S": "2",
            "VOXROOM_WEBHOOK_MAX_IN_FLIGHT": "8",
        },
    )


@asynccontextmanager
async def serving(settings: ApiSettings, port: int, log: Path) -> AsyncIterator[Popen[bytes]]:
    """The control plane as its own process, started and stopped off the event loop (the
    receiver serving in this loop must keep answering meanwhile)."""
    context = started(control_plane(settings, port), log)
    process = await asyncio.to_thread(context.__enter__)
    try:
        yield process
    finally:
        await asyncio.to_thread(context.__exit__, None, None, None)


async def test_kill_9_during_deliveries_loses_nothing(settings, admin, tmp_path):
    receiver = Receiver(delay_s=0.1)
    port = free_port()
    async with served(receiver) as receiver_url:  # type: ignore[arg-type]
        async with serving(settings, port, tmp_path / "api-1.log") as process:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=admin.headers
            ) as http:
                created = await http.post(
                    "/api/v1/webhooks",
                    json={"url": receiver_url.replace("127.0.0.1", "localhost") + "/in"},
                )
                assert created.status_code == 201, created.text
            await record_events(settings, admin.project_id)
            await receiver.wait_for(EVENTS // 4, timeout_s=60)
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)
            handled_before_kill = len(receiver.processed)
        assert handled_before_kill < EVENTS, "everything was delivered before the kill"
        async with serving(settings, port, tmp_path / "api-2.log"):
            await receiver.wait_for_ids(EVENTS, timeout_s=90)
            await asyncio.sleep(0.5)
    lines = sorted(json.loads(body)["data"]["line"] for _, body in receiver.requests)
    assert set(lines) == set(range(EVENTS))
    # Deduplicated on webhook-id, each event is handled exactly once.
    assert len(receiver.processed) == EVENTS == len(set(receiver.processed))


async def record_events(settings: ApiSettings, project_id: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            for i in range(EVENTS):
                await outbox.record(session, project_id, catalogue.TRANSCRIPT_NEW, {"line": i})
            await session.commit()
    finally:
        await engine.dispose()
