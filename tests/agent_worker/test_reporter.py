import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from agent_worker.contracts import SessionStartedEvent, TurnEvent, WorkerReport
from agent_worker.reporter import RetryPolicy, SessionReporter, new_event_id

pytestmark = pytest.mark.unit

TOKEN = "session-token"


@dataclass
class Receiver:
    """A tiny control-plane stand-in that fails the first `fail_first` requests."""

    fail_first: int = 0
    fail_status: int = 503
    attempts: int = 0
    bodies: list[WorkerReport] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        self.auth.append(request.headers.get("Authorization"))
        if self.attempts <= self.fail_first:
            return web.Response(status=self.fail_status)
        self.bodies.append(WorkerReport.model_validate_json(await request.read()))
        return web.json_response({"accepted": True})

    @property
    def event_ids(self) -> list[str]:
        return [e.event_id for body in self.bodies for e in body.events]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def serve(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/internal/v1/sessions/{session_id}/events", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/internal/v1"


FAST = RetryPolicy(max_attempts=5, backoff_base_s=0.01, backoff_max_s=0.05, timeout_s=2.0)


def turn(text: str) -> TurnEvent:
    return TurnEvent(event_id=new_event_id(), role="user", text=text, started_at=datetime.now(UTC))


async def test_events_are_delivered_in_order_with_bearer_token(http: aiohttp.ClientSession) -> None:
    receiver = Receiver()
    runner, url = await serve(receiver)
    try:
        reporter = SessionReporter(
            report_url=url, session_id="ses_1", report_token=TOKEN, http=http, policy=FAST
        )
        reporter.start()
        events = [SessionStartedEvent(event_id=new_event_id()), turn("hi"), turn("bye")]
        for event in events:
            reporter.submit(event)
        await reporter.aclose()
    finally:
        await runner.cleanup()
    assert receiver.event_ids == [e.event_id for e in events]
    assert set(receiver.auth) == {f"Bearer {TOKEN}"}


async def test_server_errors_are_retried_with_the_same_event_ids(
    http: aiohttp.ClientSession,
) -> None:
    receiver = Receiver(fail_first=2)
    runner, url = await serve(receiver)
    try:
        reporter = SessionReporter(
            report_url=url, session_id="ses_1", report_token=TOKEN, http=http, policy=FAST
        )
        reporter.start()
        event = turn("what are your hours")
        reporter.submit(event)
        await reporter.aclose()
    finally:
        await runner.cleanup()
    assert receiver.attempts == 3
    assert receiver.event_ids == [event.event_id]
    assert reporter.delivered == 1


async def test_client_errors_are_not_retried(http: aiohttp.ClientSession) -> None:
    receiver = Receiver(fail_first=10, fail_status=403)
    runner, url = await serve(receiver)
    try:
        reporter = SessionReporter(
            report_url=url, session_id="ses_1", report_token=TOKEN, http=http, policy=FAST
        )
        reporter.start()
        reporter.submit(turn("hello"))
        await reporter.aclose()
    finally:
        await runner.cleanup()
    assert receiver.attempts == 1
    assert reporter.dropped == 1


async def test_unreachable_control_plane_gives_up_after_max_attempts(
    http: aiohttp.ClientSession,
) -> None:
    runner, url = await serve(Receiver())
    await runner.cleanup()  # the port is now closed
    reporter = SessionReporter(
        report_url=url, session_id="ses_1", report_token=TOKEN, http=http, policy=FAST
    )
    reporter.start()
    reporter.submit(turn("hello"))
    await asyncio.wait_for(reporter.aclose(), 5)
    assert reporter.dropped == 1


def test_every_event_id_is_unique() -> None:
    ids = {new_event_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(len(i) <= 100 for i in ids)
