"""The media gateway under clients that misbehave, and its own death: every connection ends
with its close code, every session ends with a reason, nothing stays behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.contracts import SECRET_ENV
from tests.e2e.test_gateway_voice import create_agent, ended, gateway_ready, ws_url
from tests.gateway.clients import PlainCaller, TwilioCaller
from tests.services import free_port
from tests.stack import Stack, voxroom_stack
from voxroom import launcher

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own. Its calls end while their agents are still joining, and
    an agent job stopped in the middle of its room connection can bring down the worker
    process it shares with other calls: livekit's FFI panics ("timed out waiting for
    ReadyForRoomEventRequest after ConnectCallback") once the job's event loop is closed, and
    the worker drains. Seen in the full suite, 2026-11-30; the shared stack stays clear of it.
    """
    with voxroom_stack(tmp_path_factory.mktemp("gateway-robustness")) as own:
        yield own


async def refused(url: str) -> tuple[int | None, list[dict]]:
    async with PlainCaller(url) as caller:
        await asyncio.wait_for(caller.closed.wait(), 30)
    return caller.close_code, [m for _, m in caller.messages]


async def test_bad_credentials_and_unknown_agents_are_refused_with_their_close_codes(
    stack: Stack,
) -> None:
    await gateway_ready(stack)
    code, messages = await refused(ws_url(stack, "/ws/voice/not-a-ticket"))
    assert code == 4001 and messages[0]["type"] == "error"
    code, _ = await refused(ws_url(stack, "/ws/voice?api_key=vx_wrong"))
    assert code == 4001
    code, _ = await refused(ws_url(stack, "/ws/voice"))
    assert code == 4001
    code, _ = await refused(ws_url(stack, f"/ws/voice?api_key={stack.api_key}&agent_id=agt_nope"))
    assert code == 4005
    code, _ = await refused(ws_url(stack, f"/ws/voice?api_key={stack.api_key}&format=ogg"))
    assert code == 1008
    stream = ws_url(stack, "/ws/twilio/stream")
    async with TwilioCaller(stream, {"ticket": "not-a-ticket"}) as twilio:
        await asyncio.wait_for(twilio.closed.wait(), 30)
    assert twilio.close_code == 4001
    async with TwilioCaller(stream, {}) as twilio:
        await asyncio.wait_for(twilio.closed.wait(), 30)
    assert twilio.close_code == 4001


async def active_calls(stack: Stack) -> int:
    async with httpx.AsyncClient() as http:
        return int((await http.get(f"{stack.gateway_url}/healthz")).json()["activeCalls"])


async def test_wrong_frames_oversized_frames_and_dropped_connections_end_their_sessions(
    stack: Stack,
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack, "Robust")
    url = ws_url(stack, f"/ws/voice?api_key={stack.api_key}&agent_id={agent_id}")
    sessions = []

    async with PlainCaller(url) as caller:
        sessions.append((await caller.wait_message("connected", limit_s=30))["sessionId"])
        assert caller.ws is not None
        await caller.ws.send('{"type":"hello"}')
        await asyncio.wait_for(caller.closed.wait(), 15)
    assert caller.close_code == 1003
    assert caller.of_type("error")

    async with PlainCaller(url) as caller:
        sessions.append((await caller.wait_message("connected", limit_s=30))["sessionId"])
        assert caller.ws is not None
        await caller.ws.send(bytes(100_000))
        await asyncio.wait_for(caller.closed.wait(), 15)
    assert caller.close_code == 1009

    caller = PlainCaller(url)
    await caller.__aenter__()
    connected = await caller.wait_message("connected", limit_s=30)
    sessions.append(connected["sessionId"])
    assert caller.ws is not None
    caller.ws.transport.abort()  # no close frame: the network went away
    await caller.hang_up()

    # Reconnecting with the history key continues that conversation in a new session.
    async with PlainCaller(f"{url}&session_id={connected['historyKey']}") as again:
        resumed = await again.wait_message("connected", limit_s=30)
    assert resumed["historyKey"] == connected["historyKey"]
    assert resumed["sessionId"] != connected["sessionId"]
    sessions.append(resumed["sessionId"])

    for session_id in sessions:
        session = await ended(stack, session_id, limit_s=30)
        assert session["status"] != "active", session
    assert [s["status"] for s in [await ended(stack, sid) for sid in sessions[:2]]] == [
        "failed",
        "failed",
    ]
    deadline = time.monotonic() + 10
    while await active_calls(stack):
        assert time.monotonic() < deadline, "the gateway kept a call"
        await asyncio.sleep(0.2)


async def test_a_restarted_gateway_ends_the_calls_it_lost_as_failed(
    stack: Stack, tmp_path: Path
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack, "Restart")
    port = free_port()
    component = launcher.media_gateway(
        port,
        {
            SECRET_ENV: stack.gateway_secret,
            "VOXROOM_GATEWAY_CONTROL_PLANE_URL": stack.api_url,
            "VOXROOM_GATEWAY_ID": "gateway-restart-test",
            "VOXROOM_GATEWAY_MAX_CONNECTIONS_PER_KEY": "1",
        },
    )
    log = tmp_path / "gateway.log"
    first = await asyncio.to_thread(launcher.start, component, log)
    second = None
    url = f"ws://127.0.0.1:{port}/ws/voice?api_key={stack.api_key}&agent_id={agent_id}"
    caller = PlainCaller(url)
    try:
        await caller.__aenter__()
        session_id = (await caller.wait_message("connected", limit_s=30))["sessionId"]
        code, _ = await refused(url)
        assert code == 4029, "a second connection of the key went through"

        first.process.kill()
        await asyncio.to_thread(first.process.wait)
        await asyncio.wait_for(caller.closed.wait(), 10)
        second = await asyncio.to_thread(launcher.start, component, log, append_log=True)

        session = await ended(stack, session_id, limit_s=10)
        assert (session["status"], session["end_reason"]) == ("failed", "gateway_restart")

        # A gateway stopped on purpose ends its calls itself.
        async with PlainCaller(url) as again:
            session_id = (await again.wait_message("connected", limit_s=30))["sessionId"]
            await asyncio.to_thread(launcher.stop, second, 10)
            await asyncio.wait_for(again.closed.wait(), 10)
        session = await ended(stack, session_id, limit_s=10)
        assert (session["status"], session["end_reason"]) == ("failed", "gateway_shutdown")
    finally:
        await caller.hang_up()
        for running in (first, second):
            if running is not None:
                await asyncio.to_thread(launcher.stop, running, 10)


async def test_a_join_url_serves_once_and_its_session_ends_at_max_duration(
    stack: Stack,
) -> None:
    await gateway_ready(stack)
    agent_id = await create_agent(stack, "Brief")
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        response = await api.post(
            "/api/v1/voice/sessions", json={"agent_config_id": agent_id, "max_duration": 10}
        )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["joinUrl"].startswith(stack.gateway_url.replace("http://", "ws://"))
    assert stack.api_key not in created["joinUrl"]

    async with PlainCaller(created["joinUrl"]) as caller:
        connected = await caller.wait_message("connected", limit_s=30)
        assert connected["sessionId"] == created["session_id"]
        code, _ = await refused(created["joinUrl"])
        assert code == 4001, "a join URL served twice"
        await asyncio.wait_for(caller.closed.wait(), 30)
    assert caller.close_code == 1000
    session = await ended(stack, created["session_id"], limit_s=15)
    assert session["end_reason"] == "max_duration", session
